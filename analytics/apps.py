from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from analytics.models import KpiTarget
        from analytics.services.freshness import report_data_changed
        from catalog.signals import orders_changed

        # Cached report results follow the data their pages read.
        orders_changed.connect(report_data_changed, dispatch_uid="analytics-reports-orders")
        post_save.connect(report_data_changed, sender=KpiTarget, dispatch_uid="reports-target-save")
        post_delete.connect(
            report_data_changed, sender=KpiTarget, dispatch_uid="reports-target-del"
        )
