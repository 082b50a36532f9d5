"""Counting a run of days: the histograms from the day before's and the days' own orders
and events, and the trailing rates from the histograms."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.metrics.recency.days import second_order_gaps
from analytics.metrics.recency.state import (
    ACTIVE_DAYS,
    ACTIVE_WIDTH,
    COHORT_AGES,
    FIRST_REPEAT_DAYS,
    LATEST_WIDTH,
    LOOKBACK_DAYS,
    NEVER,
    NONE,
    PERIOD_DAYS,
    PREVIOUS_WIDTH,
    REPURCHASE_DAYS,
    RETURN_GAPS,
    Recency,
    day_numbers,
)

RATE_COLUMNS = ["repurchase_rate", "churn_rate", "win_back_rate", "repurchase_rate_30d"]


def order_recency(days: pd.DataFrame, *, start: date, end: date, before: Recency | None) -> Recency:
    """The order histograms (latest, previous, returned, first and second orders) of
    ``start`` … ``end`` from the :func:`order_days` rows of those days and the histograms of
    ``start − 1`` in ``before`` (None: nobody ordered before ``start``). ``active`` is left
    empty (:func:`activity_recency`)."""
    lo, hi = (int(x) for x in day_numbers([start, end]))
    n = hi - lo + 1
    rows = days[(days["day"] >= lo) & (days["day"] <= hi)]
    t = rows["day"].to_numpy()
    until = np.minimum(rows["next_day"].to_numpy() - 1, hi)
    previous = rows["previous_day"].to_numpy()
    previous_orders = rows["previous_orders"].to_numpy()
    from_before = (previous != NONE) & (previous < lo)  # replaces a customer counted before
    state = (
        Recency.empty(start)
        if before is None
        else before.between(start - timedelta(days=1), start - timedelta(days=1))
    )
    latest_before = state.latest[0] if len(state) else np.zeros(LATEST_WIDTH, dtype="int64")
    previous_before = state.previous[0] if len(state) else np.zeros(PREVIOUS_WIDTH, dtype="int64")

    # Latest order: each row from its day until the customer's next; the day before's
    # histogram carried on, less the customers who ordered again.
    latest = _carry(
        [
            _state_entries(latest_before, lo, hi),
            (t, t, until, 1),
            (previous[from_before], t[from_before], hi, -1),
        ],
        lo=lo, hi=hi, width=LATEST_WIDTH,
    )  # fmt: skip
    # Second-latest order: the same day's when a day has two, else the previous day's.
    second = np.where(rows["orders"].to_numpy() >= 2, t, previous)
    had_second = np.where(previous_orders >= 2, previous, rows["day_before_previous"].to_numpy())
    leaving = from_before & (had_second != NONE)
    previous_hist = _carry(
        [
            _state_entries(previous_before, lo, hi),
            (second[second != NONE], t[second != NONE], until[second != NONE], 1),
            (had_second[leaving], t[leaving], hi, -1),
        ],
        lo=lo, hi=hi, width=PREVIOUS_WIDTH,
    )  # fmt: skip

    gap = t - previous
    back = (previous != NONE) & (gap >= RETURN_GAPS[0])
    returned = np.zeros((n, len(RETURN_GAPS)), dtype="int64")
    np.add.at(returned, (t[back] - lo, np.minimum(gap[back], RETURN_GAPS[-1]) - RETURN_GAPS[0]), 1)

    channel = rows["first_channel_id"].to_numpy(dtype="float64")
    new = previous == NONE
    first_orders = _counts(t[new], channel[new], names=["channel_id"])
    repeat = second_order_gaps(rows)
    is_second = (repeat >= 0) & (repeat <= FIRST_REPEAT_DAYS)
    second_orders = _counts(
        t[is_second],
        channel[is_second],
        repeat[is_second],
        names=["channel_id", "days_after_first"],
    )
    return Recency(
        start=start,
        latest=latest,
        previous=previous_hist,
        returned=returned,
        active=np.zeros((n, ACTIVE_WIDTH), dtype="int64"),
        first_orders=first_orders,
        second_orders=second_orders,
    )


def activity_recency(
    events: pd.DataFrame,
    prior_events: pd.DataFrame | None,
    *,
    start: date,
    end: date,
    before: Recency | None,
) -> np.ndarray:
    """Customers by days since their latest event (0 … 29), one row per day of ``start`` …
    ``end``, from the events of those days, each customer's latest event in the 30 days
    before ``start`` (``prior_events``: customer_id, last_active_at) and the ``active``
    histogram of ``start − 1`` in ``before`` (None: nobody active before ``start``)."""
    lo, hi = (int(x) for x in day_numbers([start, end]))
    known = events[events["customer_id"].notna()]
    occurred = known["occurred_at"].to_numpy(dtype="datetime64[ns]")
    active = pd.DataFrame(
        {
            "customer_id": known["customer_id"].to_numpy().astype("int64"),
            "day": occurred.astype("datetime64[D]").astype("int64"),
        }
    )
    active = active[(active["day"] >= lo) & (active["day"] <= hi)].drop_duplicates()
    active = active.sort_values(["customer_id", "day"], kind="stable")
    c, t = active["customer_id"].to_numpy(), active["day"].to_numpy()
    first_row = np.r_[True, c[1:] != c[:-1]][: len(c)]
    next_day = np.where(np.r_[~first_row[1:], False], np.r_[t[1:], NEVER], NEVER)[: len(c)]
    until = np.minimum(next_day - 1, hi)
    previous = np.full(len(c), NONE)
    if prior_events is not None and len(prior_events):
        at = pd.Index(prior_events["customer_id"].astype("int64")).get_indexer(c)
        last = day_numbers(prior_events["last_active_at"])
        previous = np.where(first_row & (at >= 0), last[np.where(at >= 0, at, 0)], NONE)
    leaving = (previous != NONE) & (previous < lo) & (previous >= lo - ACTIVE_WIDTH)
    state = (
        Recency.empty(start)
        if before is None
        else before.between(start - timedelta(days=1), start - timedelta(days=1))
    )
    active_before = state.active[0] if len(state) else np.zeros(ACTIVE_WIDTH, dtype="int64")
    histogram = _carry(
        [
            _state_entries(active_before, lo, hi),
            (t, t, until, 1),
            (previous[leaving], t[leaving], hi, -1),
        ],
        lo=lo, hi=hi, width=ACTIVE_WIDTH + 1,
    )  # fmt: skip
    return histogram[:, :ACTIVE_WIDTH]


def trailing_rates(recency: Recency, *, start: date, end: date) -> pd.DataFrame:
    """The trailing-window rates of the module docstring for each day of ``start`` …
    ``end``, from histograms covering ``start − 59`` … ``end``.

    Returns day, the RATE_COLUMNS and their numerators and denominators (repurchase: two,
    one; churn: churned, active_then; win-back: won, lapsed_then; 30-day: repeated, cohort).
    """
    history = recency.between(start - timedelta(days=LOOKBACK_DAYS), end)
    lo = int(day_numbers([history.start])[0])
    n = len(history)
    latest, previous = history.latest, history.previous
    one = latest[:, :REPURCHASE_DAYS].sum(axis=1)
    two = previous[:, :REPURCHASE_DAYS].sum(axis=1)
    active = latest[:, : ACTIVE_DAYS + 1].sum(axis=1)
    lapsed = latest[:, ACTIVE_DAYS + 1 :].sum(axis=1)
    churned = latest[:, ACTIVE_DAYS + 1 : ACTIVE_DAYS + PERIOD_DAYS + 1].sum(axis=1)
    # A return after a gap g counts on day t + k (k < 30) when g ≥ 121 − k.
    at_least = np.cumsum(history.returned[:, ::-1], axis=1)[:, ::-1]  # returns with gap ≥ column's
    won = np.zeros(n, dtype="int64")
    for k in range(PERIOD_DAYS):
        column = ACTIVE_DAYS + PERIOD_DAYS + 1 - k - RETURN_GAPS[0]
        won[k:] += at_least[: n - k, column]
    firsts = np.zeros(n, dtype="int64")
    f = history.first_orders
    np.add.at(firsts, day_numbers(f["day"]) - lo, f["customers"].to_numpy(dtype="int64"))
    repeated_by_first = np.zeros(n, dtype="int64")
    s = history.second_orders
    first_day = day_numbers(s["day"]) - s["days_after_first"].to_numpy(dtype="int64") - lo
    inside = first_day >= 0
    np.add.at(repeated_by_first, first_day[inside], s["customers"].to_numpy(dtype="int64")[inside])
    young, old = COHORT_AGES
    window = np.r_[0, np.cumsum(firsts)]
    cohort_sums = np.r_[0, np.cumsum(repeated_by_first)]

    rows = np.arange(LOOKBACK_DAYS, n)  # the days start … end
    cohort = window[rows - young + 1] - window[rows - old]
    repeated = cohort_sums[rows - young + 1] - cohort_sums[rows - old]
    frame = pd.DataFrame(
        {
            "day": history.days[rows],
            "two": two[rows], "one": one[rows],
            "churned": churned[rows], "active_then": active[rows - PERIOD_DAYS],
            "won": won[rows], "lapsed_then": lapsed[rows - PERIOD_DAYS],
            "repeated": repeated, "cohort": cohort,
        }
    )  # fmt: skip
    for rate, (numerator, denominator) in {
        "repurchase_rate": ("two", "one"),
        "churn_rate": ("churned", "active_then"),
        "win_back_rate": ("won", "lapsed_then"),
        "repurchase_rate_30d": ("repeated", "cohort"),
    }.items():
        d = frame[denominator].to_numpy(dtype="float64")
        frame[rate] = np.where(d > 0, frame[numerator] / np.where(d > 0, d, 1), np.nan)
    return frame


def _state_entries(histogram: np.ndarray, lo: int, hi: int):
    """The customers of the day before ``lo`` (histogram by days since) as entries that
    last the whole run."""
    r = np.arange(len(histogram))
    keep = histogram != 0
    return (lo - 1 - r[keep], np.full(keep.sum(), lo), hi, histogram[keep])


def _carry(entries, *, lo: int, hi: int, width: int) -> np.ndarray:
    """For each day d of ``lo`` … ``hi`` (rows), the summed weight of the entries (day t,
    valid from, valid to, weight) valid on d, by d − t (columns 0 … width − 2; the last
    column: width − 1 days or more). Entries before ``lo − width`` are in the last column
    on every day, so they are all counted at ``lo − width``.

    One two-dimensional running sum over (entry day, day): O(entries + days × (days + width)).
    """
    n = hi - lo + 1
    base = lo - width
    grid = np.zeros((n + width + 1, n + 1), dtype="int64")
    for t, valid_from, valid_to, weight in entries:
        t = np.asarray(t, dtype="int64")
        valid_from = np.broadcast_to(np.asarray(valid_from, dtype="int64"), t.shape)
        valid_to = np.broadcast_to(np.asarray(valid_to, dtype="int64"), t.shape)
        weight = np.broadcast_to(np.asarray(weight, dtype="int64"), t.shape)
        keep = (valid_to >= valid_from) & (valid_to >= lo) & (valid_from <= hi)
        row = np.maximum(t[keep], base) - base
        np.add.at(grid, (row, np.clip(valid_from[keep] - lo, 0, n)), weight[keep])
        np.add.at(grid, (row, np.clip(valid_to[keep] - lo, -1, n - 1) + 1), -weight[keep])
    grid = np.cumsum(grid, axis=1)[:, :n]
    d = np.arange(n)
    r = np.arange(width - 1)
    out = np.empty((n, width), dtype="int64")
    out[:, : width - 1] = grid[d[:, None] + width - r[None, :], d[:, None]]
    out[:, width - 1] = np.cumsum(grid, axis=0)[d + 1, d]
    return out


def _counts(day: np.ndarray, *keys: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Rows counted by day number and keys: day (Timestamp), *names, customers."""
    frame = pd.DataFrame({"day": day, **dict(zip(names, keys, strict=True))})
    counts = frame.groupby(["day", *names], dropna=False).size().rename("customers").reset_index()
    counts["day"] = (
        counts["day"].to_numpy(dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")
    )
    return counts.astype({"customers": "int64"})
