"""Per-customer order summary: the one pass over paid orders that RFM, the lifecycle stage
and the BG/NBD inputs are read from.

:func:`order_summary` sorts the paid orders of known customers up to ``as_of`` once by
(customer, paid_at) and reduces each customer's run of rows with numpy, so a million
orders cost a sort and a few vectorised reductions instead of one pandas group-by per
metric. Every figure is exact (no sampling, no approximation); the definitions are those
of the metrics that read them (``rfm.rfm_table``, ``lifecycle.order_history``,
``clv.bgnbd_summary``).

Input ``orders``: customer_id, paid_at (naive local), net_amount (taken as 0 when
absent: the lifecycle needs the dates only). Guest orders (no customer_id) and
orders after the end of ``as_of`` are ignored.

Output, indexed by customer_id (sorted), one row per customer with ≥ 1 paid order:

====================  ==================================================================
first_order_at        first paid_at (naive local timestamp)
last_order_at         last paid_at
first_day, last_day   their local dates (Timestamp at midnight)
orders                paid orders
order_days            distinct local days with a paid order
net_amount            Σ net amount
first_day_net         Σ net amount of the orders of ``first_day``
window_orders         paid orders in the ``window_days`` ending ``as_of`` (all when None)
window_net            Σ their net amount
return_day            the latest day that follows the previous paid day by more than
                      ``active_days`` days (NaT when there is none): the return order of
                      ``lifecycle``
preferred_hour        the local hour with most paid orders (the earliest on a tie)
====================  ==================================================================
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

COLUMNS = [
    "first_order_at",
    "last_order_at",
    "first_day",
    "last_day",
    "orders",
    "order_days",
    "net_amount",
    "first_day_net",
    "window_orders",
    "window_net",
    "return_day",
    "preferred_hour",
]
_NEVER = np.iinfo(np.int64).min


def order_summary(
    orders: pd.DataFrame,
    *,
    as_of: date,
    window_days: int | None = None,
    active_days: int = 90,
) -> pd.DataFrame:
    """The per-customer summary of the module docstring."""
    paid_at = pd.to_datetime(orders["paid_at"])
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    keep = (orders["customer_id"].notna() & (paid_at < end)).to_numpy()
    if not keep.any():
        return _empty(COLUMNS)

    ids = orders["customer_id"].to_numpy()[keep].astype("int64")
    when = paid_at.to_numpy()[keep].astype("datetime64[us]")
    ticks = when.astype("int64")
    order = _by_customer_then_time(ids, ticks)
    ids, when, ticks = ids[order], when[order], ticks[order]
    net = (
        orders["net_amount"].to_numpy(dtype="float64")[keep][order]
        if "net_amount" in orders.columns
        else np.zeros(len(ids))
    )
    day = when.astype("datetime64[D]").astype("int64")

    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)] - 1
    sizes = ends - starts + 1
    first_day = day[starts]
    new_day = np.r_[True, (ids[1:] != ids[:-1]) | (day[1:] != day[:-1])]

    def total(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, starts)

    on_first_day = day == np.repeat(first_day, sizes)
    if window_days:
        first_in_window = (as_of - timedelta(days=window_days - 1) - date(1970, 1, 1)).days
        in_window = day >= first_in_window
    else:
        in_window = np.ones(len(day), dtype=bool)
    # A return: a customer's new day more than active_days after their previous paid day.
    previous_day = np.r_[day[:1], day[:-1]]
    same_customer = np.r_[False, ids[1:] == ids[:-1]]
    returns = new_day & same_customer & (day - previous_day > active_days)
    return_day = np.maximum.reduceat(np.where(returns, day, _NEVER), starts)

    hour = ((ticks // 3_600_000_000) % 24).astype("int64")
    position = np.repeat(np.arange(len(starts)), sizes)
    hours = np.bincount(position * 24 + hour, minlength=len(starts) * 24)
    preferred_hour = hours.reshape(len(starts), 24).argmax(axis=1)  # first maximum

    def days(values: np.ndarray) -> pd.DatetimeIndex:
        return pd.to_datetime(values.astype("datetime64[D]")).as_unit("ns")

    summary = pd.DataFrame(
        {
            "first_order_at": pd.to_datetime(when[starts]).as_unit("ns"),
            "last_order_at": pd.to_datetime(when[ends]).as_unit("ns"),
            "first_day": days(first_day),
            "last_day": days(day[ends]),
            "orders": sizes.astype("int64"),
            "order_days": total(new_day.astype("int64")),
            "net_amount": total(net),
            "first_day_net": total(np.where(on_first_day, net, 0.0)),
            "window_orders": total(in_window.astype("int64")),
            "window_net": total(np.where(in_window, net, 0.0)),
            "return_day": days(return_day),  # _NEVER is NaT's integer
            "preferred_hour": preferred_hour.astype("int64"),
        },
        index=pd.Index(ids[starts], name="customer_id"),
    )
    return summary


def _by_customer_then_time(ids: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """The order that sorts the rows by customer, then time: one argsort of a single int64
    key (customer id in the high bits, microseconds since the first order in the low ones)
    when both fit in 63 bits — a customer id below 2^17 over two years of orders, say —
    which takes half the time of ``np.lexsort`` on the two; ``np.lexsort`` otherwise."""
    if len(ids) == 0:
        return np.arange(0)
    low, span = ticks.min(), int(ticks.max() - ticks.min())
    shift = max(span.bit_length(), 1)
    if ids.min() >= 0 and int(ids.max()).bit_length() + shift <= 63:
        return np.argsort((ids << shift) | (ticks - low))
    return np.lexsort((ticks, ids))


def _empty(columns: list[str]) -> pd.DataFrame:
    timestamps = {"first_order_at", "last_order_at", "first_day", "last_day", "return_day"}
    floats = {"net_amount", "first_day_net", "window_net"}
    return pd.DataFrame(
        {
            c: pd.Series(
                dtype="datetime64[ns]" if c in timestamps else "float64" if c in floats else "int64"
            )
            for c in columns
        },
        index=pd.Index([], name="customer_id", dtype="int64"),
    )
