"""The redeem race through the API on PostgreSQL (`make test-services`): 200 concurrent
requests for a coupon limited to 50 → exactly 50 × 201 and 150 × 409 limit_reached.

Each request runs in its own thread (its own database connection) through the whole
stack — authentication, throttling, the view, the service's row lock — 60 at a time
(the server allows 100 connections)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection
from rest_framework.test import APIClient

from campaigns.models import Redemption
from campaigns.services import coupon_create_public
from ecomops.services import api_key_create
from tests import factories as f

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_200_concurrent_api_redemptions_of_a_coupon_limited_to_50(settings):
    assert connection.vendor == "postgresql"
    settings.API = {**settings.API, "THROTTLE_RATE": "100000/min"}
    offer = f.CouponTemplateFactory(
        kind="threshold", value=D("50"), min_spend=D("99"), total_limit=50, per_customer_limit=1
    )
    coupon_create_public(template=offer, code="APIRACE50")
    sku = f.SKUFactory()
    external_ids = []
    for n in range(200):
        order = f.OrderFactory(customer=f.CustomerFactory(), external_id=f"RACE-{n}")
        f.OrderLineFactory(order=order, sku=sku, quantity=2, unit_price=D("60.00"))
        external_ids.append(order.external_id)
    _, key = api_key_create(name="race", scopes=["read", "write"])

    def redeem(order_id: str) -> tuple[int, str]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        try:
            response = client.post(
                "/api/v1/coupons/redeem/",
                {"code": "APIRACE50", "order_id": order_id},
                format="json",
            )
            body = response.json()
            return response.status_code, body.get("error", {}).get("code", "created")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=60) as pool:
        results = Counter(pool.map(redeem, external_ids))
    assert results == Counter({(201, "created"): 50, (409, "limit_reached"): 150})
    offer.refresh_from_db()
    assert offer.used_count == 50 == Redemption.objects.filter(coupon__template=offer).count()
