"""Channel quality on hand-made visits, orders and spend; numbers worked out in comments."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.channels import COLUMNS, channel_quality

START, END = date(2026, 6, 1), date(2026, 6, 30)
NAN = float("nan")


def inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    events = pd.DataFrame(
        [
            # channel 1: customer 1 (two sessions), customer 2, anonymous s3 (twice), s4
            ("s1", 1, "visit", "2026-06-01 09:00", 1),
            ("s2", 1, "visit", "2026-06-09 09:00", 1),
            ("s5", 2, "visit", "2026-06-11 09:00", 1),
            ("s3", None, "visit", "2026-06-02 09:00", 1),
            ("s3", None, "visit", "2026-06-02 09:30", 1),
            ("s4", None, "visit", "2026-06-03 09:00", 1),
            ("s9", 9, "visit", "2026-05-31 23:59", 1),  # before the period
            ("s8", 8, "product_view", "2026-06-03 09:00", 1),  # not a visit
            # channel 2: customer 3 and customer 1
            ("s6", 3, "visit", "2026-06-15 09:00", 2),
            ("s7", 1, "visit", "2026-06-16 09:00", 2),
        ],
        columns=["session_id", "customer_id", "type", "occurred_at", "channel_id"],
    )
    orders = pd.DataFrame(
        [
            (100, 3, 1, "2026-03-01 10:00", 10.0, 5.0),  # customer 3's first order ever
            (101, 1, 1, "2026-06-05 10:00", 100.0, 40.0),  # customer 1's first: new on 1
            (102, 1, 1, "2026-06-10 10:00", 50.0, 20.0),
            (103, 2, 1, "2026-06-11 10:00", 150.0, 90.0),  # customer 2's first: new on 1
            (104, None, 1, "2026-06-12 10:00", 30.0, 10.0),  # guest
            (105, 3, 2, "2026-06-15 10:00", 200.0, 100.0),  # customer 3: not new
            (106, 4, 3, "2026-06-20 10:00", 80.0, 30.0),  # customer 4's first: new on 3
            (107, 5, 2, "2026-07-01 00:00", 999.0, 1.0),  # after the period
            (108, 6, 2, "2026-06-30 23:59", 20.0, 8.0),  # customer 6's first: new on 2
            (109, 1, None, "2026-06-20 10:00", 10.0, 5.0),  # no channel recorded
        ],
        columns=["order_id", "customer_id", "channel_id", "paid_at", "net_amount", "cogs"],
    )
    spend = pd.DataFrame(
        [
            (1, date(2026, 5, 31), 500.0),  # before the period
            (1, date(2026, 6, 1), 100.0),
            (1, date(2026, 6, 30), 100.0),
            (2, date(2026, 6, 15), 300.0),
            (4, date(2026, 6, 2), 50.0),  # a channel that brought nothing
        ],
        columns=["channel_id", "date", "spend"],
    )
    for frame, column in ((events, "occurred_at"), (orders, "paid_at")):
        frame[column] = pd.to_datetime(frame[column])
        frame["customer_id"] = frame["customer_id"].astype("float64")
    return events, orders, spend


def table() -> pd.DataFrame:
    events, orders, spend = inputs()
    return channel_quality(events, orders, spend, start=START, end=END)


def test_one_row_per_channel_with_the_documented_columns():
    result = table()
    assert list(result.columns) == COLUMNS
    assert result["channel_id"].iloc[:4].tolist() == [1, 2, 3, 4]
    assert np.isnan(result["channel_id"].iloc[4])  # the order without a channel, last


def test_channel_figures_by_hand():
    rows = table().iloc[:4].set_index("channel_id")
    # visitors: channel 1 = customer 1, customer 2, sessions s3, s4 = 4; channel 2 = 3, 1
    assert rows["visitors"].tolist() == [4, 2, 0, 0]
    # paying customers: 1 -> {1, 2} (the guest adds none); 2 -> {3, 6}; 3 -> {4}
    assert rows["paying_customers"].tolist() == [2, 2, 1, 0]
    assert rows["paid_orders"].tolist() == [4, 2, 1, 0]
    # revenue 1: 100 + 50 + 150 + 30 = 330; 2: 200 + 20 = 220; 3: 80
    assert rows["revenue"].tolist() == pytest.approx([330, 220, 80, 0])
    # gross profit 1: 330 - (40 + 20 + 90 + 10) = 170; 2: 220 - 108 = 112; 3: 80 - 30 = 50
    assert rows["gross_profit"].tolist() == pytest.approx([170, 112, 50, 0])
    assert rows["spend"].tolist() == pytest.approx([200, 300, 0, 50])
    assert rows["new_customers"].tolist() == [2, 1, 1, 0]
    expected = {
        # conversion 2/4, 2/2; aov 330/4, 220/2, 80/1; cac 200/2, 300/1, 0/1
        # roi (170-200)/200, (112-300)/300, (0-50)/50
        "conversion_rate": [0.5, 1.0, NAN, NAN],
        "aov": [82.5, 110.0, 80.0, NAN],
        "cac": [100.0, 300.0, 0.0, NAN],
        "roi": [-0.15, -188 / 300, NAN, -1.0],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(rows[name].to_numpy(), values, err_msg=name)


def test_division_by_zero_is_nan_never_inf():
    numbers = table()[["conversion_rate", "aov", "cac", "roi"]].to_numpy()
    assert not np.isinf(numbers).any()


def test_orders_without_channel_keep_totals_whole():
    result = table()
    no_channel = result.iloc[4]
    assert no_channel["paid_orders"] == 1
    assert no_channel["revenue"] == pytest.approx(10.0)
    assert no_channel["new_customers"] == 0  # customer 1's first order was on channel 1
    assert result["revenue"].sum() == pytest.approx(330 + 220 + 80 + 10)
