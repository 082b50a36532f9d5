"""Customer lifecycle (生命周期): stage per customer, win-back rate, churn rate, transitions.

Stages (DESIGN §3), with ``d_first``/``d_last`` the days from the first/last paid order to
``as_of`` and ``d_return`` the days from the latest *return order* to ``as_of``. A return
order is a paid order placed more than ``active_days`` days after the customer's previous
paid day: just before it, the customer was in churn warning or lost.

Precedence, first match wins:

===============  ======================================  ===================================
stage            rule                                    boundaries with the defaults
===============  ======================================  ===================================
prospect         registered, no paid order up to as_of
new              d_first ≤ new_days                      d_first 30 → new, 31 → not
won_back         d_return ≤ won_back_days                return 30 days ago → won_back, 31 →
                                                         active; a gap of 91 days between
                                                         two orders is a return, 90 is not
active           d_last ≤ active_days                    90 → active, 91 → churn_warning
churn_warning    d_last ≤ warning_days                   180 → churn_warning, 181 → lost
lost             d_last > warning_days
===============  ======================================  ===================================

``new`` and ``won_back`` never compete (all orders of a new customer lie within 30 days of
each other, so none is a return), and both imply a recent order: ``won_back`` is a
labelled subset of "active" for ``won_back_days`` after the return order, after which the
customer is plain ``active`` again.

Rates over a period ``start`` … ``end`` (inclusive dates) look at the state *at its start*,
meaning as of the day before ``start`` (nothing in the period has happened yet), and the
state at its end, as of ``end``; so consecutive periods chain without overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.metrics.summary import order_summary

PROSPECT = "prospect"
NEW = "new"
ACTIVE = "active"
CHURN_WARNING = "churn_warning"
LOST = "lost"
WON_BACK = "won_back"
STAGES = (PROSPECT, NEW, ACTIVE, CHURN_WARNING, LOST, WON_BACK)
UNREGISTERED = "unregistered"  # from-stage of customers who registered during a transition


@dataclass(frozen=True)
class Rate:
    """A share with its counts, so that pages can show "12 of 40" next to 30%."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float:
        """numerator / denominator; NaN when the denominator is 0 (nothing to measure)."""
        return self.numerator / self.denominator if self.denominator else float("nan")


def order_days(orders: pd.DataFrame, *, as_of: date, columns: Sequence[str] = ()) -> pd.DataFrame:
    """Paid orders of known customers up to the end of ``as_of``, with their local day.

    orders: customer_id, paid_at (naive local datetime) and ``columns``.
    Returns customer_id (int64 when the ids are numeric), day (paid_at at local midnight)
    and ``columns``; guest orders (customer_id missing) and orders after ``as_of`` dropped.
    """
    day = pd.to_datetime(orders["paid_at"]).dt.normalize()
    keep = orders["customer_id"].notna() & (day <= pd.Timestamp(as_of))
    frame = orders.loc[keep, ["customer_id", *columns]].assign(day=day[keep])
    if pd.api.types.is_float_dtype(frame["customer_id"]):
        # The loaders give float ids when guest orders (NaN) were present.
        frame["customer_id"] = frame["customer_id"].astype("int64")
    return frame.reset_index(drop=True)


def order_history(orders: pd.DataFrame, *, as_of: date, active_days: int = 90) -> pd.DataFrame:
    """Per customer with ≥ 1 paid order up to ``as_of`` (index customer_id):

    days_since_first, days_since_last, days_since_return (Int64; <NA> without a return
    order, i.e. no gap of more than ``active_days`` days between consecutive paid days).
    """
    return history_from_summary(order_summary(orders, as_of=as_of, active_days=active_days), as_of)


def history_from_summary(summary: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """:func:`order_history` from a ``summary.order_summary`` (computed with the same
    ``active_days``)."""
    as_of_ts = pd.Timestamp(as_of)
    history = pd.DataFrame(
        {
            "days_since_first": (as_of_ts - summary["first_day"]).dt.days,
            "days_since_last": (as_of_ts - summary["last_day"]).dt.days,
            "days_since_return": (as_of_ts - summary["return_day"]).dt.days,
        },
        index=summary.index,
    )
    return history.astype("Int64")


def lifecycle_stages(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    as_of: date,
    new_days: int = 30,
    active_days: int = 90,
    warning_days: int = 180,
    won_back_days: int = 30,
) -> pd.DataFrame:
    """Lifecycle stage of every customer as of ``as_of`` (rules and precedence: module doc).

    customers: customer_id, registered_at (local); rows registered after ``as_of`` are
    ignored. orders: customer_id, paid_at — paid orders; a customer with orders but no
    ``customers`` row still gets a stage.
    Returns, indexed by customer_id (sorted): stage, days_since_first, days_since_last,
    days_since_return (Int64, <NA> where not applicable).
    """
    history = order_history(orders, as_of=as_of, active_days=active_days)
    return stages_from_history(
        customers,
        history,
        as_of=as_of,
        new_days=new_days,
        active_days=active_days,
        warning_days=warning_days,
        won_back_days=won_back_days,
    )


def stages_from_history(
    customers: pd.DataFrame,
    history: pd.DataFrame,
    *,
    as_of: date,
    new_days: int = 30,
    active_days: int = 90,
    warning_days: int = 180,
    won_back_days: int = 30,
) -> pd.DataFrame:
    """:func:`lifecycle_stages` from an :func:`order_history` (or
    :func:`history_from_summary`) computed with the same ``active_days``."""
    registered_day = pd.to_datetime(customers["registered_at"]).dt.normalize()
    registered = customers.loc[registered_day <= pd.Timestamp(as_of), "customer_id"]
    ids = pd.Index(registered.unique()).union(history.index).rename("customer_id")
    table = history.reindex(ids)

    # Comparisons with <NA> are False once filled, so each rule only sees customers it
    # applies to; np.select takes the first rule that holds (the precedence above).
    first = table["days_since_first"]
    last = table["days_since_last"]
    back = table["days_since_return"]
    rules = [
        last.isna().to_numpy(),
        (first <= new_days).fillna(False).to_numpy(bool),
        (back <= won_back_days).fillna(False).to_numpy(bool),
        (last <= active_days).fillna(False).to_numpy(bool),
        (last <= warning_days).fillna(False).to_numpy(bool),
    ]
    choices = [PROSPECT, NEW, WON_BACK, ACTIVE, CHURN_WARNING]
    stage = np.select(rules, choices, default=LOST)
    return table.assign(stage=stage)[
        ["stage", "days_since_first", "days_since_last", "days_since_return"]
    ]


def _days_since_last(days: pd.DataFrame, as_of: date) -> pd.Series:
    """Days from each customer's last paid day up to ``as_of`` to ``as_of``."""
    last = days.loc[days["day"] <= pd.Timestamp(as_of)].groupby("customer_id")["day"].max()
    return (pd.Timestamp(as_of) - last).dt.days


def win_back_rate(orders: pd.DataFrame, *, start: date, end: date, active_days: int = 90) -> Rate:
    """Win-back rate (召回率) of the period ``start`` … ``end`` (inclusive).

    orders: customer_id, paid_at. Denominator: customers in churn warning or lost at the
    start, i.e. whose last paid order up to the day before ``start`` is more than
    ``active_days`` days before that day. Numerator: those of them with a paid order in the
    period (any such order is a return order). Customers who lapse and return inside the
    period are in neither count, so the rate stays a share of one fixed group.
    """
    days = order_days(orders, as_of=end)
    before = start - timedelta(days=1)
    lapsed = _days_since_last(days, before)
    lapsed = lapsed.index[lapsed > active_days]
    returned = days.loc[days["day"] >= pd.Timestamp(start), "customer_id"].unique()
    return Rate(int(lapsed.isin(returned).sum()), len(lapsed))


def churn_rate(orders: pd.DataFrame, *, start: date, end: date, active_days: int = 90) -> Rate:
    """Churn rate (流失率) of the period ``start`` … ``end`` (inclusive).

    orders: customer_id, paid_at. Denominator: customers active at the start — last paid
    order at most ``active_days`` days before the day before ``start`` (stages new, active
    and won_back). Numerator: those of them not active at the end — last paid order up to
    ``end`` more than ``active_days`` days before ``end``.
    """
    days = order_days(orders, as_of=end)
    at_start = _days_since_last(days, start - timedelta(days=1))
    active = at_start.index[at_start <= active_days]
    at_end = _days_since_last(days, end).reindex(active)
    return Rate(int((at_end > active_days).sum()), len(active))


def stage_transitions(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    from_date: date,
    to_date: date,
    **thresholds: int,
) -> pd.DataFrame:
    """How many customers moved from each stage as of ``from_date`` to each as of ``to_date``.

    Inputs as for :func:`lifecycle_stages` (``thresholds`` are its keyword thresholds).
    Returns columns from_stage, to_stage, customers (int), one row per pair that occurs,
    in stage order; customers registered after ``from_date`` come from "unregistered".
    """
    before = lifecycle_stages(customers, orders, as_of=from_date, **thresholds)["stage"]
    after = lifecycle_stages(customers, orders, as_of=to_date, **thresholds)["stage"]
    pairs = pd.DataFrame({"from_stage": before.reindex(after.index), "to_stage": after})
    pairs["from_stage"] = pairs["from_stage"].fillna(UNREGISTERED)
    counts = pairs.groupby(["from_stage", "to_stage"]).size().rename("customers").reset_index()
    order = {stage: i for i, stage in enumerate((UNREGISTERED, *STAGES))}
    return counts.sort_values(
        ["from_stage", "to_stage"], key=lambda s: s.map(order), ignore_index=True
    )
