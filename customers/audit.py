"""The audit trail: who changed what, when, before and after.

Services record their changes with :func:`audit_record` (or :func:`audit_record_many`
for bulk work). Who acted comes from the ``by`` argument, or else from the actor of the
current context — set per request by :class:`AuditActorMiddleware` and by
:func:`acting_as` in commands and tasks — or else "system". The admin records its own
saves and deletes through ``ecomops.admin_audit.AuditedAdmin``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from customers.models import AuditEntry, Customer
from ecomops.bulk import insert_objects

_ACTOR: ContextVar[tuple[object | None, str] | None] = ContextVar("audit_actor", default=None)
SYSTEM = "system"


@contextmanager
def acting_as(user=None, label: str | None = None) -> Iterator[None]:
    """Everything recorded inside the block is attributed to ``user`` (or ``label``)."""
    token = _ACTOR.set((user, label or _label(user)))
    try:
        yield
    finally:
        _ACTOR.reset(token)


class AuditActorMiddleware:
    """Attribute the changes of a request to its signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with acting_as(user):
            return self.get_response(request)


def _label(user) -> str:
    if user is None:
        return SYSTEM
    if isinstance(user, str):
        return user
    return getattr(user, "get_username", lambda: str(user))()


def _actor(by) -> tuple[object | None, str]:
    if by is not None:
        user = by if getattr(by, "pk", None) else None
        return user, _label(by)
    current = _ACTOR.get()
    if current is not None:
        user, label = current
        return (user if getattr(user, "pk", None) else None), label
    return None, SYSTEM


_NATIVE = (str, int, float, bool, type(None))


def plain(values: Mapping | None) -> dict:
    """``values`` made JSON-safe (Decimal, dates, ids → text or numbers)."""
    values = dict(values or {})
    if all(isinstance(v, _NATIVE) for v in values.values()):
        return values
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The stored values of ``obj`` (all concrete fields, or ``fields``)."""
    names = set(fields) if fields is not None else None
    return plain(
        {
            field.attname: getattr(obj, field.attname)
            for field in obj._meta.concrete_fields
            if names is None or field.name in names or field.attname in names
        }
    )


def changed(before: Mapping, after: Mapping) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _entry(action, obj, *, by, before, after, customer, at=None) -> AuditEntry:
    user, label = _actor(by)
    if customer is None:
        customer = obj.pk if isinstance(obj, Customer) else getattr(obj, "customer_id", None)
    entry = AuditEntry(
        actor=user,
        actor_label=label[:100],
        action=action[:40],
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        customer_id=customer.pk if isinstance(customer, Customer) else customer,
        before=plain(before),
        after=plain(after),
    )
    if at is not None:
        entry.at = at
    return entry


def audit_record(
    action: str,
    obj: models.Model,
    *,
    by=None,
    before: Mapping | None = None,
    after: Mapping | None = None,
    customer: Customer | int | None = None,
    at=None,
) -> AuditEntry:
    entry = _entry(action, obj, by=by, before=before, after=after, customer=customer, at=at)
    entry.save()
    return entry


def audit_record_many(
    action: str,
    objects: Iterable[models.Model],
    *,
    by=None,
    after=None,
    before=None,
    at=None,
) -> int:
    """One entry per object (``after``/``before`` may be callables of the object)."""
    entries = [
        _entry(
            action,
            obj,
            by=by,
            before=before(obj) if callable(before) else before,
            after=after(obj) if callable(after) else after,
            customer=None,
            at=at,
        )
        for obj in objects
    ]
    insert_objects(AuditEntry, entries)
    return len(entries)
