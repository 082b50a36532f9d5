"""Every invariant the database can hold is a constraint: each one refuses bad data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from catalog.models import Order
from tests import factories as f

pytestmark = pytest.mark.django_db


def refused(build, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(**kwargs)


@pytest.mark.parametrize(
    ("factory", "kwargs"),
    [
        (f.SKUFactory, {"list_price": Decimal("-1")}),
        (f.SKUFactory, {"unit_cost": Decimal("-0.01")}),
        (f.SKUFactory, {"stock_on_hand": -1}),
        (f.ChannelFactory, {"commission_rate": Decimal("100.01")}),
        (f.ChannelFactory, {"commission_rate": Decimal("-1")}),
        (f.ChannelSpendFactory, {"spend": Decimal("-5")}),
        (f.OrderFactory, {"paid_total": Decimal("-1")}),
        (f.OrderFactory, {"discount_total": Decimal("-1")}),
        (f.OrderFactory, {"status": Order.Status.PAID, "paid_at": None}),
        (f.OrderLineFactory, {"quantity": 0}),
        (f.OrderLineFactory, {"unit_price": Decimal("-1")}),
        (f.ReviewFactory, {"rating": 0}),
        (f.ReviewFactory, {"rating": 6}),
        (f.ReturnFactory, {"quantity": 0}),
        (f.ReturnFactory, {"refund_amount": Decimal("-1")}),
        (f.PointsEntryFactory, {"delta": 0}),
        (f.PointsEntryFactory, {"delta": -10, "balance_after": -10}),
        (f.CommunityGroupFactory, {"capacity": 0}),
        (f.CouponTemplateFactory, {"kind": "percent_off", "value": Decimal("101")}),
        (f.CouponTemplateFactory, {"value": Decimal("-1")}),
        (f.CouponTemplateFactory, {"kind": "nth_item", "value": Decimal("50"), "nth_item": 1}),
        (f.CouponTemplateFactory, {"total_limit": 5, "used_count": 6}),
        (f.CouponTemplateFactory, {"budget": Decimal("100"), "discount_given": Decimal("100.01")}),
        (f.CouponTemplateFactory, {"per_customer_limit": 0}),
        (f.CampaignFactory, {"holdout_percent": Decimal("100.5")}),
        (f.CampaignFactory, {"holdout_percent": Decimal("-1")}),
        (f.CampaignFactory, {"audience_segment": None}),
        (f.ExperimentFactory, {"allocation_percent": Decimal("120")}),
        (f.ExperimentVariantFactory, {"weight": Decimal("101")}),
        (f.AutomationFactory, {"holdout_percent": Decimal("101")}),
        (f.AutomationFactory, {"trigger_days": None}),
        (f.CustomerScoreFactory, {"r_score": 6}),
        (f.CustomerScoreFactory, {"m_score": 0}),
        (f.CustomerScoreFactory, {"p_alive": 1.5}),
        (f.ProductAffinityFactory, {"support": 1.2}),
        (f.TierFactory, {"points_multiplier": Decimal("0")}),
    ],
    ids=lambda v: getattr(v, "__name__", None) or ",".join(f"{k}={v[k]}" for k in v),
)
def test_check_constraint_refuses_bad_value(factory, kwargs):
    refused(factory, **kwargs)


def test_customer_points_balance_cannot_go_negative():
    customer = f.CustomerFactory()
    customer.points_balance = -1
    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


def test_unique_external_ids_and_codes():
    customer = f.CustomerFactory(external_id="C1")
    refused(f.CustomerFactory, external_id="C1")
    f.OrderFactory(external_id="O1", customer=customer)
    refused(f.OrderFactory, external_id="O1", customer=customer)
    f.SKUFactory(code="SKU-1")
    refused(f.SKUFactory, code="SKU-1")
    f.CouponFactory(code="ABCDEF")
    refused(f.CouponFactory, code="ABCDEF")


def test_points_idempotency_key_is_unique():
    entry = f.PointsEntryFactory(idempotency_key="order:O1")
    refused(f.PointsEntryFactory, customer=entry.customer, idempotency_key="order:O1")


def test_one_redemption_per_coupon_and_order():
    redemption = f.RedemptionFactory()
    refused(
        f.RedemptionFactory,
        coupon=redemption.coupon,
        order=redemption.order,
        customer=redemption.customer,
    )


def test_one_recipient_row_per_campaign_and_customer():
    recipient = f.CampaignRecipientFactory()
    refused(f.CampaignRecipientFactory, campaign=recipient.campaign, customer=recipient.customer)


def test_one_active_membership_per_group_but_history_is_kept():
    membership = f.GroupMembershipFactory()
    refused(f.GroupMembershipFactory, customer=membership.customer, group=membership.group)
    membership.left_at = membership.joined_at + timedelta(days=3)
    membership.save()
    again = f.GroupMembershipFactory(customer=membership.customer, group=membership.group)
    assert again.pk != membership.pk


def test_membership_cannot_end_before_it_starts():
    now = timezone.now()
    refused(f.GroupMembershipFactory, joined_at=now, left_at=now - timedelta(seconds=1))


def test_channel_spend_is_one_row_per_channel_and_day():
    spend = f.ChannelSpendFactory()
    refused(f.ChannelSpendFactory, channel=spend.channel, date=spend.date)


def test_daily_kpi_is_one_value_per_cell():
    kpi = f.DailyKPIFactory(metric="gmv", dimension="all", dimension_value="")
    refused(f.DailyKPIFactory, date=kpi.date, metric="gmv", dimension="all", dimension_value="")


def test_review_is_one_per_order_line():
    review = f.ReviewFactory()
    refused(f.ReviewFactory, order_line=review.order_line)


def test_kpi_target_period_must_be_ordered():
    today = timezone.localdate()
    refused(f.KpiTargetFactory, period_start=today, period_end=today - timedelta(days=1))


def test_affinity_pair_must_be_two_products():
    product = f.ProductFactory()
    refused(f.ProductAffinityFactory, product_a=product, product_b=product)


def test_coupon_cannot_expire_before_issue():
    now = timezone.now()
    refused(f.CouponFactory, issued_at=now, expires_at=now - timedelta(days=1))


def test_deleting_history_is_protected():
    line = f.OrderLineFactory()
    with pytest.raises(ProtectedError):
        line.order.customer.delete()
    with pytest.raises(ProtectedError):
        line.sku.delete()
    entry = f.PointsEntryFactory()
    with pytest.raises(ProtectedError):
        entry.customer.delete()
    redemption = f.RedemptionFactory()
    with pytest.raises(ProtectedError):
        redemption.order.delete()
    with pytest.raises(ProtectedError):
        redemption.coupon.delete()


def test_paid_queryset_is_paid_shipped_and_completed():
    statuses = ["pending", "paid", "shipped", "completed", "cancelled", "refunded"]
    for status in statuses:
        f.OrderFactory(status=status, paid_at=timezone.now() if status != "pending" else None)
    assert sorted(Order.objects.paid().values_list("status", flat=True)) == [
        "completed",
        "paid",
        "shipped",
    ]
