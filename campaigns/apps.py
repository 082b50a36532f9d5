from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns and loyalty"

    def ready(self) -> None:
        from campaigns import receivers  # noqa: F401  (connects the signal receivers)
