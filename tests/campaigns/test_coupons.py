"""Coupon services: every refusal has its code, counters agree with the rows, refunds
give the usage back."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from campaigns.discounts import CartLine
from campaigns.models import Coupon, CouponTemplate, Redemption
from campaigns.services import (
    CouponError,
    coupon_create_public,
    coupon_quote,
    coupon_redeem,
    coupon_redemptions_reverse,
    coupons_issue,
)
from campaigns.services.coupons import CODE_ALPHABET, CODE_LENGTH, template_redemption_totals
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 6, 15, 12))


@pytest.fixture
def sku():
    return f.SKUFactory(product=f.ProductFactory(category=f.CategoryFactory(name="Home")))


def paid_order(sku, customer, *, quantity=2, price="60.00", shipping="10.00"):
    order = f.OrderFactory(customer=customer, created_at=NOW, shipping_total=D(shipping))
    f.OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=D(price))
    return order


def template(**fields):
    defaults = {"kind": "threshold", "value": D("50"), "min_spend": D("99"), "valid_days": None}
    return f.CouponTemplateFactory(**{**defaults, **fields})


def refusal(call) -> str:
    with pytest.raises(CouponError) as error:
        call()
    return error.value.code


def test_issued_codes_are_unguessable_unique_and_expire_with_the_template(sku):
    offer = template(valid_days=7)
    customers = [f.CustomerFactory() for _ in range(50)]
    coupons = coupons_issue(template=offer, customers=customers, issued_at=NOW)
    codes = {c.code for c in coupons}
    assert len(codes) == 50
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert {c.expires_at for c in coupons} == {NOW + timedelta(days=7)}
    assert Coupon.objects.filter(template=offer, status="issued").count() == 50


def test_redeem_records_and_counts_under_the_limits(sku):
    offer = template(total_limit=10, budget=D("500"))
    customer = f.CustomerFactory()
    [coupon] = coupons_issue(template=offer, customers=[customer], issued_at=NOW)
    order = paid_order(sku, customer)  # 120 of goods: 满99减50 applies
    redemption = coupon_redeem(code=coupon.code.lower(), order=order, at=NOW)  # case-insensitive
    assert (redemption.discount_amount, redemption.customer) == (D("50.00"), customer)
    offer.refresh_from_db()
    coupon.refresh_from_db()
    assert (offer.used_count, offer.discount_given) == (1, D("50.00"))
    assert (coupon.times_used, coupon.status) == (1, "redeemed")
    assert template_redemption_totals(offer) == {"redemptions": 1, "discount": D("50.00")}


def test_every_refusal_has_its_code(sku):
    customer, other = f.CustomerFactory(), f.CustomerFactory()
    order = paid_order(sku, customer)

    assert refusal(lambda: coupon_redeem(code="NOPE", order=order)) == "unknown"

    late = template(valid_until=NOW - timedelta(days=1), valid_from=NOW - timedelta(days=9))
    [c] = coupons_issue(template=late, customers=[customer], issued_at=NOW - timedelta(days=5))
    assert refusal(lambda: coupon_redeem(code=c.code, order=order, at=NOW)) == "expired"

    early = template(valid_from=NOW + timedelta(days=1))
    [c] = coupons_issue(template=early, customers=[customer], issued_at=NOW)
    assert refusal(lambda: coupon_redeem(code=c.code, order=order, at=NOW)) == "not_yet_valid"

    dear = template(min_spend=D("200"))
    [c] = coupons_issue(template=dear, customers=[customer], issued_at=NOW)
    assert refusal(lambda: coupon_redeem(code=c.code, order=order, at=NOW)) == "min_spend_not_met"

    elsewhere = template(kind="amount_off", value=D("5"), min_spend=D("0"))
    elsewhere.applicable_categories.add(f.CategoryFactory(name="Toys"))
    [c] = coupons_issue(template=elsewhere, customers=[customer], issued_at=NOW)
    assert refusal(lambda: coupon_redeem(code=c.code, order=order, at=NOW)) == "not_applicable"

    [theirs] = coupons_issue(template=template(), customers=[other], issued_at=NOW)
    assert (
        refusal(lambda: coupon_redeem(code=theirs.code, order=order, at=NOW)) == "not_your_coupon"
    )

    group_only = template(group=f.CommunityGroupFactory())
    [c] = coupons_issue(template=group_only, customers=[customer], issued_at=NOW)
    assert refusal(lambda: coupon_redeem(code=c.code, order=order, at=NOW)) == "not_your_coupon"
    f.GroupMembershipFactory(group=group_only.group, customer=customer)
    assert coupon_redeem(code=c.code, order=order, at=NOW).discount_amount == D("50.00")

    again = template(stackable=True, kind="amount_off", value=D("1"), min_spend=D("0"))
    [c] = coupons_issue(template=again, customers=[customer], issued_at=NOW)
    assert refusal(lambda: coupon_redeem(code=c.code, order=order, at=NOW)) == "not_stackable"

    pending = f.OrderFactory(customer=customer, status="pending", created_at=NOW)
    assert refusal(lambda: coupon_redeem(code=c.code, order=pending, at=NOW)) == "order_not_paid"


def test_a_code_is_used_once_per_order_and_within_the_per_customer_limit(sku):
    offer = template(per_customer_limit=2, stackable=True)
    public = coupon_create_public(template=offer, code="summer50")
    customer = f.CustomerFactory()
    first, second, third = (paid_order(sku, customer) for _ in range(3))
    coupon_redeem(code="SUMMER50", order=first, at=NOW)
    assert refusal(lambda: coupon_redeem(code="SUMMER50", order=first, at=NOW)) == (
        "already_used_on_order"
    )
    coupon_redeem(code="SUMMER50", order=second, at=NOW)
    assert refusal(lambda: coupon_redeem(code="SUMMER50", order=third, at=NOW)) == (
        "customer_limit_reached"
    )
    # another customer still may; the public code stays issued
    coupon_redeem(code="SUMMER50", order=paid_order(sku, f.CustomerFactory()), at=NOW)
    public.refresh_from_db()
    assert (public.status, public.times_used) == ("issued", 3)


def test_total_limit_and_budget(sku):
    offer = template(total_limit=1, per_customer_limit=5)
    coupon_create_public(template=offer, code="ONLY1")
    coupon_redeem(code="ONLY1", order=paid_order(sku, f.CustomerFactory()), at=NOW)
    assert (
        refusal(
            lambda: coupon_redeem(code="ONLY1", order=paid_order(sku, f.CustomerFactory()), at=NOW)
        )
        == "limit_reached"
    )

    capped = template(budget=D("80"), per_customer_limit=5)
    coupon_create_public(template=capped, code="BUDGET")
    assert coupon_redeem(
        code="BUDGET", order=paid_order(sku, f.CustomerFactory()), at=NOW
    ).discount_amount == D("50.00")
    # 30 left of the budget: the next one gets 30, then nothing is left
    assert coupon_redeem(
        code="BUDGET", order=paid_order(sku, f.CustomerFactory()), at=NOW
    ).discount_amount == D("30.00")
    assert (
        refusal(
            lambda: coupon_redeem(code="BUDGET", order=paid_order(sku, f.CustomerFactory()), at=NOW)
        )
        == "budget_exhausted"
    )


def test_quote_says_the_same_without_writing(sku):
    offer = template(kind="percent_off", value=D("10"), min_spend=D("0"), max_discount=D("8"))
    customer = f.CustomerFactory()
    [coupon] = coupons_issue(template=offer, customers=[customer], issued_at=NOW)
    lines = [CartLine(sku.product_id, sku.product.category_id, 2, D("60.00"))]
    quote = coupon_quote(code=coupon.code, customer=customer, lines=lines, at=NOW)
    assert (quote.discount, quote.eligible_subtotal) == (D("8.00"), D("120.00"))
    assert refusal(lambda: coupon_quote(code=coupon.code, customer=None, lines=lines, at=NOW)) == (
        "not_your_coupon"
    )
    assert Redemption.objects.count() == 0
    assert CouponTemplate.objects.get(pk=offer.pk).used_count == 0


def test_reversing_a_refunded_order_gives_the_usage_back(sku):
    keeps = template(free_usage_on_refund=False)
    gives = template(stackable=True, kind="amount_off", value=D("5"), min_spend=D("0"))
    customer = f.CustomerFactory()
    order = paid_order(sku, customer)
    [kept] = coupons_issue(template=gives, customers=[customer], issued_at=NOW)
    coupon_redeem(code=kept.code, order=order, at=NOW)
    public = coupon_create_public(template=keeps, code="NOREFUND")
    assert coupon_redemptions_reverse(order=order, at=NOW) == 1
    gives.refresh_from_db()
    kept.refresh_from_db()
    assert (gives.used_count, gives.discount_given) == (0, D("0.00"))
    assert (kept.status, kept.times_used) == ("issued", 0)
    assert Redemption.objects.get(coupon=kept).reversed_at == NOW
    # the coupon may be used again on a new order
    coupon_redeem(code=kept.code, order=paid_order(sku, customer), at=NOW)
    # a template that keeps the usage: reversed, still counted
    other = paid_order(sku, customer)
    coupon_redeem(code=public.code, order=other, at=NOW)
    coupon_redemptions_reverse(order=other, at=NOW)
    keeps.refresh_from_db()
    assert keeps.used_count == 1 and template_redemption_totals(keeps)["redemptions"] == 0
