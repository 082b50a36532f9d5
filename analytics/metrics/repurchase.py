"""Repurchase (复购): repurchase rate, 30-day repurchase rate, repurchase interval.

Inputs are paid orders: customer_id, paid_at (naive local). Orders are counted as orders,
not as days: two paid orders on one day are two orders (a customer who comes back the
same day did buy again); :func:`repurchase_interval` can collapse them with
``distinct_days=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.metrics.lifecycle import Rate, order_days


def repurchase_rate(orders: pd.DataFrame, *, start: date, end: date) -> Rate:
    """Repurchase rate of the period ``start`` … ``end`` (local dates, inclusive).

    Customers with ≥ 2 paid orders in the period / customers with ≥ 1 (DESIGN §3).
    """
    days = order_days(orders, as_of=end)
    counts = days.loc[days["day"] >= pd.Timestamp(start)].groupby("customer_id").size()
    return Rate(int((counts >= 2).sum()), len(counts))


def repurchase_rate_30d(
    orders: pd.DataFrame,
    *,
    cohort_start: date,
    cohort_end: date,
    as_of: date,
    days: int = 30,
) -> Rate:
    """30-day repurchase rate of the customers whose first paid order (ever) is in the cohort.

    Cohort: customers whose first paid order up to ``as_of`` lies in ``cohort_start`` …
    ``cohort_end`` (local dates, inclusive). A customer repurchases when another paid order
    follows the first one at most ``days`` calendar days after the first order's day (a
    second order on the same day counts). Customers whose ``days`` are not over at ``as_of``
    (first day + days > as_of) are excluded from both counts: they have not had their full
    chance yet, and counting them would pull the rate down for recent cohorts.
    """
    frame = order_days(orders, as_of=as_of, columns=["paid_at"])
    frame = frame.sort_values(["customer_id", "paid_at"], kind="stable")
    first_day = frame.groupby("customer_id")["day"].transform("min")
    position = frame.groupby("customer_id").cumcount()
    first = frame.loc[position == 0, ["customer_id", "day"]].set_index("customer_id")["day"]
    eligible = first[
        (first >= pd.Timestamp(cohort_start))
        & (first <= pd.Timestamp(cohort_end))
        & (first <= pd.Timestamp(as_of - timedelta(days=days)))
    ]
    follow_up = (position > 0) & ((frame["day"] - first_day).dt.days <= days)
    repeaters = frame.loc[follow_up, "customer_id"].unique()
    return Rate(int(eligible.index.isin(repeaters).sum()), len(eligible))


@dataclass(frozen=True)
class RepurchaseInterval:
    """Days between consecutive paid orders, pooled over all customers.

    median_days: the median (NaN without any pair); pairs: how many consecutive pairs;
    distribution: pairs per interval (index: days, or the bin labels when binned).
    """

    median_days: float
    pairs: int
    distribution: pd.Series


def repurchase_interval(
    orders: pd.DataFrame,
    *,
    as_of: date,
    distinct_days: bool = False,
    bins: Sequence[float] | None = None,
) -> RepurchaseInterval:
    """Repurchase interval (复购周期): median days between consecutive paid orders.

    Every consecutive pair of a customer's paid orders up to ``as_of`` (by paid_at) gives
    one interval, the difference of their local dates (0 for the same day; with
    ``distinct_days=True`` same-day orders are collapsed first). The median is taken over
    all pairs of all customers. ``bins`` (ascending edges, left-closed: [0, 7) [7, 30) …)
    groups the distribution for a histogram; without it, pairs are counted per day value.
    """
    frame = order_days(orders, as_of=as_of, columns=["paid_at"])
    if distinct_days:
        frame = frame.drop_duplicates(["customer_id", "day"])
    frame = frame.sort_values(["customer_id", "paid_at"], kind="stable")
    gaps = frame.groupby("customer_id")["day"].diff().dt.days.dropna().astype("int64")
    median = float(np.median(gaps)) if len(gaps) else float("nan")
    if bins is None:
        distribution = gaps.value_counts().sort_index().rename("pairs")
        distribution.index.name = "days"
    else:
        binned = pd.cut(gaps, bins=list(bins), right=False)
        distribution = binned.value_counts(sort=False).rename("pairs")
    return RepurchaseInterval(median_days=median, pairs=len(gaps), distribution=distribution)
