"""Repurchase rate, 30-day repurchase rate and repurchase interval, checked by hand."""

from datetime import date, datetime

import pandas as pd

from analytics.metrics.repurchase import (
    repurchase_interval,
    repurchase_rate,
    repurchase_rate_30d,
)

PERIOD_ORDERS = pd.DataFrame(
    [
        (1, datetime(2026, 6, 1, 0, 0)),  # c1: two orders in June -> repeat
        (1, datetime(2026, 6, 30, 23, 59)),
        (2, datetime(2026, 5, 31, 23, 59)),  # c2: one in May, one in June -> not in June
        (2, datetime(2026, 6, 2, 9, 0)),
        (3, datetime(2026, 6, 15, 9, 0)),  # c3: two orders on one day -> repeat
        (3, datetime(2026, 6, 15, 18, 0)),
        (4, datetime(2026, 7, 1, 0, 0)),  # c4: after the period
        (5, datetime(2026, 6, 20, 9, 0)),  # c5: one order
        (None, datetime(2026, 6, 20, 9, 0)),  # guest orders are ignored
        (None, datetime(2026, 6, 21, 9, 0)),
    ],
    columns=["customer_id", "paid_at"],
)


def test_repurchase_rate_of_a_period():
    rate = repurchase_rate(PERIOD_ORDERS, start=date(2026, 6, 1), end=date(2026, 6, 30))
    # ≥ 1 order in June: c1, c2, c3, c5 (4); ≥ 2: c1, c3 (2)
    assert (rate.numerator, rate.denominator, rate.rate) == (2, 4, 0.5)


def test_repurchase_rate_boundaries_are_inclusive_local_days():
    rate = repurchase_rate(PERIOD_ORDERS, start=date(2026, 5, 31), end=date(2026, 6, 1))
    # May 31 – Jun 1: c1 (Jun 1 00:00) once, c2 (May 31 23:59) once -> 0 of 2
    assert (rate.numerator, rate.denominator) == (0, 2)


COHORT_ORDERS = pd.DataFrame(
    [
        # Cohort May 2026, as_of Jun 20: first orders after May 21 have not had 30 days yet.
        ("d1", datetime(2026, 5, 1, 10)),  # again 30 days later -> yes
        ("d1", datetime(2026, 5, 31, 22)),
        ("d2", datetime(2026, 5, 2, 10)),  # again 31 days later -> no
        ("d2", datetime(2026, 6, 2, 10)),
        ("d3", datetime(2026, 5, 10, 10)),  # again the same day -> yes
        ("d3", datetime(2026, 5, 10, 18)),
        ("d4", datetime(2026, 4, 30, 23, 59)),  # first order in April: not in the cohort
        ("d4", datetime(2026, 5, 5, 10)),
        ("d5", datetime(2026, 5, 21, 10)),  # 30 days end on as_of: counted, no repeat -> no
        ("d6", datetime(2026, 5, 22, 10)),  # 30 days not over at as_of: excluded
        ("d6", datetime(2026, 5, 25, 10)),
        ("d7", datetime(2026, 5, 15, 10)),  # repeat after as_of is not seen -> no
        ("d7", datetime(2026, 6, 21, 10)),
    ],
    columns=["customer_id", "paid_at"],
)


def test_30_day_repurchase_rate_of_a_first_purchase_cohort():
    rate = repurchase_rate_30d(
        COHORT_ORDERS,
        cohort_start=date(2026, 5, 1),
        cohort_end=date(2026, 5, 31),
        as_of=date(2026, 6, 20),
    )
    # eligible: d1, d2, d3, d5, d7 (5); repurchased within 30 days: d1, d3 (2)
    assert (rate.numerator, rate.denominator, rate.rate) == (2, 5, 0.4)


def test_30_day_repurchase_rate_includes_a_customer_once_the_30_days_are_over():
    rate = repurchase_rate_30d(
        COHORT_ORDERS,
        cohort_start=date(2026, 5, 1),
        cohort_end=date(2026, 5, 31),
        as_of=date(2026, 6, 21),
    )
    # d6 (May 22 + 30 = Jun 21) now counts and repurchased; d7's Jun 21 order is 37 days out
    assert (rate.numerator, rate.denominator) == (3, 6)


INTERVAL_ORDERS = pd.DataFrame(
    [
        ("e1", datetime(2026, 1, 1, 10)),  # 10 and 30 days
        ("e1", datetime(2026, 1, 11, 10)),
        ("e1", datetime(2026, 2, 10, 10)),
        ("e2", datetime(2026, 3, 1, 15)),  # 0 (same day) and 7 days; listed out of order
        ("e2", datetime(2026, 3, 1, 10)),
        ("e2", datetime(2026, 3, 8, 1)),
        ("e3", datetime(2026, 3, 8, 1)),  # a single order: no interval
        ("e4", datetime(2026, 4, 1, 23, 59)),  # 20 days (calendar dates, not 24-hour spans)
        ("e4", datetime(2026, 4, 21, 0, 1)),
        ("e4", datetime(2026, 7, 1, 0, 1)),  # after as_of
    ],
    columns=["customer_id", "paid_at"],
)


def test_repurchase_interval_is_the_median_over_all_consecutive_pairs():
    result = repurchase_interval(INTERVAL_ORDERS, as_of=date(2026, 6, 30))
    # intervals 10, 30, 0, 7, 20 -> sorted 0, 7, 10, 20, 30 -> median 10
    assert (result.median_days, result.pairs) == (10.0, 5)
    assert result.distribution.to_dict() == {0: 1, 7: 1, 10: 1, 20: 1, 30: 1}


def test_repurchase_interval_on_distinct_days_and_in_bins():
    result = repurchase_interval(
        INTERVAL_ORDERS, as_of=date(2026, 6, 30), distinct_days=True, bins=[0, 7, 14, 30, 60]
    )
    # the same-day pair of e2 goes: 10, 30, 7, 20 -> median (10 + 20) / 2 = 15
    assert (result.median_days, result.pairs) == (15.0, 4)
    # [0, 7): none; [7, 14): 7, 10; [14, 30): 20; [30, 60): 30
    assert result.distribution.tolist() == [0, 2, 1, 1]


def test_repurchase_interval_without_pairs_is_nan():
    result = repurchase_interval(INTERVAL_ORDERS.iloc[6:7], as_of=date(2026, 6, 30))
    assert result.pairs == 0 and pd.isna(result.median_days)
