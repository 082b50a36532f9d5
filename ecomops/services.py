"""Project-wide writes: API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from customers.audit import audit_record
from ecomops.models import ApiKey

LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last_used_at at most once a minute


class ApiKeyError(ValueError):
    pass


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, name: str, scopes: list[str], by=None) -> tuple[ApiKey, str]:
    """A new key; returns the row and the key itself (shown once, never stored)."""
    name = name.strip()
    if not name:
        raise ApiKeyError("an API key needs a name")
    unknown = sorted(set(scopes) - set(ApiKey.SCOPES))
    if unknown or not scopes:
        raise ApiKeyError(
            f"scopes are {', '.join(ApiKey.SCOPES)} (comma-separated); got {', '.join(scopes) or 'none'}"
        )
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            name=name, prefix=prefix, key_hash=_digest(key), scopes=sorted(set(scopes)),
            created_by=by if getattr(by, "pk", None) else None,
        )  # fmt: skip
        audit_record("create", api_key, by=by, after={"name": name, "scopes": api_key.scopes})
    return api_key, key


def api_key_check(key: str) -> ApiKey | None:
    """The active key matching ``key``, or None (unknown, malformed or revoked)."""
    prefix, dot, _ = (key or "").partition(".")
    if not dot or not prefix:
        return None
    api_key = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _digest(key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_keys_revoke(*, keys, by=None) -> int:
    revoked = 0
    for api_key in keys:
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
            audit_record("revoke", api_key, by=by, after={"revoked": True})
            revoked += 1
    return revoked
