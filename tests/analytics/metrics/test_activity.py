"""Weekday × hour activity, DAU / MAU and stickiness on hand-made events."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.activity import daily_active_users, stickiness, weekday_hour_matrix


def frame(rows, columns) -> pd.DataFrame:
    data = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if name.endswith("_at"):
            data[name] = pd.to_datetime(data[name])
    return data


def active_events() -> pd.DataFrame:
    return frame(
        [
            (1, "2026-05-03 12:00"),
            (1, "2026-06-01 08:00"),
            (1, "2026-06-01 21:00"),  # second event the same day: still one active customer
            (2, "2026-06-01 00:00"),
            (2, "2026-06-02 23:59"),
            (3, "2026-05-04 00:00"),  # exactly 29 days before 2026-06-02
            (None, "2026-06-02 10:00"),  # anonymous: never a daily or monthly user
            (5, "2026-05-03 23:59"),  # 29 days before 2026-06-01, 30 before 2026-06-02
            (1, "2026-06-04 09:00"),  # after the period
        ],
        ["customer_id", "occurred_at"],
    )


def test_dau_and_trailing_30_day_mau():
    daily = daily_active_users(active_events(), start=date(2026, 6, 1), end=date(2026, 6, 3))
    assert daily["day"].tolist() == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    # DAU: 06-01 customers 1, 2; 06-02 customer 2; 06-03 nobody
    assert daily["dau"].tolist() == [2, 1, 0]
    # MAU 06-01 covers 05-03..06-01: 1, 2, 3, 5 -> 4
    # MAU 06-02 covers 05-04..06-02: 1, 2, 3 -> 3 (5's day 05-03 is 30 days back)
    # MAU 06-03 covers 05-05..06-03: 1, 2 -> 2 (3's day 05-04 dropped out)
    assert daily["mau"].tolist() == [4, 3, 2]


def test_stickiness_is_mean_dau_over_mau_at_period_end():
    # mean DAU = (2 + 1 + 0) / 3 = 1; MAU on 06-03 = 2 -> 0.5
    value = stickiness(active_events(), start=date(2026, 6, 1), end=date(2026, 6, 3))
    assert value == pytest.approx(0.5)
    nobody = active_events().iloc[:0]
    assert np.isnan(stickiness(nobody, start=date(2026, 6, 1), end=date(2026, 6, 3)))


def test_mau_matches_a_brute_force_count():
    rng = np.random.default_rng(7)
    size = 3_000
    data = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 200, size).astype("float64"),
            "occurred_at": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 90 * 24 * 60, size), unit="min"),
        }
    )
    daily = daily_active_users(data, start=date(2026, 2, 1), end=date(2026, 3, 31))
    days = data["occurred_at"].dt.normalize()
    for row in daily.itertuples():
        day = pd.Timestamp(row.day)
        window = (days <= day) & (days > day - pd.Timedelta(days=30))
        assert row.mau == data.loc[window, "customer_id"].nunique()
        assert row.dau == data.loc[days == day, "customer_id"].nunique()


def test_weekday_hour_matrix_counts_events():
    events = frame(
        [
            ("2026-06-01 10:05",),  # Monday 10h
            ("2026-06-01 10:59",),  # Monday 10h
            ("2026-05-31 23:30",),  # Sunday 23h
            ("2026-06-03 00:00",),  # Wednesday 0h
            ("2026-06-08 10:00",),  # after the period
        ],
        ["occurred_at"],
    )
    matrix = weekday_hour_matrix(
        events, time_column="occurred_at", start=date(2026, 5, 31), end=date(2026, 6, 7)
    )
    assert matrix.shape == (7, 24)
    assert matrix.loc[0, 10] == 2
    assert matrix.loc[6, 23] == 1
    assert matrix.loc[2, 0] == 1
    assert matrix.to_numpy().sum() == 4


def test_orders_by_category_count_each_order_once_per_category():
    lines = frame(
        [
            (1, 7, "2026-06-01 10:05"),
            (1, 7, "2026-06-01 10:05"),  # same order, same category: one order
            (1, 8, "2026-06-01 10:05"),
            (2, 7, "2026-06-02 21:00"),  # Tuesday 21h
        ],
        ["order_id", "category_id", "paid_at"],
    )
    matrix = weekday_hour_matrix(
        lines,
        time_column="paid_at",
        start=date(2026, 6, 1),
        end=date(2026, 6, 7),
        category_column="category_id",
        distinct_column="order_id",
    )
    assert matrix.shape == (14, 24)  # two categories × 7 weekdays
    assert matrix.loc[(7, 0), 10] == 1
    assert matrix.loc[(8, 0), 10] == 1
    assert matrix.loc[(7, 1), 21] == 1
    assert matrix.to_numpy().sum() == 3
