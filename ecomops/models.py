"""Project-wide models: API keys for external tools, webhook subscriptions and deliveries.

(The app also receives ``post_migrate``, which re-syncs the roles: see ``apps.py``.)
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A key an external tool sends as ``Authorization: Api-Key <key>``.

    The key is ``<prefix>.<secret>``; only the prefix (to find the row) and the SHA-256 of
    the whole key are stored, so a leaked database does not leak keys. Scopes: ``read``,
    ``write``, ``pii``."""

    SCOPES = ("read", "write", "pii")

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-created_at"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class WebhookSubscription(models.Model):
    """An external URL told about events (segment entered/left, coupon redeemed, campaign
    completed, tier changed). Deliveries are signed with ``secret`` (HMAC-SHA256)."""

    EVENTS = (
        "segment.entered",
        "segment.left",
        "coupon.redeemed",
        "campaign.completed",
        "tier.changed",
    )

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(
        default=list, blank=True, help_text=_("Event names; empty means all.")
    )
    segments = models.JSONField(
        default=list, blank=True, help_text=_("Segment ids for segment events; empty means all.")
    )
    secret = models.CharField(max_length=64, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event sent (or to send) to one subscription, with every attempt's outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed (gave up)")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    event_id = models.CharField(max_length=36, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class WebhookSegmentState(models.Model):
    """The members of a segment as last told to webhook subscribers (to find who entered
    and who left since)."""

    segment_id = models.BigIntegerField(unique=True)
    members = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"segment {self.segment_id}: {len(self.members)} members"
