"""Who may call the API and what they see.

- **API keys** (``Authorization: Api-Key <key>``): ``read`` for GET, HEAD and OPTIONS,
  ``write`` for everything else (a view may name the scope of an action in
  ``action_scopes``); ``pii`` to see e-mail, phone and birthday unmasked.
- **Staff sessions** (the browser): the user's model permissions, as the admin checks
  them — view for reads, add / change / delete for writes (``action_perms`` on a view
  names others); ``customers.view_pii`` to see PII.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import authentication, exceptions, permissions, throttling

from customers.audit import acting_as
from customers.pii import can_view_pii
from ecomops.models import ApiKey
from ecomops.services import api_key_check

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                f"send the key as: Authorization: {KEYWORD} <key>"
            )
        api_key = api_key_check(header[1])
        if api_key is None:
            raise exceptions.AuthenticationFailed("unknown or revoked API key")
        return (ApiKeyUser(api_key), api_key)

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyUser:
    """The identity of a request made with an API key (no Django user behind it)."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    pk = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api key {self.api_key.name}"

    def get_username(self) -> str:
        return str(self)

    def has_perm(self, perm, obj=None) -> bool:
        return perm == "customers.view_pii" and self.api_key.has_scope("pii")


def sees_pii(request) -> bool:
    if isinstance(request.auth, ApiKey):
        return request.auth.has_scope("pii")
    return can_view_pii(request.user)


METHOD_PERMS = {
    "GET": "view", "HEAD": "view", "OPTIONS": "view",
    "POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete",
}  # fmt: skip


class ScopedAccess(permissions.BasePermission):
    message = "this key or user may not do that"

    def has_permission(self, request, view) -> bool:
        action = getattr(view, "action", None)
        if isinstance(request.auth, ApiKey):
            default = "read" if request.method in permissions.SAFE_METHODS else "write"
            scope = getattr(view, "action_scopes", {}).get(action, default)
            if not request.auth.has_scope(scope):
                self.message = f"this API key lacks the {scope!r} scope"
                return False
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        perms = getattr(view, "action_perms", {}).get(action)
        if perms is None:
            perms = getattr(view, "view_perms", None)  # views without a queryset
        if perms is None:
            model = view.get_queryset().model
            verb = METHOD_PERMS.get(request.method, "change")
            perms = [f"{model._meta.app_label}.{verb}_{model._meta.model_name}"]
        return user.has_perms(perms)


class KeyOrUserThrottle(throttling.SimpleRateThrottle):
    """One budget per API key and per user (``API["THROTTLE_RATE"]``, e.g. "1200/min"),
    counted in fixed windows with the cache's atomic ``incr``: O(1) per request whatever
    the rate (DRF's sliding history re-reads and re-writes a list as long as the rate)."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API["THROTTLE_RATE"]

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"

    def allow_request(self, request, view) -> bool:
        now = time.time()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        self._wait = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self._wait)


def acting_user(request):
    """The Django user behind a request, or None for an API key (its name is recorded in
    the audit trail instead, through :class:`Attributed`)."""
    return request.user if getattr(request.user, "pk", None) else None


class Attributed:
    """Viewset mixin: the audit trail attributes the request's changes to its key or user
    (the request middleware runs before the API authenticates)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user and request.user.is_authenticated:
            self._acting = acting_as(acting_user(request), str(request.user.get_username()))
            self._acting.__enter__()

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            acting = getattr(self, "_acting", None)
            if acting is not None:
                self._acting = None
                acting.__exit__(None, None, None)
