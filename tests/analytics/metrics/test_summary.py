"""The per-customer order summary, by hand and against plain pandas group-bys."""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.summary import COLUMNS, order_summary

AS_OF = date(2026, 6, 30)


def ago(days: int, hour: int = 12) -> datetime:
    return datetime.combine(AS_OF - timedelta(days=days), datetime.min.time()).replace(hour=hour)


ORDERS = pd.DataFrame(
    [
        # customer 1: two orders on its first day (9:00 and 21:00), one 100 days later
        # (a gap of 100 > 90 days: a return), one more 10 days after that at 9:00.
        (1.0, ago(200, 21), 30.0),
        (1.0, ago(200, 9), 20.0),
        (1.0, ago(100, 21), 50.0),
        (1.0, ago(90, 9), 5.0),
        # customer 2: one order at 23:59 on as_of, one after as_of (ignored)
        (2.0, datetime(2026, 6, 30, 23, 59), 70.0),
        (2.0, datetime(2026, 7, 1, 0, 0), 1000.0),
        # a guest order (ignored)
        (None, ago(1), 999.0),
    ],
    columns=["customer_id", "paid_at", "net_amount"],
)


def test_summary_by_hand():
    summary = order_summary(ORDERS, as_of=AS_OF, window_days=150)
    assert list(summary.columns) == COLUMNS
    assert summary.index.tolist() == [1, 2]
    one, two = summary.loc[1], summary.loc[2]

    assert (one["first_order_at"], one["last_order_at"]) == (ago(200, 9), ago(90, 9))
    assert (one["first_day"], one["last_day"]) == (
        pd.Timestamp(AS_OF - timedelta(days=200)),
        pd.Timestamp(AS_OF - timedelta(days=90)),
    )
    assert (one["orders"], one["order_days"]) == (4, 3)
    assert (one["net_amount"], one["first_day_net"]) == (105.0, 50.0)
    # The 150-day window starts 149 days before as_of: the orders 100 and 90 days ago.
    assert (one["window_orders"], one["window_net"]) == (2, 55.0)
    assert one["return_day"] == pd.Timestamp(AS_OF - timedelta(days=100))
    assert one["preferred_hour"] == 9  # 9:00 twice, 21:00 twice: the earliest hour

    assert (two["orders"], two["order_days"], two["net_amount"]) == (1, 1, 70.0)
    assert two["last_order_at"] == datetime(2026, 6, 30, 23, 59)
    assert pd.isna(two["return_day"])
    assert two["preferred_hour"] == 23


def test_a_gap_of_exactly_active_days_is_no_return():
    orders = pd.DataFrame(
        {"customer_id": [1, 1], "paid_at": [ago(120), ago(30)], "net_amount": [1.0, 1.0]}
    )
    assert pd.isna(order_summary(orders, as_of=AS_OF, active_days=90).loc[1, "return_day"])
    summary = order_summary(orders, as_of=AS_OF, active_days=89)
    assert summary.loc[1, "return_day"] == pd.Timestamp(AS_OF - timedelta(days=30))


def test_no_orders_give_an_empty_typed_summary():
    summary = order_summary(ORDERS.iloc[:0], as_of=AS_OF)
    assert summary.empty and list(summary.columns) == COLUMNS
    assert summary["last_day"].dtype.kind == "M"


# Small ids sort by one combined key; ids from 2^40 up leave too few bits for the times
# and take the two-key sort.
@pytest.mark.parametrize("seed, first_id", [(1, 1), (2, 1), (3, 2**40)])
def test_summary_equals_plain_pandas_group_bys(seed, first_id):
    rng = np.random.default_rng(seed)
    n = 3000
    orders = pd.DataFrame(
        {
            "customer_id": rng.integers(first_id, first_id + 300, n).astype("float64"),
            "paid_at": pd.Timestamp(2025, 1, 1)
            + pd.to_timedelta(rng.integers(0, 560 * 24 * 60, n), unit="min"),
            "net_amount": rng.integers(1, 50_000, n) / 100,
        }
    )
    summary = order_summary(orders, as_of=AS_OF, window_days=365)

    o = orders.assign(day=orders["paid_at"].dt.normalize())
    o = o[o["paid_at"] < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    o["customer_id"] = o["customer_id"].astype("int64")
    g = o.groupby("customer_id")
    first_day = g["day"].transform("min")
    in_window = o["day"] >= pd.Timestamp(AS_OF - timedelta(days=364))
    days = o[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    gap = days.groupby("customer_id")["day"].diff().dt.days
    hours = o.groupby(["customer_id", o["paid_at"].dt.hour]).size().rename("n").reset_index()
    hours = hours.sort_values(["customer_id", "n", "paid_at"], ascending=[True, False, True])
    expected = pd.DataFrame(
        {
            "first_order_at": g["paid_at"].min(),
            "last_order_at": g["paid_at"].max(),
            "first_day": g["day"].min(),
            "last_day": g["day"].max(),
            "orders": g.size(),
            "order_days": g["day"].nunique(),
            "net_amount": g["net_amount"].sum(),
            "first_day_net": o[o["day"] == first_day].groupby("customer_id")["net_amount"].sum(),
            "window_orders": in_window.groupby(o["customer_id"]).sum(),
            "window_net": o["net_amount"].where(in_window, 0.0).groupby(o["customer_id"]).sum(),
            "return_day": days[gap > 90].groupby("customer_id")["day"].max(),
            "preferred_hour": hours.drop_duplicates("customer_id").set_index("customer_id")[
                "paid_at"
            ],
        }
    )
    for column in expected.select_dtypes("datetime").columns:
        expected[column] = expected[column].astype("datetime64[ns]")
    pd.testing.assert_frame_equal(summary, expected[COLUMNS], check_dtype=False, rtol=1e-12)
