"""Report facts: small additive tables the report selectors sum over any date range.

Pages filter reports by date range, channel and category. Sums of counts and money over
days add up exactly, so the kpis step materialises them per day (``ProductSales``,
``ProductReviews``, ``ActivityCell``) or per first-purchase month (``Cohort``,
``CohortCell``), and a report over any range is a sum over a few thousand stored rows
instead of a scan of the orders. Inputs follow the metrics conventions (naive local
timestamps, money as float64).

- :func:`product_sales`: per (day of paid_at, product, order channel): units, paid orders
  with the product, revenue (Σ net line amount), cost (Σ quantity × unit cost at sale),
  returned units (of those lines).
- :func:`product_reviews`: per (day of created_at, product): reviews, positive reviews
  (rating ≥ ``positive_rating``).
- :func:`activity_cells`: per (day, local hour, leaf category): events (of products in the
  category) and distinct paid orders (with a line in the category, by paid_at); the rows
  with a NaN category hold the totals (all events, all paid orders).
- :func:`cohort_facts`: per (month of the first paid order, channel of that order):
  customers, the 30-day repurchase counts of ``repurchase.repurchase_rate_30d`` and a
  histogram of the days between consecutive paid orders (``repurchase_interval``); and per
  (month, channel, months since): active customers, paid orders, net revenue, as in
  ``cohorts.cohort_retention``.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.metrics.lifecycle import order_days

SALES_COLUMNS = [
    "date",
    "product_id",
    "channel_id",
    "units",
    "orders",
    "revenue",
    "cost",
    "returned_units",
]
REVIEW_COLUMNS = ["date", "product_id", "reviews", "positive_reviews"]
ACTIVITY_COLUMNS = ["date", "hour", "category_id", "events", "orders"]
COHORT_COLUMNS = ["month", "channel_id", "customers", "matured_30d", "repurchased_30d", "intervals"]
CELL_COLUMNS = ["month", "channel_id", "months_since", "customers", "orders", "revenue"]
REPURCHASE_DAYS = 30


def product_sales(lines: pd.DataFrame) -> pd.DataFrame:
    """``lines``: paid lines with paid_at, product_id, channel_id (NaN allowed), order_id,
    quantity, net_amount, unit_cost, returned_quantity."""
    if lines.empty:
        return pd.DataFrame(columns=SALES_COLUMNS)
    frame = lines.assign(
        date=lines["paid_at"].dt.normalize(),
        cost=lines["quantity"] * lines["unit_cost"],
        channel_id=lines["channel_id"].fillna(-1),
    )
    grouped = frame.groupby(["date", "product_id", "channel_id"], sort=True)
    sales = grouped.agg(
        units=("quantity", "sum"),
        orders=("order_id", "nunique"),
        revenue=("net_amount", "sum"),
        cost=("cost", "sum"),
        returned_units=("returned_quantity", "sum"),
    ).reset_index()
    sales["channel_id"] = sales["channel_id"].where(sales["channel_id"] >= 0)
    sales["date"] = sales["date"].dt.date
    return sales[SALES_COLUMNS]


def product_reviews(reviews: pd.DataFrame, *, positive_rating: int = 4) -> pd.DataFrame:
    """``reviews``: product_id, rating, created_at."""
    if reviews.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    frame = reviews.assign(
        date=reviews["created_at"].dt.normalize(), positive=reviews["rating"] >= positive_rating
    )
    counts = (
        frame.groupby(["date", "product_id"], sort=True)
        .agg(reviews=("rating", "size"), positive_reviews=("positive", "sum"))
        .reset_index()
    )
    counts["date"] = counts["date"].dt.date
    return counts[REVIEW_COLUMNS]


def activity_cells(
    events: pd.DataFrame, lines: pd.DataFrame, product_categories: pd.Series
) -> pd.DataFrame:
    """``events``: occurred_at, product_id (NaN for events without a product); ``lines``:
    paid lines with paid_at, order_id, category_id; ``product_categories``: category id by
    product id."""
    parts = []
    for frame, time_column, what in (
        (events, "occurred_at", "events"),
        (lines, "paid_at", "orders"),
    ):
        if frame.empty:
            continue
        when = frame[time_column]
        keyed = pd.DataFrame(
            {"date": when.dt.normalize(), "hour": when.dt.hour.astype("int64")}, index=frame.index
        )
        if what == "events":
            keyed["category_id"] = frame["product_id"].map(product_categories)
            totals = keyed.groupby(["date", "hour"]).size()
            by_category = (
                keyed.dropna(subset=["category_id"]).groupby(["date", "hour", "category_id"]).size()
            )
        else:
            keyed["order_id"] = frame["order_id"]
            keyed["category_id"] = frame["category_id"]
            totals = keyed.groupby(["date", "hour"])["order_id"].nunique()
            by_category = keyed.groupby(["date", "hour", "category_id"])["order_id"].nunique()
        totals = totals.rename(what).reset_index().assign(category_id=np.nan)
        parts.append(totals)
        parts.append(by_category.rename(what).reset_index())
    if not parts:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    cells = pd.concat(parts, ignore_index=True).reindex(columns=ACTIVITY_COLUMNS)
    cells["category_id"] = cells["category_id"].fillna(-1)
    cells = (
        cells.groupby(["date", "hour", "category_id"], sort=True)[["events", "orders"]]
        .sum(min_count=1)
        .fillna(0)
        .astype("int64")
        .reset_index()
    )
    cells["category_id"] = cells["category_id"].where(cells["category_id"] >= 0)
    cells["date"] = cells["date"].dt.date
    return cells[ACTIVITY_COLUMNS]


def cohort_facts(orders: pd.DataFrame, *, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``orders``: paid orders with customer_id (NaN for guests: left out), order_id,
    channel_id, paid_at, net_amount. Returns (cohorts, cells) with the module's columns."""
    frame = order_days(
        orders, as_of=as_of, columns=["order_id", "channel_id", "paid_at", "net_amount"]
    )
    if frame.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS), pd.DataFrame(columns=CELL_COLUMNS)
    frame = frame.sort_values(["customer_id", "paid_at", "order_id"], kind="stable")
    position = frame.groupby("customer_id").cumcount().to_numpy()
    first = frame[position == 0].set_index("customer_id")
    frame["month"] = frame["customer_id"].map(first["day"].dt.to_period("M").dt.start_time)
    frame["first_channel"] = frame["customer_id"].map(first["channel_id"]).fillna(-1)
    frame["first_day"] = frame["customer_id"].map(first["day"])
    order_month = frame["day"].dt.to_period("M")
    frame["months_since"] = (
        (order_month.dt.year - frame["month"].dt.year) * 12
        + order_month.dt.month
        - frame["month"].dt.month
    )
    keys = ["month", "first_channel"]

    cells = (
        frame.groupby([*keys, "months_since"], sort=True)
        .agg(
            customers=("customer_id", "nunique"),
            orders=("order_id", "size"),
            revenue=("net_amount", "sum"),
        )
        .reset_index()
    )

    matured_first = first["day"] <= pd.Timestamp(as_of - timedelta(days=REPURCHASE_DAYS))
    follow_up = (position > 0) & (
        (frame["day"] - frame["first_day"]).dt.days.to_numpy() <= REPURCHASE_DAYS
    )
    repeaters = set(frame.loc[follow_up, "customer_id"])
    people = frame[position == 0][[*keys, "customer_id"]].copy()
    people["matured"] = people["customer_id"].map(matured_first).to_numpy()
    people["repurchased"] = people["matured"] & people["customer_id"].isin(repeaters)
    cohorts = (
        people.groupby(keys, sort=True)
        .agg(
            customers=("customer_id", "size"),
            matured_30d=("matured", "sum"),
            repurchased_30d=("repurchased", "sum"),
        )
        .reset_index()
    )
    gaps = frame.groupby("customer_id")["day"].diff().dt.days
    pairs = frame.assign(gap=gaps).dropna(subset=["gap"])
    histogram = pairs.groupby([*keys, pairs["gap"].astype("int64")]).size()
    intervals = {
        key: {str(int(days)): int(count) for days, count in series.droplevel(keys).items()}
        for key, series in histogram.groupby(level=keys)
    }
    cohorts["intervals"] = [
        intervals.get((month, channel), {})
        for month, channel in zip(cohorts["month"], cohorts["first_channel"], strict=True)
    ]
    cohorts, cells = (_finish(cohorts), _finish(cells))
    return cohorts[COHORT_COLUMNS], cells[CELL_COLUMNS]


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    table = table.rename(columns={"first_channel": "channel_id"})
    table["channel_id"] = table["channel_id"].where(table["channel_id"] >= 0)
    table["month"] = table["month"].dt.date
    return table
