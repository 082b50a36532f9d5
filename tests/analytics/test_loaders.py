"""Loaders return exactly the rows and sums the metrics need, in local time."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from analytics import loaders
from tests import factories as f

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def orders(shanghai):
    """Three orders around midnight in Shanghai (UTC+8) and one unpaid.

    A: paid 2026-06-30 15:59 UTC = 23:59 local on the 30th  -> in for as_of 30 June
    B: paid 2026-06-30 16:00 UTC = 00:00 local on 1 July    -> out
    C: paid 2026-06-29 16:00 UTC = 00:00 local on the 30th  -> in; two lines, one returned
    D: cancelled                                            -> out
    """
    channel = f.ChannelFactory(code="live", commission_rate=Decimal("10.00"))
    customer = f.CustomerFactory()
    a = f.OrderFactory(
        external_id="A",
        customer=customer,
        channel=channel,
        created_at=utc(2026, 6, 30, 15, 0),
        paid_at=utc(2026, 6, 30, 15, 59),
        paid_total=Decimal("120.00"),
        discount_total=Decimal("5.00"),
        logistics_cost=Decimal("8.00"),
    )
    f.OrderLineFactory(order=a, quantity=2, unit_price=Decimal("60.00"), unit_cost=Decimal("20.00"))
    f.OrderFactory(
        external_id="B",
        customer=customer,
        created_at=utc(2026, 6, 30, 16, 0),
        paid_at=utc(2026, 6, 30, 16, 0),
    )
    c = f.OrderFactory(
        external_id="C",
        customer=customer,
        channel=None,
        created_at=utc(2026, 6, 29, 16, 0),
        paid_at=utc(2026, 6, 29, 16, 0),
        paid_total=Decimal("300.00"),
    )
    kept = f.OrderLineFactory(
        order=c, quantity=1, unit_price=Decimal("100.00"), unit_cost=Decimal("30.00")
    )
    returned = f.OrderLineFactory(
        order=c,
        quantity=2,
        unit_price=Decimal("100.00"),
        unit_cost=Decimal("40.00"),
        discount=Decimal("10.00"),
    )
    f.ReturnFactory(order=c, order_line=returned, quantity=1, refund_amount=Decimal("95.00"))
    f.OrderFactory(
        external_id="D",
        customer=customer,
        status="cancelled",
        created_at=utc(2026, 6, 30, 1, 0),
        paid_at=None,
    )
    return {"a": a, "c": c, "kept": kept, "returned": returned, "customer": customer}


def test_paid_orders_in_local_days_with_refunds_costs_and_commission(orders):
    frame = loaders.paid_orders(as_of=date(2026, 6, 30)).sort_values("paid_at", ignore_index=True)
    assert list(frame["order_id"]) == [orders["c"].pk, orders["a"].pk]
    assert list(frame["paid_at"]) == [
        pd.Timestamp("2026-06-30 00:00"),
        pd.Timestamp("2026-06-30 23:59"),
    ]
    c, a = frame.iloc[0], frame.iloc[1]
    # C: 300 paid − 95 refunded = 205 net; cogs 1×30 + 2×40 = 110; no channel, no commission
    assert (c["net_amount"], c["refunds"], c["cogs"], c["commission"]) == (205.0, 95.0, 110.0, 0.0)
    # A: 120 net, cogs 2×20 = 40, commission 10% of 120 = 12, logistics 8
    assert (a["net_amount"], a["cogs"], a["commission"], a["logistics_cost"]) == (
        120.0,
        40.0,
        12.0,
        8.0,
    )
    assert a["discount_total"] == 5.0


def test_since_bounds_the_local_start_day(orders):
    frame = loaders.paid_orders(as_of=date(2026, 7, 1), since=date(2026, 7, 1))
    assert list(frame["order_id"]) == [orders["a"].customer.orders.get(external_id="B").pk]


def test_paid_lines_carry_product_returns_and_net_amount(orders):
    frame = loaders.paid_lines(as_of=date(2026, 6, 30)).set_index("order_id", drop=False)
    returned = frame[frame["sku_id"] == orders["returned"].sku_id].iloc[0]
    assert returned["returned_quantity"] == 1
    assert returned["refund_amount"] == 95.0
    assert returned["net_amount"] == 190.0  # 2 × 100 − 10
    assert returned["product_id"] == orders["returned"].sku.product_id
    assert returned["category_id"] == orders["returned"].sku.product.category_id
    assert sorted(frame["quantity"]) == [1, 2, 2]


def test_customers_and_events_in_local_time(orders):
    f.EventFactory(customer=orders["customer"], type="visit", occurred_at=utc(2026, 6, 30, 16, 30))
    f.EventFactory(customer=orders["customer"], type="share", occurred_at=utc(2026, 6, 30, 15, 30))
    frame = loaders.events(start=date(2026, 6, 30), end=date(2026, 6, 30))
    assert list(frame["type"]) == ["share"]
    assert frame["occurred_at"].iloc[0] == pd.Timestamp("2026-06-30 23:30")
    assert loaders.events(start=date(2026, 7, 1), end=date(2026, 7, 1), types=["share"]).empty
    customers = loaders.customers(as_of=date(2026, 6, 30))
    assert list(customers["customer_id"]) == [orders["customer"].pk]


def test_shared_frames_read_once_and_slice_like_the_database(orders, monkeypatch):
    as_of = date(2026, 7, 1)
    direct = {
        since: loaders.paid_orders(as_of=as_of, since=since) for since in (None, date(2026, 7, 1))
    }
    reads = []
    read = loaders._paid_orders
    monkeypatch.setattr(loaders, "_paid_orders", lambda **kw: reads.append(kw) or read(**kw))
    with loaders.shared_frames():
        full = loaders.paid_orders(as_of=as_of)
        again = loaders.paid_orders(as_of=as_of)
        recent = loaders.paid_orders(as_of=as_of, since=date(2026, 7, 1))
        assert reads == [{"as_of": as_of}]  # one read of the database
        again.loc[:, "paid_total"] = 99  # a copy: the next caller sees the stored frame
        assert (loaders.paid_orders(as_of=as_of)["paid_total"] != 99).all()
    pd.testing.assert_frame_equal(full, direct[None])
    # SQLite rows give an object column where every value is NULL; the slice keeps floats
    expected = direct[date(2026, 7, 1)].astype(recent.dtypes.to_dict())
    pd.testing.assert_frame_equal(recent, expected)
    assert 0 < len(recent) < len(full)
    loaders.paid_orders(as_of=as_of)  # outside the block nothing is kept
    assert len(reads) == 2


def test_shared_frames_are_shallow_copies_that_never_change_the_stored_frame(orders):
    # Copy-on-write (pandas 3): a step may change its copy in every usual way; the next
    # step still sees the frame as read. A since that covers every order hands out the
    # whole frame (no filtering copy); a later since filters.
    as_of = date(2026, 7, 1)
    with loaders.shared_frames():
        stored = loaders.paid_lines(as_of=as_of)
        first = stored.copy()
        mine = loaders.paid_lines(as_of=as_of, since=date(2026, 6, 1))
        pd.testing.assert_frame_equal(mine, first)
        mine.loc[:, "quantity"] = 0
        mine["net_amount"] *= 2
        mine.insert(0, "extra", 1)
        others = loaders.paid_lines(as_of=as_of)
        others.iloc[0, others.columns.get_loc("unit_price")] = -1.0
        pd.testing.assert_frame_equal(loaders.paid_lines(as_of=as_of), first)
        # the orders paid on 30 June (local) start there: 1 July keeps none of the lines
        assert loaders.paid_lines(as_of=as_of, since=date(2026, 7, 1)).empty


def test_cost_of_goods_is_read_from_cogs_from_only(orders):
    as_of = date(2026, 7, 1)
    full = loaders.paid_orders(as_of=as_of).set_index("order_id")
    recent = loaders.paid_orders(as_of=as_of, cogs_from=date(2026, 7, 1)).set_index("order_id")
    b = orders["customer"].orders.get(external_id="B").pk
    # A and C were paid on 30 June (local): their cost is not read; B (1 July) has no lines.
    assert recent["cogs"].isna().to_dict() == {orders["c"].pk: True, orders["a"].pk: True, b: False}
    assert recent.loc[b, "cogs"] == 0.0
    others = [c for c in full.columns if c != "cogs"]
    pd.testing.assert_frame_equal(recent[others], full.loc[recent.index, others])


def test_cogs_from_uses_the_shared_whole_history_when_there_is_one(orders, monkeypatch):
    as_of = date(2026, 7, 1)
    reads = []
    read = loaders._paid_orders
    monkeypatch.setattr(loaders, "_paid_orders", lambda **kw: reads.append(kw) or read(**kw))
    with loaders.shared_frames():
        partial = loaders.paid_orders(as_of=as_of, cogs_from=as_of)  # not kept
        full = loaders.paid_orders(as_of=as_of)
        shared = loaders.paid_orders(as_of=as_of, cogs_from=as_of)
    assert reads == [{"as_of": as_of, "since": None, "cogs_from": as_of}, {"as_of": as_of}]
    assert partial["cogs"].isna().sum() == 2
    pd.testing.assert_frame_equal(shared, full)


def test_customer_orders_are_paid_customer_orders_net_of_refunds(orders):
    f.OrderFactory(
        customer=None,
        created_at=utc(2026, 6, 30, 1, 0),
        paid_at=utc(2026, 6, 30, 1, 0),
        paid_total=Decimal("50.00"),
    )
    frame = loaders.customer_orders(as_of=date(2026, 6, 30)).sort_values("paid_at")
    # B (1 July local), the cancelled D and the guest order are left out; C's 95 refund
    # is subtracted from its 300.
    assert frame["customer_id"].tolist() == [orders["customer"].pk] * 2
    assert frame["customer_id"].dtype == "int64"
    assert frame["paid_at"].tolist() == [
        pd.Timestamp(2026, 6, 30, 0, 0),
        pd.Timestamp(2026, 6, 30, 23, 59),
    ]
    assert frame["net_amount"].tolist() == [205.0, 120.0]


@pytest.mark.django_db(transaction=True)
def test_array_reads_split_over_two_connections_give_the_same_rows(monkeypatch):
    """Outside a transaction a binary-array read is split by the parity of its first column
    and read on two connections (PostgreSQL); the rows are those of a single statement."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("binary array reads are PostgreSQL's")
    customer = f.CustomerFactory()
    for day in range(1, 8):
        order = f.OrderFactory(
            customer=customer if day % 3 else None,
            paid_at=utc(2026, 6, day, 10),
            created_at=utc(2026, 6, day, 9),
            paid_total=Decimal(f"{day}0.50"),
        )
        f.OrderLineFactory(order=order, quantity=day, unit_price=Decimal("10.00"))
    assert not connection.in_atomic_block
    split = loaders.paid_lines(as_of=date(2026, 6, 30))
    monkeypatch.setattr(loaders, "READ_PARTS", 1)
    single = loaders.paid_lines(as_of=date(2026, 6, 30))
    key = ["order_id", "sku_id"]
    pd.testing.assert_frame_equal(
        split.sort_values(key, ignore_index=True), single.sort_values(key, ignore_index=True)
    )
    assert len(single) == 7 and single["customer_id"].isna().sum() == 2


@pytest.mark.django_db(transaction=True)
def test_the_whole_history_is_read_table_by_table_in_halves(monkeypatch):
    """PostgreSQL: the whole history's orders and lines are read without joins, each in
    halves on two connections; a read of the cost of goods from a day sums it in one
    statement (each half would sum every line)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("binary array reads are PostgreSQL's")
    order = f.OrderFactory(paid_at=utc(2026, 6, 3, 10), created_at=utc(2026, 6, 3, 9))
    f.OrderLineFactory(order=order, quantity=2, unit_cost=Decimal("4.00"))
    apart = []
    fetch = loaders._fetch_arrays_apart
    monkeypatch.setattr(
        loaders, "_fetch_arrays_apart", lambda *args: apart.append(args[0]) or fetch(*args)
    )
    orders = loaders.paid_orders(as_of=date(2026, 6, 30))
    assert orders["cogs"].tolist() == [8.0]
    tables = [statement.split(" FROM ")[2].split()[0] for statement in apart]
    assert tables == ['"catalog_order"', '"catalog_orderline"'] * (loaders.READ_PARTS - 1)
    apart.clear()
    recent = loaders.paid_orders(as_of=date(2026, 6, 30), cogs_from=date(2026, 6, 1))
    assert (apart, recent["cogs"].tolist()) == ([], [8.0])


def test_a_read_from_a_day_sums_the_returns_of_its_own_rows(orders):
    day = date(2026, 6, 30)
    for read, key in ((loaders.paid_orders, ["order_id"]), (loaders.paid_lines, ["sku_id"])):
        recent = read(as_of=day, since=day).sort_values(key, ignore_index=True)
        full = read(as_of=day).sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(recent, full.astype(recent.dtypes.to_dict()))
    lines = loaders.paid_lines(as_of=day, since=day)
    assert lines[["returned_quantity", "refund_amount"]].sum().tolist() == [1, 95.0]


def test_what_customers_did_before_a_day(orders):
    """The customer ordered C (00:00 local on 30 June, no channel) and A (23:59); B on 1 July.
    Events (local): 23:30 on 30 June and 00:30 on 1 July; another customer, seen on 1 July,
    was last seen before on 31 May, more than 30 days earlier."""
    customer = orders["customer"]
    f.EventFactory(customer=customer, type="share", occurred_at=utc(2026, 6, 30, 15, 30))
    f.EventFactory(customer=customer, type="visit", occurred_at=utc(2026, 6, 30, 16, 30))
    quiet = f.CustomerFactory()
    f.EventFactory(customer=quiet, type="visit", occurred_at=utc(2026, 5, 30, 16, 30))
    f.EventFactory(customer=quiet, type="visit", occurred_at=utc(2026, 7, 1, 3, 0))
    july = date(2026, 7, 1)

    prior = loaders.prior_orders(since=july, customers=[customer.pk, quiet.pk])
    assert prior.to_dict("records") == [
        {
            "customer_id": customer.pk,
            "first_paid_at": pd.Timestamp("2026-06-30 00:00"),
            "first_channel_id": pytest.approx(float("nan"), nan_ok=True),
            "last_paid_at": pd.Timestamp("2026-06-30 23:59"),
            "previous_paid_at": pd.Timestamp("2026-06-30 00:00"),
        }
    ]
    assert loaders.prior_orders(since=date(2026, 6, 30), customers=[customer.pk]).empty

    # 31 May 00:30 local is 31 days before 1 July: not within the 30 days
    events = loaders.prior_events(since=july, customers=[customer.pk, quiet.pk])
    assert events.to_dict("records") == [
        {"customer_id": customer.pk, "last_active_at": pd.Timestamp("2026-06-30 23:30")}
    ]
    assert loaders.first_paid_day(as_of=july) == date(2026, 6, 30)
    assert loaders.first_paid_day(as_of=date(2026, 6, 29)) is None


def test_sku_sales_summed_per_segment_dated_at_the_last_sale():
    from analytics.models import SkuSales

    sku, other = f.SKUFactory(), f.SKUFactory()
    for day, units in ((1, 1), (5, 2), (20, 3), (28, 4), (31, 9)):
        SkuSales.objects.create(
            date=date(2026, 5, 31) + timedelta(days=day), sku=sku, units=units,
            cost=Decimal("2.50") * units,
        )  # fmt: skip
    SkuSales.objects.create(date=date(2026, 5, 31), sku=other, units=7, cost=Decimal("7"))
    frame = loaders.sku_sales(
        end=date(2026, 6, 30), starts=[date(2026, 6, 25), date(2026, 6, 1), date(2026, 6, 10)]
    )
    rows = sorted(map(tuple, frame[["paid_at", "quantity", "cogs"]].values.tolist()))
    # 1–9 June: days 1 and 5; 10–24 June: day 20; 25–30 June: day 28 (31 is after the end,
    # the other SKU's sale before the start)
    assert rows == [
        (pd.Timestamp("2026-06-05"), 3, 7.5),
        (pd.Timestamp("2026-06-20"), 3, 7.5),
        (pd.Timestamp("2026-06-28"), 4, 10.0),
    ]
