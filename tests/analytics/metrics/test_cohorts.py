"""Cohort retention by first-purchase month, worked out by hand."""

from datetime import date, datetime

import numpy as np
import pandas as pd

from analytics.metrics.cohorts import cohort_retention, retention_matrix

AS_OF = date(2026, 3, 15)

ORDERS = pd.DataFrame(
    [
        # Dec 2025 cohort: customer 7 only
        (7, datetime(2025, 12, 10, 9), 40.0),
        (7, datetime(2026, 2, 5, 9), 10.0),  # nothing in January: 0%, not NaN
        # Jan 2026 cohort: customers 1, 2, 3
        (1, datetime(2026, 1, 5, 9), 100.0),
        (1, datetime(2026, 2, 10, 9), 50.0),
        (1, datetime(2026, 3, 1, 9), 30.0),
        (2, datetime(2026, 1, 20, 9), 200.0),
        (2, datetime(2026, 3, 14, 9), 100.0),
        (3, datetime(2026, 1, 31, 23, 59), 60.0),  # local time: still January
        # Feb 2026 cohort: customers 4, 5
        (4, datetime(2026, 2, 1, 0, 0), 80.0),
        (4, datetime(2026, 2, 20, 9), 20.0),  # same month as the first order
        (4, datetime(2026, 3, 3, 9), 40.0),
        (5, datetime(2026, 2, 28, 9), 120.0),
        (5, datetime(2026, 3, 16, 9), 500.0),  # after as_of: ignored
        # Mar 2026 cohort: customer 6, on as_of itself
        (6, datetime(2026, 3, 15, 22), 70.0),
        (None, datetime(2026, 3, 1, 9), 999.0),  # guest: ignored
    ],
    columns=["customer_id", "paid_at", "net_amount"],
)


def test_cohort_retention_long_table():
    long = cohort_retention(ORDERS, as_of=AS_OF)

    rows = [
        # cohort, k, size, active, revenue
        ("2025-12", 0, 1, 1, 40.0),
        ("2025-12", 1, 1, 0, 0.0),
        ("2025-12", 2, 1, 1, 10.0),
        ("2025-12", 3, 1, 0, 0.0),
        ("2026-01", 0, 3, 3, 360.0),  # 100 + 200 + 60
        ("2026-01", 1, 3, 1, 50.0),  # customer 1 in February
        ("2026-01", 2, 3, 2, 130.0),  # customers 1 (30) and 2 (100) in March
        ("2026-02", 0, 2, 2, 220.0),  # 80 + 20 + 120
        ("2026-02", 1, 2, 1, 40.0),  # customer 4 in March
        ("2026-03", 0, 1, 1, 70.0),
    ]
    expected = pd.DataFrame(
        rows, columns=["cohort", "months_since", "customers", "active_customers", "revenue"]
    )
    expected["cohort"] = pd.PeriodIndex(expected["cohort"], freq="M")
    pd.testing.assert_frame_equal(
        long[["cohort", "months_since", "customers", "active_customers", "revenue"]], expected
    )
    np.testing.assert_allclose(
        long["retention"], [1, 0, 1, 0, 1, 1 / 3, 2 / 3, 1, 1 / 2, 1], rtol=1e-15
    )
    np.testing.assert_allclose(
        long["revenue_retention"],
        [1, 0, 10 / 40, 0, 1, 50 / 360, 130 / 360, 1, 40 / 220, 1],
        rtol=1e-15,
    )


def test_retention_matrix_leaves_months_not_reached_empty():
    matrix = retention_matrix(cohort_retention(ORDERS, as_of=AS_OF))

    nan = np.nan
    expected = np.array(
        [
            [1, 0, 1, 0],
            [1, 1 / 3, 2 / 3, nan],
            [1, 1 / 2, nan, nan],
            [1, nan, nan, nan],
        ]
    )
    np.testing.assert_allclose(matrix.to_numpy(), expected, rtol=1e-15)
    assert [str(p) for p in matrix.index] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert matrix.columns.tolist() == [0, 1, 2, 3]

    revenue = retention_matrix(cohort_retention(ORDERS, as_of=AS_OF), "revenue_retention")
    assert revenue.loc[pd.Period("2026-01", "M"), 2] == 130 / 360


def test_revenue_retention_is_nan_when_month_zero_revenue_is_not_positive():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "paid_at": [datetime(2026, 1, 5), datetime(2026, 2, 5)],
            "net_amount": [0.0, 30.0],  # first order fully refunded
        }
    )
    long = cohort_retention(orders, as_of=date(2026, 2, 28))
    assert long["retention"].tolist() == [1.0, 1.0]
    assert long["revenue_retention"].isna().all()


def test_cohort_retention_of_no_orders_is_empty():
    long = cohort_retention(ORDERS.iloc[:0], as_of=AS_OF)
    assert len(long) == 0 and "retention" in long.columns
    assert retention_matrix(long).empty
