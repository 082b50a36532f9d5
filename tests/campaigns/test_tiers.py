"""Tiers: upgrade at once after a qualifying order, downgrade nightly after the grace
period, history kept."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from campaigns.services import loyalty_order_paid, loyalty_tiers_evaluate, tier_set
from campaigns.services.tiers import qualifies, qualifying_tier
from campaigns.tasks import evaluate_tiers
from customers.models import MembershipTier, TierChange
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 6, 15, 12))


@pytest.fixture
def tiers():
    return {
        "Regular": f.TierFactory(name="Regular", rank=0, min_spend_12m=D("0")),
        "Silver": f.TierFactory(name="Silver", rank=1, min_spend_12m=D("1000")),
        "Gold": f.TierFactory(
            name="Gold",
            rank=2,
            min_spend_12m=D("5000"),
            min_points=8000,
            qualify_by="spend_or_points",
            points_multiplier=D("1.5"),
        ),
    }


def order(customer, total, days_ago):
    return f.OrderFactory(
        customer=customer, created_at=NOW - timedelta(days=days_ago), paid_total=D(total)
    )


def test_qualifying_rules():
    tier = MembershipTier(min_spend_12m=D("100"), min_points=50, qualify_by="spend_and_points")
    assert qualifies(tier, D("100"), 50) and not qualifies(tier, D("100"), 49)
    tier.qualify_by = "spend_or_points"
    assert qualifies(tier, D("0"), 50) and not qualifies(tier, D("99.99"), 49)
    tier.qualify_by = "points"
    assert qualifies(tier, D("0"), 50)
    assert qualifying_tier([], D("1"), 1) is None


def test_an_order_that_lifts_the_12_month_spend_upgrades_at_once(tiers):
    customer = f.CustomerFactory(tier=tiers["Regular"])
    order(customer, "600", days_ago=500)  # more than 12 months before both orders
    loyalty_order_paid(order=order(customer, "700", days_ago=100))
    customer.refresh_from_db()
    assert customer.tier == tiers["Regular"]
    last = order(customer, "300", days_ago=0)
    loyalty_order_paid(order=last)
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_since) == (tiers["Silver"], last.paid_at)
    change = TierChange.objects.get(customer=customer)
    assert (change.from_tier, change.to_tier, change.reason, change.spend_12m) == (
        tiers["Regular"], tiers["Silver"], "upgrade", D("1000.00"),
    )  # fmt: skip


def test_nightly_downgrade_waits_for_the_grace_period(tiers, settings):
    settings.LOYALTY = {**settings.LOYALTY, "TIER_GRACE_DAYS": 30}
    long_gold = f.CustomerFactory()
    tier_set(customer=long_gold, tier=tiers["Gold"], reason="manual", at=NOW - timedelta(days=60))
    order(long_gold, "1200", days_ago=10)  # qualifies for Silver only
    new_gold = f.CustomerFactory()
    tier_set(customer=new_gold, tier=tiers["Gold"], reason="manual", at=NOW - timedelta(days=10))
    climber = f.CustomerFactory(tier=tiers["Regular"])
    order(climber, "6000", days_ago=3)
    unchanged = f.CustomerFactory(tier=tiers["Regular"])

    counts = loyalty_tiers_evaluate(at=NOW)
    assert counts == {"upgraded": 1, "downgraded": 1, "kept_in_grace": 1}
    for customer, tier in ((long_gold, "Silver"), (new_gold, "Gold"), (climber, "Gold"),
                           (unchanged, "Regular")):  # fmt: skip
        customer.refresh_from_db()
        assert customer.tier == tiers[tier], customer
    assert TierChange.objects.filter(customer=long_gold, reason="downgrade").count() == 1
    # a second run changes nothing
    assert loyalty_tiers_evaluate(at=NOW) == {"upgraded": 0, "downgraded": 0, "kept_in_grace": 1}


def test_points_can_qualify_where_the_tier_says_so(tiers):
    from customers.services import points_award

    customer = f.CustomerFactory(tier=tiers["Regular"])
    points_award(customer=customer, points=8000, reason="referral", idempotency_key="r", at=NOW)
    assert loyalty_tiers_evaluate(at=NOW)["upgraded"] == 1
    customer.refresh_from_db()
    assert customer.tier == tiers["Gold"]


def test_the_nightly_task_runs_the_evaluation(tiers):
    customer = f.CustomerFactory(tier=None)
    assert evaluate_tiers.delay().get()["upgraded"] == 1
    customer.refresh_from_db()
    assert customer.tier == tiers["Regular"]
