"""Loyalty on orders: points when an order is paid, everything undone when it is refunded
or cancelled (its coupon redemptions and the points it earned)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from campaigns.models import Coupon, Redemption, Reward
from campaigns.services.coupons import coupon_redemptions_reverse, coupons_issue
from campaigns.services.tiers import loyalty_tier_upgrade
from catalog.models import Order
from customers.errors import ServiceError
from customers.models import Customer, PointsEntry
from customers.services import (
    PointsError,
    points_award,
    points_claw_back,
    points_expire,
    points_spend,
)

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
        referral_credit(order=order)
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
    referral_credit(order=order)
    return entry


def referral_credit(*, order: Order) -> PointsEntry | None:
    """Points to the referrer when a referred customer pays their first order (once per
    referred customer, whatever is retried)."""
    customer = order.customer
    bonus = settings.LOYALTY["REFERRAL_POINTS"]
    if customer is None or customer.referred_by_id is None or bonus <= 0:
        return None
    first = (
        Order.objects.paid()
        .filter(customer_id=customer.pk)
        .order_by("paid_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if first != order.pk:
        return None
    return points_award(
        customer=customer.referred_by_id,
        points=bonus,
        reason=Reason.REFERRAL,
        idempotency_key=f"referral:{customer.pk}",
        reference=customer.external_id,
        note=f"first order {order.external_id} of referred customer {customer.external_id}",
        at=order.paid_at,
    )


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


class RewardError(ServiceError):
    UNAVAILABLE = "reward_unavailable"
    OUT_OF_STOCK = "out_of_stock"
    TIER_TOO_LOW = "tier_too_low"
    INSUFFICIENT = "insufficient_points"


def points_mall_exchange(
    *, customer: Customer | int, reward: Reward | int, idempotency_key: str, at=None
) -> Coupon:
    """Exchange points for a reward's coupon: the points are spent and the coupon issued
    in one transaction, under the reward's row lock (stock never goes below 0). A repeated
    call with the same key returns the coupon of the first."""
    at = at or timezone.now()
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    key = f"mall:{idempotency_key}"
    done = PointsEntry.objects.filter(idempotency_key=key).first()
    if done is not None:
        return Coupon.objects.get(code=done.reference)
    with transaction.atomic():
        reward = (
            Reward.objects.select_for_update(of=("self",))
            .select_related("coupon_template", "min_tier")
            .get(pk=reward.pk if isinstance(reward, Reward) else reward)
        )
        if not reward.active or not reward.coupon_template.active:
            raise RewardError(RewardError.UNAVAILABLE, f"{reward.name} is not available")
        if reward.stock is not None and reward.stock <= 0:
            raise RewardError(RewardError.OUT_OF_STOCK, f"{reward.name} is out of stock")
        person = Customer.objects.select_related("tier").get(pk=customer_id)
        if reward.min_tier and (person.tier is None or person.tier.rank < reward.min_tier.rank):
            raise RewardError(
                RewardError.TIER_TOO_LOW,
                f"{reward.name} is for {reward.min_tier} members and above",
            )
        (coupon,) = coupons_issue(
            template=reward.coupon_template, customers=[customer_id], issued_at=at
        )
        try:
            points_spend(
                customer=customer_id, points=reward.points_cost, reason=Reason.REDEMPTION,
                idempotency_key=key, reference=coupon.code, note=f"points mall: {reward.name}", at=at,
            )  # fmt: skip
        except PointsError as error:
            raise RewardError(RewardError.INSUFFICIENT, error.message) from error
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
    return coupon


def loyalty_points_expire(*, at=None) -> dict:
    """Expire points older than ``LOYALTY["POINTS_EXPIRY_MONTHS"]``, oldest first, for
    every customer who still holds some (the nightly task; safe to run twice)."""
    at = at or timezone.now()
    months = settings.LOYALTY["POINTS_EXPIRY_MONTHS"]
    cutoff = at - relativedelta(months=months)
    holders = (
        PointsEntry.objects.filter(
            delta__gt=0, created_at__lt=cutoff, customer__points_balance__gt=0
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )
    expired = customers = 0
    for customer_id in holders.iterator(chunk_size=2000):
        entry = points_expire(customer=customer_id, cutoff=cutoff, at=at)
        if entry is not None:
            customers += 1
            expired -= entry.delta
    return {"cutoff": cutoff.isoformat(), "customers": customers, "points": expired}


def loyalty_sync(*, since: datetime, at: datetime | None = None) -> dict:
    """Bring loyalty up to date with orders changed since ``since`` (after an import, and
    nightly as a safety net): points for paid orders, reversal of refunded or cancelled
    ones. Only orders paid within ``LOYALTY["AWARD_LOOKBACK_DAYS"]`` earn points, so an
    import of old history does not hand out points for it. Every step is idempotent."""
    at = at or timezone.now()
    lookback = at - timedelta(days=settings.LOYALTY["AWARD_LOOKBACK_DAYS"])
    changed = Order.objects.filter(updated_at__gte=since, customer__isnull=False)
    awarded = reversed_ = 0
    paid = (
        changed.paid()
        .filter(paid_at__gte=lookback)
        .exclude(_entry_exists("order:"))  # awarded before
        .select_related("customer__tier")
    )
    for order in paid.order_by("paid_at", "pk").iterator(chunk_size=1000):
        if loyalty_order_paid(order=order) is not None:
            awarded += 1
    open_redemption = Exists(
        Redemption.objects.filter(order_id=OuterRef("pk"), reversed_at__isnull=True)
    )
    undone = changed.filter(status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED]).filter(
        open_redemption | (_entry_exists("order:") & ~_entry_exists("order-reversal:"))
    )
    for order in undone.order_by("pk").iterator(chunk_size=1000):
        result = loyalty_order_reversed(order=order)
        if result["redemptions_reversed"] or result["points_taken_back"]:
            reversed_ += 1
    return {"orders_awarded": awarded, "orders_reversed": reversed_}


def _entry_exists(prefix: str) -> Exists:
    """The order has a ledger entry keyed ``<prefix><order id>`` (the keys of
    ``loyalty_order_paid`` and ``loyalty_order_reversed``)."""
    key = Concat(Value(prefix), Cast(OuterRef("pk"), CharField()))
    return Exists(PointsEntry.objects.filter(idempotency_key=key))
