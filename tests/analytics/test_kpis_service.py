import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import loaders
from analytics.models import (
    ActivityCell,
    Cohort,
    CohortCell,
    CohortDay,
    CustomerRecency,
    DailyKPI,
    InventorySnapshot,
    ProductReviews,
    ProductSales,
    SkuSales,
)
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


def everything() -> dict[str, set[tuple]]:
    """Every row the kpis step writes (JSON as sorted text), by table."""

    def rows(model, *fields):
        return {
            tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row)
            for row in model.objects.values_list(*fields)
        }

    return {
        "daily KPIs": snapshot(),
        "customer recency": rows(
            CustomerRecency, "date", "latest_order", "previous_order", "returned",
            "latest_event", "first_orders", "second_orders",
        ),
        "SKU sales": rows(SkuSales, "date", "sku", "units", "cost"),
        "inventory": rows(
            InventorySnapshot, "date", "sku", "stock", "units_sold", "daily_units",
            "days_of_cover", "low_stock", "last_sale", "slow_mover", "unit_sell_through",
            "turnover",
        ),
        "cohort days": rows(
            CohortDay, "date", "month", "channel", "customers", "orders", "revenue", "intervals"
        ),
        "cohort cells": rows(
            CohortCell, "month", "channel", "months_since", "customers", "orders", "revenue",
            "intervals",
        ),
        "cohorts": rows(Cohort, "month", "channel", "customers", "matured_30d", "repurchased_30d"),
        "product sales": rows(
            ProductSales, "date", "product", "channel", "units", "orders", "revenue", "cost",
            "returned_units",
        ),
        "product reviews": rows(ProductReviews, "date", "product", "reviews", "positive_reviews"),
        "activity cells": rows(ActivityCell, "date", "hour", "category", "events", "orders"),
    }  # fmt: skip


def assert_same(got: dict[str, set], want: dict[str, set]) -> None:
    for table in want:
        assert got[table] == want[table], table


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
    incremental = everything()
    assert {row for row in incremental["daily KPIs"] if row[0] < late_day} == before
    DailyKPI.objects.all().delete()
    kpis_compute(as_of=AS_OF)
    assert_same(incremental, everything())
    assert DailyKPI.objects.get(date=late_day, metric="gmv", dimension="all").value == Decimal("70")
    # The increment reads the cost of goods of its own days only (older orders' is not read).
    assert DailyKPI.objects.get(date=late_day, metric="cogs", dimension="all").value == Decimal(
        "30"
    )


def test_a_one_day_increment_equals_a_full_recompute(shop, monkeypatch):
    """Today's orders and events arrive after the run: a first order, a repeat order, a
    return after a long gap, visits of customers active in the last 30 days and not."""
    kpis_compute(as_of=AS_OF)
    newcomer, lapsed = f.CustomerFactory(), f.CustomerFactory()
    old = f.OrderFactory(customer=lapsed, created_at=at(130), paid_total=Decimal("40"))
    f.OrderLineFactory(order=old, quantity=1, unit_price=Decimal("40"), unit_cost=Decimal("10"))
    kpis_compute(as_of=AS_OF - timedelta(days=1))  # the nightly run of yesterday saw it
    for customer, total in ((newcomer, "90"), (newcomer, "10"), (shop[1], "55"), (lapsed, "35")):
        order = f.OrderFactory(customer=customer, created_at=at(0, 20), paid_total=Decimal(total))
        f.OrderLineFactory(
            order=order, quantity=1, unit_price=Decimal(total), unit_cost=Decimal("5")
        )
    for customer, session in ((shop[2], "t1"), (newcomer, "t2"), (lapsed, "t3")):
        f.EventFactory(customer=customer, session_id=session, type="visit", occurred_at=at(0, 9))

    reads = []
    for name in ("paid_orders", "paid_lines", "events"):
        read = getattr(loaders, name)
        monkeypatch.setattr(
            loaders, name, lambda read=read, name=name, **kw: reads.append((name, kw)) or read(**kw)
        )
    kpis_compute(as_of=AS_OF, since=AS_OF)
    # Only today's orders, lines and events are read (with what came before from the
    # stored days and each customer's earlier orders).
    assert {(name, kw.get("since", kw.get("start"))) for name, kw in reads} == {
        ("paid_orders", AS_OF),
        ("paid_lines", AS_OF),
        ("events", AS_OF),
    }
    incremental = everything()
    kpis_compute(as_of=AS_OF)
    assert_same(incremental, everything())
    kpi = {
        m: DailyKPI.objects.get(date=AS_OF, metric=m, dimension="all").value
        for m in ("new_customers", "orders", "dau")
    }
    assert kpi == {"new_customers": 1, "orders": 4, "dau": 3}


def test_without_the_stored_state_an_increment_counts_from_the_first_order(shop):
    kpis_compute(as_of=AS_OF)
    CustomerRecency.objects.filter(date=AS_OF - timedelta(days=20)).delete()
    late = f.OrderFactory(customer=shop[3], created_at=at(10, 8), paid_total=Decimal("25"))
    f.OrderLineFactory(order=late, quantity=1, unit_price=Decimal("25"), unit_cost=Decimal("5"))
    early = {row for row in snapshot() if row[0] < AS_OF - timedelta(days=10)}

    kpis_compute(as_of=AS_OF, since=AS_OF - timedelta(days=10))
    incremental = everything()
    assert {row for row in incremental["daily KPIs"] if row[0] < AS_OF - timedelta(days=10)} == (
        early
    )
    kpis_compute(as_of=AS_OF)
    assert_same(incremental, everything())


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


def test_cohorts_stored_by_a_run_of_an_earlier_day_are_recounted(shop):
    """April's first orders: 1 and 21 April. A run as of 16 May leaves April's cohort with
    one of two customers matured; a later recomputation from 30 June recounts it."""
    kpis_compute(as_of=AS_OF)
    kpis_compute(as_of=AS_OF - timedelta(days=45), since=AS_OF - timedelta(days=50))
    april = Cohort.objects.get(month=date(2026, 4, 1))
    assert (april.customers, april.matured_30d) == (2, 1)

    kpis_compute(as_of=AS_OF, since=AS_OF)
    incremental = everything()
    assert Cohort.objects.get(month=date(2026, 4, 1)).matured_30d == 2
    kpis_compute(as_of=AS_OF)
    assert_same(incremental, everything())
