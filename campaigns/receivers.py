"""Signal receivers of the campaigns app (connected in ``CampaignsConfig.ready``)."""

from django.dispatch import receiver

from catalog.signals import orders_changed


@receiver(orders_changed, dispatch_uid="campaigns.loyalty_after_import")
def loyalty_after_import(sender, since, kind, **kwargs) -> None:
    """An import changed orders: award and reverse points in the background."""
    from campaigns.tasks import sync_loyalty

    sync_loyalty.delay(since.isoformat())
