"""Points mall, referral credit and points expiry."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from campaigns.models import Coupon, Reward
from campaigns.services import (
    RewardError,
    loyalty_order_paid,
    loyalty_points_expire,
    points_mall_exchange,
)
from customers.models import PointsEntry
from customers.services import points_award
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 6, 15, 12))


@pytest.fixture
def reward():
    return Reward.objects.create(
        name="20 off", points_cost=500, stock=2,
        coupon_template=f.CouponTemplateFactory(kind="amount_off", value=D("20"), min_spend=0),
    )  # fmt: skip


def rich(points=1200):
    customer = f.CustomerFactory()
    points_award(
        customer=customer, points=points, reason="order", idempotency_key=f"seed:{customer.pk}"
    )
    return customer


def test_exchange_spends_points_issues_the_coupon_and_takes_stock(reward):
    customer = rich()
    coupon = points_mall_exchange(customer=customer, reward=reward, idempotency_key="k1", at=NOW)
    customer.refresh_from_db()
    reward.refresh_from_db()
    assert (customer.points_balance, reward.stock) == (700, 1)
    assert coupon.customer == customer and coupon.template == reward.coupon_template
    entry = PointsEntry.objects.get(idempotency_key="mall:k1")
    assert (entry.delta, entry.reference, entry.reason) == (-500, coupon.code, "redemption")
    again = points_mall_exchange(customer=customer, reward=reward, idempotency_key="k1")
    assert again == coupon
    customer.refresh_from_db()
    assert customer.points_balance == 700 and Coupon.objects.count() == 1


def test_refusals_leave_nothing_behind(reward):
    poor = rich(100)
    with pytest.raises(RewardError) as error:
        points_mall_exchange(customer=poor, reward=reward, idempotency_key="p")
    assert error.value.code == "insufficient_points"
    assert not Coupon.objects.exists()  # the coupon issued inside rolled back
    reward.stock = 0
    reward.save()
    with pytest.raises(RewardError) as error:
        points_mall_exchange(customer=rich(), reward=reward, idempotency_key="s")
    assert error.value.code == "out_of_stock"
    gold = f.TierFactory(name="Gold", rank=2)
    reward.stock, reward.min_tier = None, gold
    reward.save()
    with pytest.raises(RewardError) as error:
        points_mall_exchange(customer=rich(), reward=reward, idempotency_key="t")
    assert error.value.code == "tier_too_low"


def test_referrer_gets_points_for_the_first_paid_order_only(settings):
    settings.LOYALTY = {**settings.LOYALTY, "REFERRAL_POINTS": 200}
    referrer = f.CustomerFactory()
    friend = f.CustomerFactory(referred_by=referrer)
    first = f.OrderFactory(customer=friend, status="paid", created_at=NOW, paid_total=D("80"))
    loyalty_order_paid(order=first)
    loyalty_order_paid(order=first)  # retried: still once
    second = f.OrderFactory(customer=friend, status="paid", created_at=NOW + timedelta(days=3))
    loyalty_order_paid(order=second)
    referrer.refresh_from_db()
    assert referrer.points_balance == 200
    entry = PointsEntry.objects.get(customer=referrer)
    assert (entry.reason, entry.idempotency_key) == ("referral", f"referral:{friend.pk}")


def test_points_older_than_the_limit_expire_oldest_first(settings):
    settings.LOYALTY = {**settings.LOYALTY, "POINTS_EXPIRY_MONTHS": 12}
    customer = f.CustomerFactory()
    old = NOW - timedelta(days=400)
    points_award(customer=customer, points=300, reason="order", idempotency_key="old", at=old)
    points_award(
        customer=customer,
        points=100,
        reason="order",
        idempotency_key="new",
        at=NOW - timedelta(days=10),
    )
    from customers.services import points_spend

    points_spend(
        customer=customer,
        points=120,
        reason="redemption",
        idempotency_key="spent",
        at=NOW - timedelta(days=5),
    )
    result = loyalty_points_expire(at=NOW)
    customer.refresh_from_db()
    # 300 old − 120 spent (oldest first) = 180 expire; the 100 recent stay.
    assert (result["customers"], result["points"], customer.points_balance) == (1, 180, 100)
    assert loyalty_points_expire(at=NOW)["points"] == 0  # safe to run twice
