"""Project-wide models: API keys for external tools.

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
