"""Order contribution and margin, per order and aggregated, on three hand-made orders."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.profit import (
    contribution_by,
    contribution_by_category,
    order_contribution,
)

START, END = date(2026, 6, 1), date(2026, 6, 2)


def orders() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            # net 200; commission 5% × 200 = 10; contribution 200 - 80 - 10 - 10 = 100
            (1, "2026-06-01 10:00", 1, 200.0, 0.0, 80.0, 10.0, 5.0),
            # net 100 - 20 = 80; commission 10% × 80 = 8; contribution 80 - 30 - 8 - 8 = 34
            (2, "2026-06-01 20:00", 2, 100.0, 20.0, 30.0, 8.0, 10.0),
            # fully refunded: net 0; commission 0; contribution 0 - 20 - 0 - 5 = -25
            (3, "2026-06-02 09:00", 1, 50.0, 50.0, 20.0, 5.0, 5.0),
            (4, "2026-06-03 00:00", 1, 1000.0, 0.0, 1.0, 1.0, 5.0),  # after the period
        ],
        columns=[
            "order_id",
            "paid_at",
            "channel_id",
            "paid_total",
            "refunds",
            "cogs",
            "logistics_cost",
            "commission_rate",
        ],
    )
    frame["paid_at"] = pd.to_datetime(frame["paid_at"])
    return frame


def test_order_contribution_and_margin():
    result = order_contribution(orders()).set_index("order_id")
    assert result["net_revenue"].tolist() == pytest.approx([200, 80, 0, 1000])
    assert result["commission"].tolist() == pytest.approx([10, 8, 0, 50])
    assert result["contribution"].tolist() == pytest.approx([100, 34, -25, 948])
    assert result.loc[1, "margin"] == pytest.approx(0.5)  # 100 / 200
    assert result.loc[2, "margin"] == pytest.approx(0.425)  # 34 / 80
    assert np.isnan(result.loc[3, "margin"])  # net revenue 0


def test_a_precomputed_commission_is_used_as_given():
    # the loader's paid_orders frame carries the commission amount, not the rate
    frame = orders().drop(columns="commission_rate").assign(commission=[1.0, 2.0, 3.0, 4.0])
    result = order_contribution(frame)
    # 200-80-1-10, 80-30-2-8, 0-20-3-5, 1000-1-4-1
    assert result["contribution"].tolist() == pytest.approx([109, 40, -28, 994])


def test_aggregated_by_day_channel_and_all_as_ratio_of_sums():
    by_day = contribution_by(orders(), by="day", start=START, end=END).set_index("day")
    assert by_day["orders"].tolist() == [2, 1]
    assert by_day["net_revenue"].tolist() == pytest.approx([280, 0])
    assert by_day["contribution"].tolist() == pytest.approx([134, -25])
    assert by_day.loc[date(2026, 6, 1), "margin"] == pytest.approx(134 / 280)
    assert np.isnan(by_day.loc[date(2026, 6, 2), "margin"])

    by_channel = contribution_by(orders(), by="channel", start=START, end=END)
    by_channel = by_channel.set_index("channel_id")
    # channel 1: orders 1 and 3: net 200, cogs 100, commission 10, logistics 15 -> 75
    assert by_channel.loc[1, ["net_revenue", "cogs", "commission", "logistics_cost"]].tolist() == (
        pytest.approx([200, 100, 10, 15])
    )
    assert by_channel["contribution"].tolist() == pytest.approx([75, 34])
    assert by_channel["margin"].tolist() == pytest.approx([0.375, 0.425])

    total = contribution_by(orders(), by="all", start=START, end=END)
    assert total.loc[0, "contribution"] == pytest.approx(109)  # 100 + 34 - 25
    assert total.loc[0, "margin"] == pytest.approx(109 / 280)  # not the mean of margins
    with pytest.raises(ValueError, match="by must be"):
        contribution_by(orders(), by="week", start=START, end=END)


def test_by_category_allocates_order_amounts_by_line_revenue():
    lines = pd.DataFrame(
        [
            # order 1: 150 of 200 in category 7 (share 0.75), 50 in category 8 (0.25)
            (1, 7, 2, 30.0, 150.0),
            (1, 8, 1, 20.0, 50.0),
            (2, 8, 1, 30.0, 100.0),
            (3, 7, 1, 20.0, 50.0),
        ],
        columns=["order_id", "category_id", "quantity", "unit_cost", "net_amount"],
    )
    result = contribution_by_category(orders(), lines, start=START, end=END)
    result = result.set_index("category_id")
    # category 7: order 1 × 0.75 -> net 150, cogs 60, commission 7.5, logistics 7.5 -> 75;
    #             order 3 -> net 0, cogs 20, logistics 5 -> -25. Total: 150, 80, 7.5, 12.5, 50
    # category 8: order 1 × 0.25 -> 50, 20, 2.5, 2.5 -> 25; order 2 -> 80, 30, 8, 8 -> 34
    assert result.loc[7, ["net_revenue", "cogs", "commission", "logistics_cost"]].tolist() == (
        pytest.approx([150, 80, 7.5, 12.5])
    )
    assert result["contribution"].tolist() == pytest.approx([50, 59])
    assert result["margin"].tolist() == pytest.approx([50 / 150, 59 / 130])
    total = contribution_by(orders(), by="all", start=START, end=END)
    assert result["contribution"].sum() == pytest.approx(total.loc[0, "contribution"])


def test_lines_worth_nothing_share_the_order_equally():
    one_order = orders().iloc[[0]]  # net 200, commission 10, logistics 10, cogs 80
    lines = pd.DataFrame(
        [(1, 7, 1, 40.0, 0.0), (1, 8, 1, 40.0, 0.0)],
        columns=["order_id", "category_id", "quantity", "unit_cost", "net_amount"],
    )
    result = contribution_by_category(one_order, lines, start=START, end=END)
    # each: net 100, cogs 40, commission 5, logistics 5 -> 50
    assert result["contribution"].tolist() == pytest.approx([50, 50])
