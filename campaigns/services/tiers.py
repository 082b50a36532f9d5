"""Membership tiers: who qualifies, upgrades at once, downgrades only at the nightly
evaluation and only after a grace period; every move is kept as a ``TierChange``.

A customer qualifies for a tier by their rolling 12-month spend (Σ paid totals of paid
orders in the 365 days ending at the evaluation) and/or the points they earned in those
days (Σ positive ledger rows), as the tier's ``qualify_by`` says. Their qualifying tier is
the highest one they qualify for. An upgrade happens as soon as an order lifts them (see
``loyalty_order_paid``) or at the nightly run; a downgrade happens only at the nightly run
and only when they have held their tier for ``LOYALTY["TIER_GRACE_DAYS"]`` days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Order
from customers.models import Customer, MembershipTier, PointsEntry, TierChange

YEAR = timedelta(days=365)
QualifyBy = MembershipTier.QualifyBy


def qualifies(tier: MembershipTier, spend: Decimal, points: int) -> bool:
    by_spend = spend >= tier.min_spend_12m
    by_points = points >= tier.min_points
    return {
        QualifyBy.SPEND: by_spend,
        QualifyBy.POINTS: by_points,
        QualifyBy.SPEND_OR_POINTS: by_spend or by_points,
        QualifyBy.SPEND_AND_POINTS: by_spend and by_points,
    }[tier.qualify_by]


def qualifying_tier(tiers: list[MembershipTier], spend: Decimal, points: int):
    """The highest-ranked of ``tiers`` the customer qualifies for (None if none)."""
    for tier in sorted(tiers, key=lambda t: t.rank, reverse=True):
        if qualifies(tier, spend, points):
            return tier
    return None


def rolling_totals(customer_ids, at: datetime) -> dict[int, tuple[Decimal, int]]:
    """(12-month spend, 12-month points earned) per customer, one grouped query each."""
    since = at - YEAR
    spend = dict(
        Order.objects.paid()
        .filter(customer_id__in=customer_ids, paid_at__gt=since, paid_at__lte=at)
        .values("customer_id")
        .annotate(total=Sum("paid_total"))
        .values_list("customer_id", "total")
    )
    points = dict(
        PointsEntry.objects.filter(
            customer_id__in=customer_ids, delta__gt=0, created_at__gt=since, created_at__lte=at
        )
        .values("customer_id")
        .annotate(total=Sum("delta"))
        .values_list("customer_id", "total")
    )
    return {pk: (spend.get(pk, Decimal(0)), points.get(pk, 0)) for pk in customer_ids}


@transaction.atomic
def tier_set(
    *,
    customer: Customer,
    tier: MembershipTier | None,
    reason: str,
    at: datetime | None = None,
    spend_12m: Decimal | None = None,
    points_12m: int | None = None,
    changed_by=None,
) -> TierChange | None:
    """Move a customer to ``tier`` and record it (None when already there)."""
    at = at or timezone.now()
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.tier_id == (tier.pk if tier else None):
        return None
    change = TierChange.objects.create(
        customer=locked, from_tier_id=locked.tier_id, to_tier=tier, reason=reason,
        spend_12m=spend_12m, points_12m=points_12m, changed_at=at, changed_by=changed_by,
    )  # fmt: skip
    Customer.objects.filter(pk=locked.pk).update(tier=tier, tier_since=at)
    customer.tier, customer.tier_since = tier, at
    return change


def loyalty_tier_upgrade(*, customer: Customer, at: datetime | None = None) -> TierChange | None:
    """Upgrade at once when the customer now qualifies for a higher tier (never down)."""
    at = at or timezone.now()
    spend, points = rolling_totals([customer.pk], at)[customer.pk]
    best = qualifying_tier(list(MembershipTier.objects.all()), spend, points)
    current = customer.tier.rank if customer.tier_id else -1
    if best is None or best.rank <= current:
        return None
    return tier_set(
        customer=customer, tier=best, reason=TierChange.Reason.UPGRADE, at=at,
        spend_12m=spend, points_12m=points,
    )  # fmt: skip


def loyalty_tiers_evaluate(*, at: datetime | None = None, batch_size: int = 2000) -> dict:
    """The nightly evaluation of every customer: upgrades, and downgrades after the grace
    period. Returns the counts."""
    at = at or timezone.now()
    grace = timedelta(days=settings.LOYALTY["TIER_GRACE_DAYS"])
    tiers = list(MembershipTier.objects.all())
    counts = {"upgraded": 0, "downgraded": 0, "kept_in_grace": 0}
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        totals = rolling_totals(chunk, at)
        for customer in Customer.objects.filter(pk__in=chunk).select_related("tier"):
            spend, points = totals[customer.pk]
            best = qualifying_tier(tiers, spend, points)
            current = customer.tier.rank if customer.tier_id else -1
            target = best.rank if best else -1
            if target > current:
                reason = TierChange.Reason.UPGRADE
            elif target < current:
                held_since = customer.tier_since or at
                if at - held_since < grace:
                    counts["kept_in_grace"] += 1
                    continue
                reason = TierChange.Reason.DOWNGRADE
            else:
                continue
            tier_set(
                customer=customer, tier=best, reason=reason, at=at, spend_12m=spend,
                points_12m=points,
            )  # fmt: skip
            counts["upgraded" if reason == TierChange.Reason.UPGRADE else "downgraded"] += 1
    return counts
