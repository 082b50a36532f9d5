"""Paid orders by customer and day, each with what the customer's earlier orders say."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.recency.state import NEVER, NONE, day_numbers

PRIOR_COLUMNS = [
    "customer_id",
    "first_paid_at",
    "first_channel_id",
    "last_paid_at",
    "previous_paid_at",
]
DAY_COLUMNS = [
    "customer_id", "day", "orders", "net_amount", "previous_day", "previous_orders",
    "day_before_previous", "next_day", "first_day", "first_channel_id",
]  # fmt: skip


def order_days(orders: pd.DataFrame, prior: pd.DataFrame | None = None) -> pd.DataFrame:
    """Paid orders of known customers by customer and local day, each row with what the
    customer's earlier orders say about it.

    orders: order_id, customer_id (NaN for guests: left out), channel_id, paid_at,
    net_amount — every paid order from some day on; prior: PRIOR_COLUMNS for the customers
    who had paid orders before that day (see :class:`Before`).

    Returns DAY_COLUMNS, one row per customer and day with paid orders, sorted; days are day
    numbers: orders and net_amount of the day; previous_day (NONE: the customer's first paid
    order ever) and previous_orders (paid orders that day, 2 meaning two or more);
    day_before_previous (the order day before previous_day; NONE when there is none, or when
    previous_orders is 2 and previous_day comes from ``prior``); next_day (NEVER: none yet);
    first_day and first_channel_id of the customer's first paid order ever (the earliest
    paid_at, then the lowest order_id).
    """
    known = orders[orders["customer_id"].notna()]
    if known.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in DAY_COLUMNS}).astype(
            {"net_amount": "float64", "first_channel_id": "float64"}
        )
    customer = known["customer_id"].to_numpy().astype("int64")
    paid_at = known["paid_at"].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((known["order_id"].to_numpy(), paid_at, customer))
    customer, paid_at = customer[order], paid_at[order]
    channel = known["channel_id"].to_numpy(dtype="float64")[order]
    net = known["net_amount"].to_numpy(dtype="float64")[order]
    day = paid_at.astype("datetime64[D]").astype("int64")

    starts = np.flatnonzero(np.r_[True, (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])])
    c, t = customer[starts], day[starts]
    count = np.diff(np.r_[starts, len(customer)])
    first_row = np.r_[True, c[1:] != c[:-1]]
    same_prev = ~first_row
    same_prev2 = same_prev & np.r_[False, same_prev[:-1]]
    owner = np.cumsum(first_row) - 1  # the customer's number, per row
    own_first_day = t[first_row][owner]
    own_first_channel = channel[starts][first_row][owner]

    p1 = p2 = np.full(len(c), NONE)
    prior_first_day = np.full(len(c), NONE)
    prior_first_channel = np.full(len(c), np.nan)
    if prior is not None and len(prior):
        at = pd.Index(prior["customer_id"].astype("int64")).get_indexer(c)
        has = at >= 0
        at = np.where(has, at, 0)
        p1 = np.where(has, day_numbers(prior["last_paid_at"])[at], NONE)
        p2 = np.where(has, day_numbers(prior["previous_paid_at"])[at], NONE)
        prior_first_day = np.where(has, day_numbers(prior["first_paid_at"])[at], NONE)
        prior_first_channel = np.where(
            has, prior["first_channel_id"].to_numpy(dtype="float64")[at], np.nan
        )
    has_prior = p1 != NONE
    two_on_p1 = has_prior & (p2 == p1)

    previous_day = np.where(same_prev, np.r_[NONE, t[:-1]], p1)
    previous_orders = np.where(
        same_prev, np.minimum(np.r_[0, count[:-1]], 2), np.where(two_on_p1, 2, has_prior)
    )
    day_before_previous = np.where(
        same_prev2,
        np.r_[NONE, NONE, t[:-2]][: len(t)],
        np.where(same_prev, np.r_[NONE, p1[:-1]], np.where(two_on_p1, NONE, p2)),
    )
    next_day = np.where(np.r_[same_prev[1:], False], np.r_[t[1:], NEVER], NEVER)
    return pd.DataFrame(
        {
            "customer_id": c,
            "day": t,
            "orders": count,
            "net_amount": np.add.reduceat(net, starts),
            "previous_day": previous_day,
            "previous_orders": previous_orders.astype("int64"),
            "day_before_previous": day_before_previous,
            "next_day": next_day,
            "first_day": np.where(has_prior, prior_first_day, own_first_day),
            "first_channel_id": np.where(has_prior, prior_first_channel, own_first_channel),
        }
    )


def second_order_gaps(days: pd.DataFrame) -> np.ndarray:
    """Per :func:`order_days` row: the days from the customer's first paid order to their
    second when this row's day holds the second (0: both on the first day), else −1."""
    t = days["day"].to_numpy()
    previous = days["previous_day"].to_numpy()
    first = days["first_day"].to_numpy()
    on_first_day = (previous == NONE) & (days["orders"].to_numpy() >= 2)
    next_after_first = (previous == first) & (days["previous_orders"].to_numpy() == 1)
    return np.where(on_first_day, 0, np.where(next_after_first, t - first, -1))
