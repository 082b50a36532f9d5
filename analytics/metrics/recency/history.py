"""``customer_history``: a run of days counted from the first paid order, or from what the
days before it left."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from analytics.metrics.recency.counting import activity_recency, order_recency, trailing_rates
from analytics.metrics.recency.days import order_days
from analytics.metrics.recency.state import (
    LOOKBACK_DAYS,
    MAU_DAYS,
    Recency,
    concat,
    date_of,
    day_numbers,
)


@dataclass(frozen=True)
class Before:
    """What the days before a recomputation from ``start`` left, read from the database.

    prior_orders: PRIOR_COLUMNS — for each customer with a paid order from ``start`` on who
    had one before: the first paid order (time, channel) and the last two before ``start``
    (previous_paid_at NaT when there was only one);
    prior_events: customer_id, last_active_at — for each customer with an event from
    ``start`` on, the latest event in the 30 days before ``start`` (none: no row);
    recency: the stored histograms of the days before ``start`` (from ``start − 59`` at least).
    """

    start: date
    prior_orders: pd.DataFrame
    prior_events: pd.DataFrame
    recency: Recency


@dataclass(frozen=True)
class CustomerHistory:
    """days: :func:`order_days` rows of ``start`` … ``end``; recency: the histograms of those
    days; rates: day, RATE_COLUMNS (NaN where the denominator is 0); users: day, dau, mau."""

    start: date
    end: date
    days: pd.DataFrame = field(repr=False)
    recency: Recency = field(repr=False)
    rates: pd.DataFrame = field(repr=False)
    users: pd.DataFrame = field(repr=False)


def customer_history(
    *,
    orders: pd.DataFrame,
    events: pd.DataFrame,
    start: date,
    end: date,
    before: Before | None = None,
) -> CustomerHistory:
    """Order days, recency histograms, trailing rates and DAU/MAU of ``start`` … ``end``.

    orders: order_id, customer_id (NaN for guests), channel_id, paid_at, net_amount;
    events: customer_id (NaN: anonymous), occurred_at. With ``before`` they cover ``start`` …
    ``end`` and ``before`` stands for everything earlier. Without it ``orders`` are every
    paid order up to ``end`` and ``events`` cover at least ``start − 29`` … ``end``; the
    histograms are then counted from the first paid order, with nobody before it.
    """
    after_end = pd.Timestamp(end + timedelta(days=1))
    orders = orders[orders["paid_at"] < after_end]
    events = events[events["occurred_at"] < after_end]
    if before is None:
        days = order_days(orders)
        first = date_of(days["day"].min()) if len(days) else start
        recency = order_recency(days, start=min(start, first), end=end, before=None)
        active = activity_recency(
            events, None, start=start - timedelta(days=MAU_DAYS - 1), end=end, before=None
        )
        lookback = recency
    else:
        days = order_days(orders, before.prior_orders)
        recency = order_recency(days, start=start, end=end, before=before.recency)
        active = activity_recency(
            events, before.prior_events, start=start, end=end, before=before.recency
        )
        lookback = before.recency
    n = (end - start).days + 1
    window = replace(recency.between(start, end), active=active[len(active) - n :])
    history = lookback.between(start - timedelta(days=LOOKBACK_DAYS), start - timedelta(days=1))
    rates = trailing_rates(concat(history, window), start=start, end=end)
    users = pd.DataFrame(
        {"day": window.days, "dau": window.active[:, 0], "mau": window.active.sum(axis=1)}
    )
    lo, hi = day_numbers([start, end])
    in_window = (days["day"] >= lo) & (days["day"] <= hi)
    return CustomerHistory(
        start=start,
        end=end,
        days=days[in_window].reset_index(drop=True),
        recency=window,
        rates=rates,
        users=users,
    )
