from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


def _sync_roles_after_migrate(sender, using, **kwargs) -> None:
    # Models added by later migrations get their permissions assigned to the roles too.
    from ecomops.roles import roles_sync

    roles_sync()


def _redeemed(sender, instance, created, **kwargs) -> None:
    if created:
        from ecomops.webhooks import webhook_emit

        webhook_emit("coupon.redeemed", {
            "code": instance.coupon.code, "order_id": instance.order.external_id,
            "customer_id": instance.customer.external_id if instance.customer_id else None,
            "discount_amount": instance.discount_amount, "redeemed_at": instance.redeemed_at,
        })  # fmt: skip


def _campaign_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if instance.status == "completed" and update_fields and "status" in update_fields:
        from ecomops.webhooks import webhook_emit

        webhook_emit("campaign.completed", {
            "id": instance.pk, "name": instance.name, "completed_at": instance.completed_at,
            "report": f"/api/v1/campaigns/{instance.pk}/report/",
        })  # fmt: skip


def _tier_changed(sender, instance, created, **kwargs) -> None:
    if created:
        from ecomops.webhooks import webhook_emit

        webhook_emit("tier.changed", {
            "customer_id": instance.customer.external_id,
            "from": instance.from_tier.name if instance.from_tier_id else None,
            "to": instance.to_tier.name if instance.to_tier_id else None,
            "reason": instance.reason, "changed_at": instance.changed_at,
        })  # fmt: skip


def _segments_refreshed(sender, as_of, **kwargs) -> None:
    from ecomops.webhooks import segment_changes_emit

    segment_changes_emit(as_of=as_of)


class EcomOpsConfig(AppConfig):
    """Project-wide wiring: roles and permissions, health checks, shared commands."""

    name = "ecomops"
    verbose_name = "EcomOps"

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="ecomops-roles")
        import ecomops.api.schema  # noqa: F401  (registers the Api-Key OpenAPI scheme)

        # Webhooks listen to the apps' own signals (see ecomops.webhooks).
        from analytics.signals import segments_refreshed

        post_save.connect(_redeemed, sender="campaigns.Redemption", dispatch_uid="wh-redeemed")
        post_save.connect(_campaign_saved, sender="campaigns.Campaign", dispatch_uid="wh-campaign")
        post_save.connect(_tier_changed, sender="customers.TierChange", dispatch_uid="wh-tier")
        segments_refreshed.connect(_segments_refreshed, dispatch_uid="wh-segments")
