"""Cohort retention (同期群留存) by month of first paid order.

A cohort is the set of customers whose first paid order (up to ``as_of``) falls in one local
calendar month. For months_since k = 0, 1, … :

- retention = cohort customers with a paid order in month cohort + k / cohort customers
  (so month 0 is 1.0 by construction);
- revenue_retention = cohort net revenue in month k / cohort net revenue in month 0
  (NaN when month 0 revenue is not positive, e.g. fully refunded).

Months after the month of ``as_of`` are not reached yet: they have no row in the long
table and are NaN in the matrix, never 0. The month of ``as_of`` itself is included and is
month-to-date.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from analytics.metrics.lifecycle import order_days

COLUMNS = [
    "cohort",
    "months_since",
    "customers",
    "active_customers",
    "retention",
    "revenue",
    "revenue_retention",
]


def _month_ordinal(days: pd.Series) -> pd.Series:
    """Months since 1970-01 (pandas' monthly Period ordinal) of each local day."""
    return (days.dt.year.astype("int64") - 1970) * 12 + days.dt.month.astype("int64") - 1


def cohort_retention(orders: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Customer and revenue retention per first-purchase month and months since, long format.

    orders: customer_id, paid_at (naive local), net_amount (float) — paid orders.
    Returns one row per (cohort, months_since) reached by ``as_of``, sorted: cohort
    (Period[M]), months_since (int), customers (cohort size), active_customers (with a paid
    order in that month), retention, revenue (net, float), revenue_retention.
    """
    frame = order_days(orders, as_of=as_of, columns=["net_amount"])
    if frame.empty:
        return pd.DataFrame({column: [] for column in COLUMNS}).astype(
            {"cohort": "period[M]", "months_since": "int64", "customers": "int64"}
        )
    month = _month_ordinal(frame["day"])
    cohort = month.groupby(frame["customer_id"]).transform("min")
    frame = frame.assign(cohort=cohort, months_since=month - cohort)
    cells = frame.groupby(["cohort", "months_since"]).agg(
        active_customers=("customer_id", "nunique"), revenue=("net_amount", "sum")
    )
    return retention_from_cells(cells.reset_index(), as_of=as_of)


def retention_from_cells(cells: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """:func:`cohort_retention` from per-(cohort, months_since) sums: cohort (month
    ordinal, as ``Period.ordinal``), months_since, active_customers, revenue — e.g. the
    stored ``CohortCell`` facts summed over channels by the report selector."""
    if cells.empty:
        return pd.DataFrame({column: [] for column in COLUMNS}).astype(
            {"cohort": "period[M]", "months_since": "int64", "customers": "int64"}
        )
    cells = cells.set_index(["cohort", "months_since"])[["active_customers", "revenue"]]

    # Every reached month of every cohort gets a row, so a month without orders shows 0
    # rather than disappearing: cohort c reaches months 0 … (month of as_of − c).
    cohorts = np.sort(cells.index.get_level_values("cohort").unique().to_numpy())
    last_month = _month_ordinal(pd.Series([pd.Timestamp(as_of)])).iloc[0]
    reached = last_month - cohorts + 1
    starts = np.repeat(np.cumsum(reached) - reached, reached)
    grid = pd.MultiIndex.from_arrays(
        [np.repeat(cohorts, reached), np.arange(reached.sum()) - starts],
        names=["cohort", "months_since"],
    )
    cells = cells.reindex(grid, fill_value=0)

    size = cells["active_customers"].xs(0, level="months_since")
    month0_revenue = cells["revenue"].xs(0, level="months_since")
    cohort_level = cells.index.get_level_values("cohort")
    customers = size.reindex(cohort_level).to_numpy()
    base_revenue = month0_revenue.reindex(cohort_level).to_numpy()
    long = cells.reset_index()
    long["customers"] = customers.astype("int64")
    long["active_customers"] = long["active_customers"].astype("int64")
    long["retention"] = long["active_customers"] / long["customers"]
    long["revenue"] = long["revenue"].astype("float64")
    long["revenue_retention"] = np.where(
        base_revenue > 0, long["revenue"] / np.where(base_revenue > 0, base_revenue, 1), np.nan
    )
    long["cohort"] = pd.PeriodIndex.from_ordinals(long["cohort"].to_numpy(), freq="M")
    long["months_since"] = long["months_since"].astype("int64")
    return long[COLUMNS]


def retention_matrix(
    long: pd.DataFrame,
    value: Literal["retention", "revenue_retention", "active_customers", "revenue"] = "retention",
) -> pd.DataFrame:
    """The cohort × months_since matrix of ``value`` from :func:`cohort_retention`'s table.

    Rows: cohorts (Period[M], ascending); columns: months_since 0 … max; cells not reached
    by ``as_of`` are NaN.
    """
    matrix = long.pivot(index="cohort", columns="months_since", values=value)
    return matrix.astype("float64")
