"""Coupons under concurrent redemptions on PostgreSQL (run by `make test-services`).

Each attempt runs in its own thread with its own database connection; the server allows
100 connections, so 60 attempts are in flight at a time.
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection

from campaigns.models import CouponTemplate, Redemption
from campaigns.services import CouponError, coupon_create_public, coupon_redeem, coupons_issue
from tests import factories as f

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
IN_FLIGHT = 60


def attempt(code: str, order_id: int) -> str:
    from catalog.models import Order

    try:
        coupon_redeem(code=code, order=Order.objects.get(pk=order_id))
        return "redeemed"
    except CouponError as error:
        return error.code
    finally:
        connection.close()


def run_all(code: str, order_ids: list[int]) -> Counter:
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        return Counter(pool.map(lambda order_id: attempt(code, order_id), order_ids))


def orders(n: int, customers) -> list[int]:
    sku = f.SKUFactory()
    ids = []
    for i in range(n):
        order = f.OrderFactory(customer=customers[i % len(customers)])
        f.OrderLineFactory(order=order, sku=sku, quantity=2, unit_price=D("60.00"))
        ids.append(order.pk)
    return ids


def test_200_concurrent_redemptions_of_a_coupon_limited_to_50():
    assert connection.vendor == "postgresql"
    offer = f.CouponTemplateFactory(
        kind="threshold", value=D("50"), min_spend=D("99"), total_limit=50, per_customer_limit=1
    )
    coupon_create_public(template=offer, code="RACE50")
    customers = [f.CustomerFactory() for _ in range(200)]
    results = run_all("RACE50", orders(200, customers))
    assert results == Counter({"redeemed": 50, "limit_reached": 150})
    offer.refresh_from_db()
    assert offer.used_count == 50 == Redemption.objects.filter(coupon__template=offer).count()
    assert offer.discount_given == D("2500.00")


def test_20_concurrent_uses_by_one_customer_of_a_once_per_customer_coupon():
    offer = f.CouponTemplateFactory(
        kind="amount_off", value=D("10"), min_spend=D("0"), per_customer_limit=1
    )
    customer = f.CustomerFactory()
    [coupon] = coupons_issue(template=offer, customers=[customer])
    results = run_all(coupon.code, orders(20, [customer]))
    assert results == Counter({"redeemed": 1, "customer_limit_reached": 19})
    assert CouponTemplate.objects.get(pk=offer.pk).used_count == 1
    assert Redemption.objects.filter(coupon=coupon).count() == 1
