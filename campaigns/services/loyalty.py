"""Loyalty on orders: points when an order is paid, everything undone when it is refunded
or cancelled (its coupon redemptions and the points it earned)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.db import transaction

from campaigns.services.coupons import coupon_redemptions_reverse
from campaigns.services.tiers import loyalty_tier_upgrade
from catalog.models import Order
from customers.models import PointsEntry
from customers.services import points_award, points_claw_back

Reason = PointsEntry.Reason


def order_points(order: Order) -> int:
    """floor(paid total × points per yuan × the customer's tier multiplier)."""
    tier = order.customer.tier if order.customer_id else None
    multiplier = tier.points_multiplier if tier else Decimal(1)
    per_yuan = Decimal(str(settings.LOYALTY["POINTS_PER_YUAN"]))
    return int((order.paid_total * per_yuan * multiplier).to_integral_value(ROUND_FLOOR))


def loyalty_order_paid(*, order: Order) -> PointsEntry | None:
    """Award the points of a paid order, once (the order is the idempotency key), and
    upgrade the customer's tier at once if the order lifts them."""
    if order.customer_id is None or order.status not in Order.PAID_STATUSES:
        return None
    points = order_points(order)
    if points <= 0:
        loyalty_tier_upgrade(customer=order.customer, at=order.paid_at)
        return None
    entry = points_award(
        customer=order.customer_id,
        points=points,
        reason=Reason.ORDER,
        idempotency_key=f"order:{order.pk}",
        reference=order.external_id,
        at=order.paid_at,
    )
    loyalty_tier_upgrade(customer=order.customer, at=order.paid_at)  # upgrades happen at once
    return entry


@transaction.atomic
def loyalty_order_reversed(*, order: Order) -> dict:
    """Undo what a refunded or cancelled order gave: its coupon redemptions (usage back
    where the template says so) and the points it earned (as far as they are unspent)."""
    redemptions = coupon_redemptions_reverse(order=order)
    earned = PointsEntry.objects.filter(idempotency_key=f"order:{order.pk}").first()
    taken = None
    if earned is not None:
        taken = points_claw_back(
            customer=order.customer_id,
            points=earned.delta,
            reason=Reason.ORDER,
            idempotency_key=f"order-reversal:{order.pk}",
            reference=order.external_id,
            note=f"order {order.external_id} {order.get_status_display()}",
        )
    return {"redemptions_reversed": redemptions, "points_taken_back": -taken.delta if taken else 0}
