"""Webhooks: tell subscribed URLs about events, signed, retried with backoff.

Events come from the apps' own model signals, connected in ``apps.py`` (the apps know
nothing of webhooks): a new ``Redemption`` → ``coupon.redeemed``; a campaign saved as
completed → ``campaign.completed``; a new ``TierChange`` → ``tier.changed``; after the
analytics run's segments step, each subscribed segment's members are compared with those
last told → ``segment.entered`` / ``segment.left`` (up to 1,000 customers a delivery; the
first run after a subscription records the members without sending).

A delivery is a POST of ``{"id", "event", "created_at", "data"}`` with the headers
``X-EcomOps-Event``, ``X-EcomOps-Delivery`` and ``X-EcomOps-Signature: t=<unix
time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the subscription's secret>``. A 2xx
answer delivers it; anything else (or no answer in ``WEBHOOKS["TIMEOUT"]`` seconds) is
retried after 1, 2, 4, 8... minutes (``WEBHOOKS["BACKOFF_SECONDS"]`` doubling) up to
``WEBHOOKS["MAX_ATTEMPTS"]``, then marked failed. The first attempt is a Celery task
queued when the event's transaction commits; retries are picked up by the per-minute
``webhooks_retry_due`` beat task.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from ecomops.models import WebhookDelivery, WebhookSegmentState, WebhookSubscription

SEGMENT_CHUNK = 1_000


def webhook_subscription_create(
    *, name: str, url: str, events=(), segments=(), active: bool = True, by=None
):
    unknown = set(events) - set(WebhookSubscription.EVENTS)
    if unknown:
        raise ValueError(f"unknown event(s): {', '.join(sorted(unknown))}")
    subscription = WebhookSubscription(
        name=name, url=url, events=list(events), segments=[int(s) for s in segments],
        secret=secrets.token_hex(24), active=active, created_by=by,
    )  # fmt: skip
    subscription.full_clean()
    subscription.save()
    return subscription


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does: recompute the signature and check the time is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def webhook_emit(event: str, data: dict, *, segment_id: int | None = None) -> int:
    """Queue ``event`` for every active subscription that wants it; the deliveries start
    when the surrounding transaction commits. Returns how many were queued."""
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True)
        if s.wants(event) and (segment_id is None or not s.segments or segment_id in s.segments)
    ]  # fmt: skip
    if not subscriptions:
        return 0
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=s, event=event, event_id=str(uuid.uuid4()), next_attempt_at=now,
                payload=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            )
            for s in subscriptions
        ]
    )  # fmt: skip
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _queue(ids))
    return len(ids)


def _queue(ids: list[int]) -> None:
    from ecomops.tasks import deliver_webhook

    for pk in ids:
        deliver_webhook.delay(pk)


def webhook_deliver(delivery_id: int) -> WebhookDelivery | None:
    """One attempt at a pending delivery (locked, so two workers never send it twice)."""
    config = settings.WEBHOOKS
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("subscription")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        body = json.dumps(
            {"id": delivery.event_id, "event": delivery.event,
             "created_at": delivery.created_at.isoformat(), "data": delivery.payload},
            separators=(",", ":"), ensure_ascii=False,
        ).encode()  # fmt: skip
        timestamp = int(time.time())
        request = urllib.request.Request(
            delivery.subscription.url, data=body, method="POST",
            headers={
                "Content-Type": "application/json", "User-Agent": "EcomOps-Webhooks/1",
                "X-EcomOps-Event": delivery.event, "X-EcomOps-Delivery": delivery.event_id,
                "X-EcomOps-Signature": sign(delivery.subscription.secret, timestamp, body),
            },
        )  # fmt: skip
        delivery.attempts += 1
        code, error = None, ""
        try:
            with urllib.request.urlopen(request, timeout=config["TIMEOUT"]) as response:
                code = response.status
        except urllib.error.HTTPError as exc:
            code, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc))[:300] or exc.__class__.__name__
        now = timezone.now()
        delivery.last_status_code, delivery.last_error = code, error
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookDelivery.Status.DELIVERED, now, None,
            )  # fmt: skip
        elif delivery.attempts >= config["MAX_ATTEMPTS"]:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        else:
            wait = config["BACKOFF_SECONDS"] * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.save()
    return delivery


def webhooks_retry_due(*, at=None) -> list[int]:
    """The pending deliveries whose next attempt is due (queued again by the beat task)."""
    at = at or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=at, attempts__gt=0
        ).values_list("pk", flat=True)[:1000]
    )


def webhook_redeliver(*, deliveries) -> int:
    """Send failed (or delivered) deliveries again, from the admin."""
    ids = [d.pk for d in deliveries]
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: _queue(ids))
    return len(ids)


# --- Segment membership -----------------------------------------------------------------


def segment_changes_emit(*, as_of=None) -> dict[int, tuple[int, int]]:
    """Compare each subscribed segment's members with those last told and emit who
    entered and who left. Returns {segment id: (entered, left)}."""
    from analytics.models import Segment
    from analytics.selectors import segment_members
    from customers.models import Customer

    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True)
        if s.wants("segment.entered") or s.wants("segment.left")
    ]  # fmt: skip
    if not subscriptions:
        return {}
    wanted: set[int] | None = set()
    for s in subscriptions:
        if not s.segments:
            wanted = None
            break
        wanted.update(s.segments)
    segments = Segment.objects.all() if wanted is None else Segment.objects.filter(pk__in=wanted)
    changes = {}
    for segment in segments:
        now = set(segment_members(segment=segment, as_of=as_of).values_list("pk", flat=True))
        state, created = WebhookSegmentState.objects.get_or_create(segment_id=segment.pk)
        before = set(state.members)
        state.members = sorted(now)
        state.save()
        if created:
            continue  # the baseline: nobody "entered" because we started watching
        entered, left = now - before, before - now
        for event, ids in (("segment.entered", entered), ("segment.left", left)):
            ordered = sorted(ids)
            for start in range(0, len(ordered), SEGMENT_CHUNK):
                chunk = ordered[start : start + SEGMENT_CHUNK]
                external = list(
                    Customer.objects.filter(pk__in=chunk).order_by("pk")
                    .values_list("external_id", flat=True)
                )  # fmt: skip
                webhook_emit(
                    event,
                    {"segment": {"id": segment.pk, "name": segment.name}, "customers": external},
                    segment_id=segment.pk,
                )
        changes[segment.pk] = (len(entered), len(left))
    return changes
