from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ecomops.admin_actions import form_action
from ecomops.models import ApiKey
from ecomops.services import api_keys_revoke


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
