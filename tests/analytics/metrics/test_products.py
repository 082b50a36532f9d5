"""Product matrix quadrants and quality flags on hand-made lines and reviews."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.products import (
    LONG_TAIL,
    PROFIT_CONTRIBUTOR,
    STAR,
    TRAFFIC_DRIVER,
    product_matrix,
    quality_flags,
    top_products,
)

START, END = date(2026, 6, 1), date(2026, 6, 30)
LINE_COLUMNS = ["product_id", "paid_at", "quantity", "net_amount", "unit_cost", "returned_quantity"]


def lines(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=LINE_COLUMNS)
    frame["paid_at"] = pd.to_datetime(frame["paid_at"])
    return frame


def matrix_lines() -> pd.DataFrame:
    return lines(
        [
            # product 1: 6 + 4 = 10 units, 55 + 45 = 100 revenue (after a line discount),
            # cost 10 × 4 = 40, profit 60, margin 0.6
            (1, "2026-06-01 00:00", 6, 55.0, 4.0, 0),
            (1, "2026-06-30 23:59", 4, 45.0, 4.0, 0),
            # product 2: 10 units, 200 revenue, cost 180, profit 20, margin 0.1
            (2, "2026-06-10 12:00", 10, 200.0, 18.0, 0),
            # product 3: 2 units, 50 revenue, cost 20, profit 30, margin 0.6
            (3, "2026-06-11 12:00", 2, 50.0, 10.0, 0),
            (3, "2026-05-31 23:59", 50, 500.0, 1.0, 0),  # before the period
            (3, "2026-07-01 00:00", 50, 500.0, 1.0, 0),  # after it
            # product 4: 2 units, 40 revenue, cost 38, profit 2, margin 0.05
            (4, "2026-06-12 12:00", 2, 40.0, 19.0, 0),
            # product 5: 5 units, 60 revenue, cost 30, profit 30, margin 0.5
            (5, "2026-06-13 12:00", 5, 60.0, 6.0, 0),
            # product 6: 5 free units (revenue 0), cost 5, profit -5, margin undefined
            (6, "2026-06-14 12:00", 5, 0.0, 1.0, 0),
        ]
    )


def test_units_revenue_profit_margin_per_product():
    matrix = product_matrix(matrix_lines(), start=START, end=END).set_index("product_id")
    assert matrix["units"].tolist() == [10, 10, 2, 2, 5, 5]
    assert matrix["revenue"].tolist() == pytest.approx([100, 200, 50, 40, 60, 0])
    assert matrix["gross_profit"].tolist() == pytest.approx([60, 20, 30, 2, 30, -5])
    assert matrix["margin"].iloc[:5].tolist() == pytest.approx([0.6, 0.1, 0.6, 0.05, 0.5])
    assert np.isnan(matrix.loc[6, "margin"])


def test_quadrants_split_at_the_medians_with_ties_high():
    matrix = product_matrix(matrix_lines(), start=START, end=END)
    # units 2 2 5 5 10 10 -> median 5; margins 0.05 0.1 0.5 0.6 0.6 (NaN left out) -> 0.5
    assert matrix.attrs["volume_split"] == 5
    assert matrix.attrs["margin_split"] == pytest.approx(0.5)
    quadrants = dict(zip(matrix["product_id"], matrix["quadrant"], strict=True))
    assert quadrants == {
        1: STAR,
        2: TRAFFIC_DRIVER,
        3: PROFIT_CONTRIBUTOR,
        4: LONG_TAIL,
        5: STAR,  # exactly at both medians: high volume and high margin
        6: TRAFFIC_DRIVER,  # at the volume median; an undefined margin is low
    }


def test_quadrants_with_set_split_values():
    matrix = product_matrix(
        matrix_lines(), start=START, end=END, volume_split=10, margin_split=0.55
    )
    quadrants = dict(zip(matrix["product_id"], matrix["quadrant"], strict=True))
    assert quadrants == {
        1: STAR,  # 10 ≥ 10, 0.6 ≥ 0.55
        2: TRAFFIC_DRIVER,
        3: PROFIT_CONTRIBUTOR,
        4: LONG_TAIL,
        5: LONG_TAIL,  # 5 < 10, 0.5 < 0.55
        6: LONG_TAIL,
    }


def test_top_and_bottom_lists():
    matrix = product_matrix(matrix_lines(), start=START, end=END)
    assert top_products(matrix, by="revenue", n=2)["product_id"].tolist() == [2, 1]
    assert top_products(matrix, by="revenue", n=2, bottom=True)["product_id"].tolist() == [6, 4]
    # margin ties (1 and 3 at 0.6) keep the lower id first; NaN ranks last
    assert top_products(matrix, by="margin", n=6)["product_id"].tolist() == [1, 3, 5, 2, 4, 6]


def quality_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    sold = lines(
        [
            # 11: 20 + 10 = 30 units (exactly the minimum), 4 + 2 = 6 returned (exactly 20%)
            (11, "2026-06-02 10:00", 20, 0.0, 0.0, 4),
            (11, "2026-06-03 10:00", 10, 0.0, 0.0, 2),
            # 12: 29 units, 10 returned: one unit short of the minimum
            (12, "2026-06-02 10:00", 29, 0.0, 0.0, 10),
            # 13: 40 units, 7 returned = 17.5%
            (13, "2026-06-02 10:00", 40, 0.0, 0.0, 7),
            # 14: 30 units, 6 returned, but 70% positive exactly
            (14, "2026-06-02 10:00", 30, 0.0, 0.0, 6),
            # 15: 50 units, 25 returned, no reviews at all
            (15, "2026-06-02 10:00", 50, 0.0, 0.0, 25),
        ]
    )
    ratings = {
        11: [4, 4, 5, 5, 5, 5, 1, 2, 3, 3],  # 6 of 10 are ≥ 4 -> 0.6
        12: [1] * 8 + [5] * 2,  # 0.2
        13: [1] * 9 + [5],  # 0.1
        14: [4] * 7 + [3] * 3,  # 0.7 exactly
    }
    reviews = pd.DataFrame(
        [
            (product, rating, "2026-06-20")
            for product, values in ratings.items()
            for rating in values
        ]
        + [(11, 1, "2026-07-01"), (11, 5, "2026-05-31")],  # outside the period
        columns=["product_id", "rating", "created_at"],
    )
    reviews["created_at"] = pd.to_datetime(reviews["created_at"])
    return sold, reviews


def test_quality_flags_at_the_boundaries():
    sold, reviews = quality_inputs()
    flags = quality_flags(sold, reviews, start=START, end=END).set_index("product_id")
    assert flags["units_sold"].tolist() == [30, 29, 40, 30, 50]
    assert flags["return_rate"].tolist() == pytest.approx([0.2, 10 / 29, 0.175, 0.2, 0.5])
    assert flags["reviews"].tolist() == [10, 10, 10, 10, 0]
    assert flags["positive_rate"].iloc[:4].tolist() == pytest.approx([0.6, 0.2, 0.1, 0.7])
    assert np.isnan(flags.loc[15, "positive_rate"])
    # 11: 20% ≥ 20%, 60% < 70%, 30 ≥ 30 -> flagged; 12: 29 units; 13: 17.5%;
    # 14: 70% is not < 70%; 15: no reviews
    assert flags["flagged"].tolist() == [True, False, False, False, False]


def test_quality_flag_thresholds_are_settings():
    sold, reviews = quality_inputs()
    flags = quality_flags(
        sold,
        reviews,
        start=START,
        end=END,
        max_return_rate=0.15,
        min_positive_rate=0.75,
        min_units=29,
    ).set_index("product_id")
    # 11: yes; 12: 29 ≥ 29 now; 13: 17.5% ≥ 15%; 14: 70% < 75%; 15: still no reviews
    assert flags["flagged"].tolist() == [True, True, True, True, False]
