"""Inventory health on six hand-made SKUs; every figure is worked out in a comment."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.inventory import HEALTH_COLUMNS, inventory_health, inventory_summary

START, END = date(2026, 6, 1), date(2026, 6, 30)


def inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    skus = pd.DataFrame(
        [
            (1, 20, 5.0, 7),
            (2, 5, 10.0, 10),
            (3, 0, 3.0, 7),
            (4, 12, 4.0, 7),
            (5, 7, 2.0, 7),
            (6, 0, 1.0, 7),
        ],
        columns=["sku_id", "stock_on_hand", "unit_cost", "lead_time_days"],
    )
    lines = pd.DataFrame(
        [
            (1, "2026-06-10 10:00", 10, 5.0),
            (1, "2026-06-25 10:00", 18, 5.0),
            (1, "2026-07-01 00:00", 100, 5.0),  # after the period
            (2, "2026-06-02 10:00", 14, 10.0),  # in the period, not in the last 28 days
            (2, "2026-06-29 10:00", 14, 10.0),
            (3, "2026-06-20 10:00", 6, 3.0),
            (4, "2026-05-02 10:00", 1, 4.0),  # 59 days before the end: still "recent"
            (5, "2026-05-01 23:59", 1, 2.0),  # 60 days before the end: a slow mover
        ],
        columns=["sku_id", "paid_at", "quantity", "unit_cost"],
    )
    lines["paid_at"] = pd.to_datetime(lines["paid_at"])
    receipts = pd.DataFrame(
        [(1, "2026-06-15", 30), (1, "2026-05-15", 99)],  # the second is before the period
        columns=["sku_id", "received_at", "quantity"],
    )
    return skus, lines, receipts


def health(**settings) -> pd.DataFrame:
    skus, lines, receipts = inputs()
    result = inventory_health(skus, lines, start=START, end=END, receipts=receipts, **settings)
    assert list(result.columns) == HEALTH_COLUMNS
    return result.set_index("sku_id")


def test_units_cogs_and_unit_sell_through():
    rows = health()
    assert rows["units_sold"].tolist() == [28, 28, 6, 0, 0, 0]
    assert rows["cogs"].tolist() == pytest.approx([140, 280, 18, 0, 0, 0])
    # 28 / (28 + 20), 28 / (28 + 5), 6 / (6 + 0), 0 / 12, 0 / 7, 0 / 0
    np.testing.assert_allclose(rows["unit_sell_through"], [28 / 48, 28 / 33, 1.0, 0.0, 0.0, np.nan])


def test_turnover_from_opening_and_closing_stock():
    rows = health()
    # opening = closing + sold - received: 20 + 28 - 30 = 18; 5 + 28 = 33; 0 + 6; 12; 7; 0
    assert rows["opening_stock"].tolist() == [18, 33, 6, 12, 7, 0]
    # average value: (18 + 20) / 2 × 5 = 95; (33 + 5) / 2 × 10 = 190; 3 × 3 = 9; 48; 14; 0
    assert rows["average_stock_value"].tolist() == pytest.approx([95, 190, 9, 48, 14, 0])
    np.testing.assert_allclose(rows["turnover"], [140 / 95, 280 / 190, 2.0, 0.0, 0.0, np.nan])


def test_without_receipts_opening_is_closing_plus_sold():
    skus, lines, _ = inputs()
    rows = inventory_health(skus, lines, start=START, end=END).set_index("sku_id")
    assert rows.loc[1, "opening_stock"] == 48  # 20 + 28
    assert rows.loc[1, "turnover"] == pytest.approx(140 / 170)  # (48 + 20) / 2 × 5 = 170


def test_days_of_cover_and_low_stock_alert():
    rows = health()
    # last 28 days = 06-03 .. 06-30: SKU 1 sold 28 -> 1/day; SKU 2 sold 14 -> 0.5/day;
    # SKU 3 sold 6 -> 6/28 a day
    assert rows["daily_units"].iloc[:3].tolist() == pytest.approx([1.0, 0.5, 6 / 28])
    # cover: 20 / 1 = 20; 5 / 0.5 = 10; 0; no recent sales -> NaN
    np.testing.assert_allclose(rows["days_of_cover"], [20, 10, 0, np.nan, np.nan, np.nan])
    # thresholds: 7 + 7 = 14; 10 + 7 = 17; 14: 20 ≥ 14 no; 10 < 17 yes; 0 < 14 yes
    assert rows["low_stock"].tolist() == [False, True, True, False, False, False]
    # with 14 safety days SKU 1's threshold is 21 > 20
    assert health(safety_days=14)["low_stock"].tolist() == [True, True, True, False, False, False]


def test_in_stock_sold_and_slow_movers():
    rows = health()
    # in stock: stock > 0 (1, 2, 4, 5) or sold in the period (3); 6 has neither
    assert rows["in_stock"].tolist() == [True, True, True, True, True, False]
    assert rows["sold"].tolist() == [True, True, True, False, False, False]
    # no sale in 05-02 .. 06-30 with stock > 0: only SKU 5 (last sale 05-01)
    assert rows["slow_mover"].tolist() == [False, False, False, False, True, False]
    assert rows.loc[4, "last_sale"] == pd.Timestamp("2026-05-02")
    assert pd.isna(rows.loc[6, "last_sale"])


def test_summary():
    summary = inventory_summary(health().reset_index())
    assert summary["skus_in_stock"] == 5
    assert summary["skus_sold"] == 3
    assert summary["sku_sell_through"] == pytest.approx(3 / 5)  # 动销率
    # 售罄率: (28 + 28 + 6) / (62 + 20 + 5 + 0 + 12 + 7 + 0)
    assert summary["unit_sell_through"] == pytest.approx(62 / 106)
    # (140 + 280 + 18) / (95 + 190 + 9 + 48 + 14)
    assert summary["turnover"] == pytest.approx(438 / 356)
    assert (summary["low_stock"], summary["slow_movers"]) == (2, 1)


def test_daily_sums_per_sku_give_the_health_of_the_lines():
    """The kpis step feeds the stored units and cost per SKU and day (``SkuSales``)."""
    from analytics.metrics.facts import sku_sales

    skus, lines, receipts = inputs()
    lines = pd.concat([lines, lines.assign(paid_at=lines["paid_at"] + pd.Timedelta(hours=5))])
    sums = sku_sales(lines).rename(columns={"date": "paid_at", "units": "quantity", "cost": "cogs"})
    sums["paid_at"] = pd.to_datetime(sums["paid_at"]).astype(lines["paid_at"].dtype)
    from_lines = inventory_health(skus, lines, start=START, end=END, receipts=receipts)
    from_sums = inventory_health(skus, sums, start=START, end=END, receipts=receipts)
    pd.testing.assert_frame_equal(from_sums, from_lines)
