"""When customers are active: weekday × hour heat maps, DAU / MAU and stickiness (DESIGN §3).

Timestamps are naive datetimes in the shop's local time; days are local calendar dates;
periods are inclusive ``[start, end]`` dates.

- **Weekday × hour**: rows counted (or distinct ids counted) by local weekday (Monday = 0
  … Sunday = 6) and hour (0–23), optionally per category.
- **DAU** of a day: distinct customers with any event that day (anonymous events, with no
  customer_id, are left out).
- **MAU** of a day: distinct customers with any event in the trailing 30 days — the day
  and the 29 days before it.
- **Stickiness** over ``[start, end]``: mean DAU over every calendar day of the period
  (days without events count as 0) divided by the MAU of the period's last day, i.e. the
  trailing 30 days ending at ``end``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

WEEKDAYS = 7
HOURS = 24
MAU_DAYS = 30


def weekday_hour_matrix(
    frame: pd.DataFrame,
    *,
    time_column: str,
    start: date,
    end: date,
    category_column: str | None = None,
    distinct_column: str | None = None,
) -> pd.DataFrame:
    """Activity by weekday × hour.

    ``frame`` has ``time_column`` (naive local datetimes), plus ``category_column`` and
    ``distinct_column`` when given. Examples: events (occurred_at) for events; paid lines
    (paid_at, category_id, distinct_column="order_id") for orders by category, where an
    order with several lines of one category counts once in that category.

    Returns a 7 × 24 frame of int64 counts (index weekday 0–6, Monday = 0; columns hour
    0–23; every cell present). With ``category_column``, one such 7 × 24 block per
    category: index (category, weekday).
    """
    when = frame[time_column]
    days = when.dt.normalize()
    rows = frame[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
    when = rows[time_column]
    keyed = pd.DataFrame({"weekday": when.dt.day_of_week, "hour": when.dt.hour}, index=rows.index)
    keys = ["weekday", "hour"]
    if category_column is not None:
        keyed.insert(0, category_column, rows[category_column])
        keys = [category_column, *keys]
    if distinct_column is not None:
        keyed[distinct_column] = rows[distinct_column]
        counts = keyed.drop_duplicates().groupby(keys).size()
    else:
        counts = keyed.groupby(keys).size()
    grid_rows: pd.Index = pd.RangeIndex(WEEKDAYS, name="weekday")
    if category_column is not None:
        categories = pd.Index(sorted(keyed[category_column].dropna().unique()))
        grid_rows = pd.MultiIndex.from_product(
            [categories, range(WEEKDAYS)], names=[category_column, "weekday"]
        )
    matrix = counts.unstack("hour") if len(counts) else pd.DataFrame(index=grid_rows)
    matrix = matrix.reindex(index=grid_rows, columns=range(HOURS), fill_value=0)
    matrix.columns.name = "hour"
    return matrix.fillna(0).astype("int64")


def weekday_hour_from_cells(cells: pd.DataFrame, *, value: str) -> pd.DataFrame:
    """The 7 × 24 matrix of :func:`weekday_hour_matrix` from hourly counts (date, hour,
    ``value``) summed over a period, e.g. the stored ``ActivityCell`` facts."""
    weekday = pd.to_datetime(cells["date"]).dt.day_of_week
    counts = cells.assign(weekday=weekday).groupby(["weekday", "hour"])[value].sum()
    matrix = counts.unstack("hour") if len(counts) else pd.DataFrame()
    matrix = matrix.reindex(index=pd.RangeIndex(WEEKDAYS, name="weekday"), columns=range(HOURS))
    matrix.columns.name = "hour"
    return matrix.fillna(0).astype("int64")


def daily_active_users(events: pd.DataFrame, *, start: date, end: date) -> pd.DataFrame:
    """DAU and MAU for every day in ``[start, end]``.

    ``events``: customer_id (NaN for anonymous), occurred_at (naive local). For a correct
    MAU on the first days, pass events from ``start − 29 days`` on.

    Returns one row per calendar day: day (date), dau, mau (int64).
    """
    first_day = pd.Timestamp(start) - pd.Timedelta(days=MAU_DAYS - 1)
    last_day = pd.Timestamp(end)
    active = pd.DataFrame(
        {"customer_id": events["customer_id"], "day": events["occurred_at"].dt.normalize()}
    )
    active = active[
        active["customer_id"].notna() & (active["day"] >= first_day) & (active["day"] <= last_day)
    ].drop_duplicates()
    days = pd.date_range(pd.Timestamp(start), last_day, freq="D")
    dau = active.groupby("day").size().reindex(days, fill_value=0)

    # A customer active on day d is in the MAU of d … d+29. Each active day opens a span
    # that lasts until the customer's next active day (or 30 days, whichever comes first),
    # so the spans of one customer never overlap and a running sum counts them once.
    active = active.sort_values(["customer_id", "day"])
    next_day = active.groupby("customer_id")["day"].shift(-1)
    span_end = active["day"] + pd.Timedelta(days=MAU_DAYS)
    span_end = span_end.where(next_day.isna() | (next_day > span_end), next_day)
    origin = first_day
    n = (last_day - origin).days + MAU_DAYS + 1
    delta = np.zeros(n, dtype="int64")
    np.add.at(delta, (active["day"] - origin).dt.days.to_numpy(), 1)
    np.add.at(delta, (span_end - origin).dt.days.to_numpy(), -1)
    covered = pd.Series(np.cumsum(delta), index=pd.date_range(origin, periods=n, freq="D"))
    mau = covered.reindex(days)
    return pd.DataFrame(
        {"day": days.date, "dau": dau.to_numpy(), "mau": mau.to_numpy().astype("int64")}
    )


def stickiness(events: pd.DataFrame, *, start: date, end: date) -> float:
    """Mean DAU over ``[start, end]`` / MAU of the 30 days ending at ``end`` (NaN if 0).

    ``events`` as for ``daily_active_users`` (from ``end − 29 days`` at least).
    """
    daily = daily_active_users(events, start=start, end=end)
    mau = float(daily["mau"].iloc[-1]) if len(daily) else 0.0
    return float(daily["dau"].mean()) / mau if mau else float("nan")
