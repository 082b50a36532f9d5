from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import DailyKPI
from analytics.services import kpis_compute
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def at(days_before: int, hour: int = 12) -> datetime:
    day = AS_OF - timedelta(days=days_before)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def snapshot() -> set[tuple]:
    return set(
        DailyKPI.objects.values_list("date", "metric", "dimension", "dimension_value", "value")
    )


@pytest.fixture
def shop():
    live = f.ChannelFactory(code="live")
    customers = [f.CustomerFactory() for _ in range(6)]
    for i, customer in enumerate(customers):
        for ago in (150 - 20 * i, 60 - 7 * i, 3 + i):
            order = f.OrderFactory(
                customer=customer, channel=live, created_at=at(ago), paid_total=Decimal("100")
            )
            f.OrderLineFactory(
                order=order, quantity=2, unit_price=Decimal("50"), unit_cost=Decimal("20")
            )
        f.EventFactory(
            customer=customer, session_id=f"s{i}", type="visit", occurred_at=at(3 + i), channel=live
        )
    return customers


def test_kpis_are_stored_per_day_and_channel(shop):
    result = kpis_compute(as_of=AS_OF)
    assert result.start == AS_OF - timedelta(days=150)
    assert result.rows == DailyKPI.objects.count() > 0
    day = AS_OF - timedelta(days=3)  # customer 0's third order
    gmv = DailyKPI.objects.get(date=day, metric="gmv", dimension="all")
    assert gmv.value == Decimal("100")
    assert (
        DailyKPI.objects.get(
            date=day, metric="gmv", dimension="channel", dimension_value="live"
        ).value
        == 100
    )
    assert DailyKPI.objects.get(date=day, metric="gross_margin", dimension="all").value == Decimal(
        "0.6"
    )


def test_incremental_recompute_equals_a_full_recompute(shop):
    kpis_compute(as_of=AS_OF)
    late_day = AS_OF - timedelta(days=40)
    before = {row for row in snapshot() if row[0] < late_day}
    late = f.OrderFactory(customer=shop[0], created_at=at(40, 23), paid_total=Decimal("70"))
    f.OrderLineFactory(order=late, quantity=1, unit_price=Decimal("70"), unit_cost=Decimal("30"))

    kpis_compute(as_of=AS_OF, since=late_day)
    incremental = snapshot()
    assert {row for row in incremental if row[0] < late_day} == before  # nothing earlier touched
    DailyKPI.objects.all().delete()
    kpis_compute(as_of=AS_OF)
    assert incremental == snapshot()
    assert DailyKPI.objects.get(date=late_day, metric="gmv", dimension="all").value == Decimal("70")
    # The increment reads the cost of goods of its own days only (older orders' is not read).
    assert DailyKPI.objects.get(date=late_day, metric="cogs", dimension="all").value == Decimal(
        "30"
    )


def test_inventory_snapshot_is_kept_when_earlier_days_are_recomputed(shop):
    kpis_compute(as_of=AS_OF)
    snap = dict(
        DailyKPI.objects.filter(
            date=AS_OF, metric__in=["sku_sell_through", "unit_sell_through"]
        ).values_list("metric", "value")
    )
    # 18 orders, each with its own SKU (stock 50), 2 units each. Sold in the last 30 days:
    # the six orders 3..8 days ago and customer 5's order 60 − 35 = 25 days ago -> 7 SKUs.
    # 动销率 = 7 / 18 in stock; 售罄率 = 14 units / (14 + 18 × 50 units on hand).
    assert snap["sku_sell_through"] == Decimal(str(round(7 / 18, 6)))
    assert snap["unit_sell_through"] == Decimal(str(round(14 / (14 + 18 * 50), 6)))
    kpis_compute(as_of=AS_OF + timedelta(days=1), since=AS_OF - timedelta(days=5))
    assert DailyKPI.objects.filter(date=AS_OF, metric="sku_sell_through").exists()
