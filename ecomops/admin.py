import secrets

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from ecomops.admin_actions import form_action
from ecomops.admin_tools import ReadOnlyBigTableAdmin
from ecomops.models import ApiKey, WebhookDelivery, WebhookSubscription
from ecomops.services import api_keys_revoke
from ecomops.webhooks import webhook_redeliver


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created with ``manage.py create_api_key`` (the key is shown once); here
    they are listed with their last use and revoked."""

    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "=prefix"]
    readonly_fields = [
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @form_action(
        description=_("Revoke the selected keys"),
        destructive=True,
        explanation=_("Tools using these keys are refused from now on. This cannot be undone."),
    )
    def revoke(self, request, queryset, data):
        return f"{api_keys_revoke(keys=queryset, by=request.user)} key(s) revoked"


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Where events are sent. The secret (for verifying signatures) is shown read-only."""

    list_display = ["name", "url", "events", "active", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["secret", "created_by", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = secrets.token_hex(24)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyBigTableAdmin):
    """The delivery log: every event sent, its attempts and the last answer."""

    list_display = ["event", "subscription", "status", "attempts", "last_status_code",
                    "last_error", "created_at", "delivered_at", "next_attempt_at"]  # fmt: skip
    list_filter = ["status", "event", "subscription"]
    search_fields = ["=event_id"]
    actions = ["redeliver"]

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("ecomops.change_webhookdelivery")

    @form_action(
        description=_("Send the selected deliveries again"),
        permissions=("redeliver",),
        explanation=_("Each is sent once more now, with retries as for a new event."),
    )
    def redeliver(self, request, queryset, data):
        return f"{webhook_redeliver(deliveries=queryset)} delivery(ies) queued"
