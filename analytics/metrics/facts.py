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
- :func:`sku_sales`: per (day of paid_at, SKU): units and cost (Σ quantity × unit cost at
  sale), the inventory snapshot's source.
- :func:`product_reviews`: per (day of created_at, product): reviews, positive reviews
  (rating ≥ ``positive_rating``).
- :func:`activity_cells`: per (day, local hour, leaf category): events (of products in the
  category) and distinct paid orders (with a line in the category, by paid_at); the rows
  with a NaN category hold the totals (all events, all paid orders).
- :func:`cohort_days`: per (day, month of the first paid order, channel of that order):
  customers whose first paid order of that calendar month fell on the day, paid orders, net
  revenue and a histogram of the days since each order's previous paid order (for
  ``repurchase_interval``); :func:`cohort_cells` sums them per (month, channel, months
  since): active customers, paid orders, net revenue as in ``cohorts.cohort_retention``,
  and the histogram; :func:`cohorts` counts per (month, channel) the customers and the
  30-day repurchase counts of ``repurchase.repurchase_rate_30d`` from the first and second
  orders of ``recency``. :func:`cohort_facts` chains them over all paid orders.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.metrics.recency import NONE, order_days, order_recency

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
SKU_SALES_COLUMNS = ["date", "sku_id", "units", "cost"]
REVIEW_COLUMNS = ["date", "product_id", "reviews", "positive_reviews"]
ACTIVITY_COLUMNS = ["date", "hour", "category_id", "events", "orders"]
COHORT_COLUMNS = ["month", "channel_id", "customers", "matured_30d", "repurchased_30d"]
CELL_COLUMNS = [
    "month",
    "channel_id",
    "months_since",
    "customers",
    "orders",
    "revenue",
    "intervals",
]
COHORT_DAY_COLUMNS = ["date", "month", "channel_id", "customers", "orders", "revenue", "intervals"]
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


def sku_sales(lines: pd.DataFrame) -> pd.DataFrame:
    """``lines``: paid lines with paid_at, sku_id, quantity, unit_cost."""
    if lines.empty:
        return pd.DataFrame(columns=SKU_SALES_COLUMNS)
    frame = lines.assign(
        date=lines["paid_at"].dt.normalize(), cost=lines["quantity"] * lines["unit_cost"]
    )
    sales = (
        frame.groupby(["date", "sku_id"], sort=True)
        .agg(units=("quantity", "sum"), cost=("cost", "sum"))
        .reset_index()
    )
    sales["date"] = sales["date"].dt.date
    return sales[SKU_SALES_COLUMNS]


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
    channel_id, paid_at, net_amount. Returns (cohorts, cells) with the module's columns, as
    the kpis step stores them from the same parts one day at a time."""
    orders = orders[orders["paid_at"] < pd.Timestamp(as_of + timedelta(days=1))]
    days = order_days(orders)
    if days.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS), pd.DataFrame(columns=CELL_COLUMNS)
    first = date(1970, 1, 1) + timedelta(days=int(days["day"].min()))
    recency = order_recency(days, start=first, end=as_of, before=None)
    return (
        cohorts(recency.first_orders, recency.second_orders, as_of=as_of),
        cohort_cells(cohort_days(days)),
    )


def cohort_days(days: pd.DataFrame) -> pd.DataFrame:
    """``days``: ``recency.order_days`` rows. One row per (date, month, channel_id) with
    COHORT_DAY_COLUMNS; channel_id NaN for first orders without one; intervals {days: pairs}
    with the days as text (JSON keys)."""
    if days.empty:
        return pd.DataFrame(columns=COHORT_DAY_COLUMNS)
    t = days["day"].to_numpy()
    previous = days["previous_day"].to_numpy()
    has_previous = previous != NONE
    month = _month_start(days["first_day"].to_numpy())
    first_in_month = ~has_previous | (
        _month_start(np.where(has_previous, previous, t)) != _month_start(t)
    )
    keyed = pd.DataFrame(
        {
            "date": t,
            "month": month,
            "channel_id": days["first_channel_id"].fillna(-1).to_numpy(),
            "customers": first_in_month.astype("int64"),
            "orders": days["orders"].to_numpy(),
            "revenue": days["net_amount"].to_numpy(),
        }
    )
    keys = ["date", "month", "channel_id"]
    table = keyed.groupby(keys, sort=True)[["customers", "orders", "revenue"]].sum().reset_index()
    # Each day's orders pair with the one before: the first with the previous order day,
    # the others with an order of the same day.
    orders = days["orders"].to_numpy()
    pairs = pd.concat(
        [
            keyed.loc[has_previous, keys].assign(days=(t - previous)[has_previous], pairs=1),
            keyed.loc[orders > 1, keys].assign(days=0, pairs=orders[orders > 1] - 1),
        ]
    )
    table["intervals"] = (
        _histograms(pairs, keys).reindex(pd.MultiIndex.from_frame(table[keys])).to_numpy()
    )
    table["intervals"] = [h if isinstance(h, dict) else {} for h in table["intervals"]]
    table["date"] = pd.to_datetime(table["date"], unit="D").dt.date
    table["month"] = pd.to_datetime(table["month"], unit="D")
    return _finish(table)[COHORT_DAY_COLUMNS]


def cohort_months(days: pd.DataFrame) -> set[tuple[date, int]]:
    """The (month, months since) cells that cohort ``days`` (date, month) fall in."""
    when, month = pd.to_datetime(days["date"]), pd.to_datetime(days["month"])
    since = (when.dt.year - month.dt.year) * 12 + when.dt.month - month.dt.month
    return set(zip(month.dt.date, since.astype(int), strict=True))


def cohort_cells(days: pd.DataFrame) -> pd.DataFrame:
    """Sum :func:`cohort_days` rows (date, month, channel_id, customers, orders, revenue,
    intervals) per (month, channel_id, months since the month): CELL_COLUMNS."""
    if days.empty:
        return pd.DataFrame(columns=CELL_COLUMNS)
    month = _months(days["month"])
    since = _months(days["date"]) - month
    channel = days["channel_id"].fillna(-1).to_numpy(dtype="float64")
    order = np.lexsort((since, channel, month))
    key = np.stack([month, channel, since], axis=1)[order]
    starts = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]).any(axis=1)])
    cell = np.empty(len(order), dtype="int64")
    cell[order] = np.cumsum(np.isin(np.arange(len(order)), starts)) - 1
    sums = {
        column: np.bincount(cell, weights=days[column].to_numpy(dtype="float64"))
        for column in ("customers", "orders", "revenue")
    }
    histograms: list[dict[int, int]] = [{} for _ in starts]
    for at, intervals in zip(cell.tolist(), days["intervals"].tolist(), strict=True):
        histogram = histograms[at]
        for days_between, count in intervals.items():
            histogram[days_between] = histogram.get(days_between, 0) + count
    first = key[starts]
    cells = pd.DataFrame(
        {
            "month": first[:, 0].astype("int64").astype("datetime64[M]").astype("datetime64[ns]"),
            "channel_id": first[:, 1],
            "months_since": first[:, 2].astype("int64"),
            "customers": sums["customers"].astype("int64"),
            "orders": sums["orders"].astype("int64"),
            "revenue": sums["revenue"],
            # Corrections may cancel counts out: a histogram keeps the days with pairs.
            "intervals": [
                {d: n for d, n in sorted(h.items(), key=lambda item: int(item[0])) if n}
                for h in histograms
            ],
        }
    )
    return _finish(cells)[CELL_COLUMNS]


def _months(values: pd.Series) -> np.ndarray:
    """Dates → months since 1970-01."""
    return (
        np.asarray(values.to_numpy(), dtype="datetime64[D]").astype("datetime64[M]").astype("int64")
    )


def corrected_cohort_cells(
    cells: pd.DataFrame, *, removed: pd.DataFrame, added: pd.DataFrame
) -> pd.DataFrame:
    """The cohort ``cells`` (CELL_COLUMNS, as stored: the sums of the stored cohort days)
    once the stored cohort days ``removed`` are replaced by ``added`` (COHORT_DAY_COLUMNS):
    each cell less the days removed plus the days added. A cell left with no order is
    dropped, as :func:`cohort_cells` never makes one."""
    calendar_month = _months(cells["month"]) + cells["months_since"].to_numpy(dtype="int64")
    as_days = cells.assign(
        date=calendar_month.astype("datetime64[M]").astype("datetime64[D]").astype(object)
    ).drop(columns="months_since")
    negated = removed.assign(
        customers=-removed["customers"],
        orders=-removed["orders"],
        revenue=-removed["revenue"],
        intervals=[{days: -n for days, n in h.items()} for h in removed["intervals"]],
    )
    parts = [part for part in (as_days, negated, added) if len(part)]
    if not parts:
        return pd.DataFrame(columns=CELL_COLUMNS)
    summed = cohort_cells(pd.concat(parts, ignore_index=True))
    return summed[summed["orders"] != 0].reset_index(drop=True)


def cohorts(
    first_orders: pd.DataFrame, second_orders: pd.DataFrame, *, as_of: date
) -> pd.DataFrame:
    """Per (month of the first paid order, its channel): customers, matured_30d (first order
    at least 30 days before ``as_of``) and repurchased_30d (of those, a second paid order
    within 30 days of the first). ``first_orders``: day, channel_id, customers;
    ``second_orders``: day, channel_id, days_after_first, customers — as in
    ``recency.Recency``."""
    if first_orders.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    matured_until = pd.Timestamp(as_of - timedelta(days=REPURCHASE_DAYS))
    firsts = first_orders.assign(
        month=first_orders["day"].dt.to_period("M").dt.start_time,
        channel_id=first_orders["channel_id"].fillna(-1),
        matured_30d=first_orders["customers"].where(first_orders["day"] <= matured_until, 0),
    )
    first_day = second_orders["day"] - pd.to_timedelta(second_orders["days_after_first"], unit="D")
    seconds = second_orders[first_day <= matured_until].assign(
        month=first_day.dt.to_period("M").dt.start_time,
        channel_id=second_orders["channel_id"].fillna(-1),
    )
    keys = ["month", "channel_id"]
    table = firsts.groupby(keys, sort=True)[["customers", "matured_30d"]].sum()
    table["repurchased_30d"] = (
        seconds.groupby(keys)["customers"].sum().reindex(table.index, fill_value=0)
    )
    return _finish(table.reset_index().astype({"customers": "int64"}))[COHORT_COLUMNS]


def unsettled_from(day: date) -> date:
    """The first month whose cohort a recomputation from ``day`` may change: for earlier
    months every first order's 30 days ended before ``day`` (so did any as_of from then)."""
    return (day - timedelta(days=REPURCHASE_DAYS)).replace(day=1)


def _month_start(day_numbers: np.ndarray) -> np.ndarray:
    """Day numbers → the day number of the first of their month."""
    months = np.asarray(day_numbers, dtype="int64").astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype("int64")


def _histograms(pairs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """{days (text): pairs} per key, from rows of keys, days, pairs."""
    counts = pairs.groupby([*keys, "days"], sort=True)["pairs"].sum()
    counts = counts[counts != 0]  # corrections may cancel out
    if counts.empty:
        return pd.Series(dtype=object)
    index = counts.index
    days = index.get_level_values("days").to_numpy().astype(str).tolist()
    values = counts.astype("int64").tolist()
    groups = index.droplevel("days")
    changed = np.zeros(len(groups) - 1, dtype=bool)
    for codes in groups.codes:  # sorted: a group starts where any key's code changes
        changed |= codes[1:] != codes[:-1]
    starts = np.flatnonzero(np.r_[True, changed])
    ends = np.r_[starts[1:], len(counts)]
    return pd.Series(
        [dict(zip(days[a:b], values[a:b], strict=True)) for a, b in zip(starts, ends, strict=True)],
        index=groups[starts],
    )


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    table = table.rename(columns={"first_channel": "channel_id"})
    table["channel_id"] = table["channel_id"].where(table["channel_id"] >= 0)
    table["month"] = table["month"].dt.date
    return table
