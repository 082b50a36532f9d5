"""Points on paid orders with the tier multiplier; a refund undoes coupons and points."""

from datetime import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from campaigns.models import CouponTemplate, Redemption
from campaigns.services import (
    coupon_redeem,
    coupons_issue,
    loyalty_order_paid,
    loyalty_order_reversed,
    order_points,
)
from customers.models import PointsEntry
from customers.services import points_spend
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 6, 15, 12))


def gold_customer():
    gold = f.TierFactory(name="Gold", rank=2, points_multiplier=D("1.50"))
    return f.CustomerFactory(tier=gold)


def test_points_are_floor_of_paid_total_times_the_tier_multiplier(settings):
    customer = gold_customer()
    order = f.OrderFactory(customer=customer, created_at=NOW, paid_total=D("199.90"))
    assert order_points(order) == 299  # 199.90 × 1.5 = 299.85
    settings.LOYALTY = {"POINTS_PER_YUAN": 2}
    assert order_points(order) == 599  # 599.70
    plain = f.OrderFactory(customer=f.CustomerFactory(), paid_total=D("10.99"))
    settings.LOYALTY = {"POINTS_PER_YUAN": 1}
    assert order_points(plain) == 10


def test_a_paid_order_awards_once_and_unpaid_or_guest_orders_nothing():
    customer = gold_customer()
    order = f.OrderFactory(customer=customer, created_at=NOW, paid_total=D("100"))
    first = loyalty_order_paid(order=order)
    assert (first.delta, first.reference, first.reason) == (150, order.external_id, "order")
    assert loyalty_order_paid(order=order).pk == first.pk
    customer.refresh_from_db()
    assert customer.points_balance == 150
    pending = f.OrderFactory(customer=customer, status="pending", paid_total=D("100"))
    assert loyalty_order_paid(order=pending) is None
    guest = f.OrderFactory(customer=None, paid_total=D("100"))
    assert loyalty_order_paid(order=guest) is None


def test_a_refund_reverses_the_coupon_and_takes_back_the_unspent_points():
    customer = gold_customer()
    order = f.OrderFactory(customer=customer, created_at=NOW, paid_total=D("120"))
    f.OrderLineFactory(order=order, quantity=2, unit_price=D("60"))
    offer = f.CouponTemplateFactory(kind="threshold", value=D("50"), min_spend=D("99"))
    [coupon] = coupons_issue(template=offer, customers=[customer], issued_at=NOW)
    coupon_redeem(code=coupon.code, order=order, at=NOW)
    loyalty_order_paid(order=order)  # 180 points
    points_spend(customer=customer, points=100, reason="redemption", idempotency_key="mall")
    order.status = "refunded"
    order.save(update_fields=["status"])

    result = loyalty_order_reversed(order=order)
    assert result == {"redemptions_reversed": 1, "points_taken_back": 80}
    assert loyalty_order_reversed(order=order) == {
        "redemptions_reversed": 0,
        "points_taken_back": 80,
    }
    customer.refresh_from_db()
    assert customer.points_balance == 0
    clawback = PointsEntry.objects.get(idempotency_key=f"order-reversal:{order.pk}")
    assert clawback.delta == -80 and "100 already spent" in clawback.note
    assert Redemption.objects.get(coupon=coupon).reversed_at is not None
    assert CouponTemplate.objects.get(pk=offer.pk).used_count == 0
