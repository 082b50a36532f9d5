"""Delivery shared by campaigns and automations: issue each recipient's coupon, render
their message, hand the batch to the channel backend and log every message.

The caller locks the recipient rows, passes them in, and saves ``coupon`` and
``contacted_at`` (set here) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from analytics.models import Recommendation
from campaigns.channels import Outgoing
from campaigns.discounts import describe
from campaigns.messages import render
from campaigns.models import CouponTemplate, Message
from campaigns.services.coupons import coupon_expiry, coupons_issue, offer_of
from customers.models import Customer
from ecomops.bulk import insert_objects


def prepare(
    recipients: Sequence,
    *,
    template: CouponTemplate | None,
    text: str,
    key: str,
    at: datetime,
) -> list[Outgoing]:
    """Issue coupons to ``recipients`` (objects with ``customer_id``, ``coupon`` and
    ``contacted_at``) and render one message each, keyed ``<key>:<customer id>``."""
    customer_ids = [r.customer_id for r in recipients]
    people = {
        row["pk"]: row
        for row in Customer.objects.filter(pk__in=customer_ids).values(
            "pk", "name", "email", "phone", "external_id", "tier__name"
        )
    }
    products = recommended_products(customer_ids)
    coupons = {}
    offer_text = ""
    if template is not None:
        issued = coupons_issue(template=template, customers=customer_ids, issued_at=at)
        coupons = {coupon.customer_id: coupon for coupon in issued}
        offer_text = describe(offer_of(template))
    outgoing = []
    for recipient in recipients:
        coupon = coupons.get(recipient.customer_id)
        recipient.coupon = coupon
        recipient.contacted_at = at
        person = people[recipient.customer_id]
        context = message_context(
            person,
            coupon_code=coupon.code if coupon else "",
            expires_at=coupon.expires_at if coupon else None,
            offer=offer_text,
            products=products.get(recipient.customer_id, []),
        )
        outgoing.append(
            Outgoing(
                key=f"{key}:{recipient.customer_id}",
                customer_id=recipient.customer_id,
                email=person["email"],
                phone=person["phone"],
                external_id=person["external_id"],
                body=render(text, context),
            )
        )
    return outgoing


def message_context(
    person: dict, *, coupon_code: str, expires_at: datetime | None, offer: str, products: list[str]
) -> dict[str, str]:
    """The placeholders of ``campaigns.messages`` for one customer (``person``: a values()
    row with ``name`` and ``tier__name``)."""
    return {
        "name": person["name"] or "there",
        "tier": person["tier__name"] or "",
        "coupon_code": coupon_code,
        "coupon_expires": timezone.localdate(expires_at).isoformat() if expires_at else "",
        "offer": offer,
        "products": ", ".join(products),
    }


SAMPLE_COUPON_CODE = "SAMPLE-CODE"


def message_preview(
    *, text: str, template: CouponTemplate | None, customer_id: int, at: datetime | None = None
) -> str:
    """``text`` as the customer ``customer_id`` would receive it, without issuing anything:
    the coupon code is ``SAMPLE-CODE`` and it expires as one issued at ``at`` would."""
    at = at or timezone.now()
    person = Customer.objects.filter(pk=customer_id).values("name", "tier__name").first()
    if person is None:
        return render(text, {})
    expires_at = None
    offer_text = ""
    if template is not None:
        offer_text = describe(offer_of(template))
        expires_at = coupon_expiry(template, at)
    context = message_context(
        person,
        coupon_code=SAMPLE_COUPON_CODE if template is not None else "",
        expires_at=expires_at,
        offer=offer_text,
        products=recommended_products([customer_id]).get(customer_id, []),
    )
    return render(text, context)


def save_contacts(model, recipients: Sequence, at: datetime) -> None:
    """Store each recipient's coupon and ``contacted_at`` (set by :func:`prepare`).

    On PostgreSQL one ``UPDATE ... FROM unnest(...)`` does it (``bulk_update`` builds a
    CASE of a thousand branches in Python, a second per chunk); elsewhere ``bulk_update``."""
    if not recipients:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(recipients, ["coupon", "contacted_at"], batch_size=1000)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} AS r SET coupon_id = v.coupon_id, contacted_at = %s
                FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, coupon_id) WHERE r.id = v.id""",
            [at, [r.pk for r in recipients], [r.coupon_id for r in recipients]],
        )


def send_and_record(
    outgoing: list[Outgoing], backend, *, channel: str, at: datetime, campaign=None, automation=None
) -> int:
    """Send the batch and log each message (status sent or failed, with the reason)."""
    if not outgoing:
        return 0
    results = backend.send(outgoing)
    insert_objects(
        Message,
        [
            Message(
                key=message.key,
                customer_id=message.customer_id,
                campaign=campaign,
                automation=automation,
                channel=channel,
                body=message.body,
                status=Message.Status.FAILED if results.get(message.key) else Message.Status.SENT,
                error=(results.get(message.key) or "")[:255],
                sent_at=at,
            )
            for message in outgoing
        ],
    )
    return len(outgoing)


def recommended_products(customer_ids: list[int]) -> dict[int, list[str]]:
    """Each customer's top recommended product names (``CAMPAIGNS["MESSAGE_PRODUCTS"]``)."""
    top = settings.CAMPAIGNS["MESSAGE_PRODUCTS"]
    rows = (
        Recommendation.objects.filter(customer_id__in=customer_ids, rank__lte=top)
        .order_by("customer_id", "rank")
        .values_list("customer_id", "product__name")
    )
    names: dict[int, list[str]] = {}
    for customer_id, name in rows:
        names.setdefault(customer_id, []).append(name)
    return names
