"""One CustomerScore row per customer, composed from the RFM, lifecycle and CLV metrics.

Inputs (metrics conventions: naive local timestamps, money as float64):

- ``customers``: customer_id, registered_at.
- ``orders``: customer_id, paid_at, net_amount, commission, logistics_cost — paid orders
  (guest orders, with no customer_id, are ignored); no cost of goods, which comes with
  the spend per category.
- ``category_spend``: customer_id, category_id, net_amount (Σ net line amount), cogs
  (Σ quantity × unit cost) — the lines of the same paid orders summed per customer and
  category (``loaders.customer_category_spend``).

Output: one row per customer with the columns of ``analytics.CustomerScore`` (by
attname), timestamps still naive local, plus the CLV fit report in :class:`ScoreRun`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics.metrics import clv, lifecycle, rfm


@dataclass(frozen=True)
class ScoreSettings:
    window_days: int | None = 365
    rfm_high: str = "score"
    fixed_thresholds: Mapping[str, Sequence[float]] | None = None
    new_days: int = 30
    active_days: int = 90
    warning_days: int = 180
    won_back_days: int = 30
    clv_horizon_days: int = 90
    clv_penalizer: float = 0.0
    clv_min_repeat_customers: int = clv.MIN_REPEAT_CUSTOMERS


@dataclass
class ScoreRun:
    frame: pd.DataFrame
    customers: int
    scored: int
    bgnbd: clv.FitResult | None = None
    gamma_gamma: clv.FitResult | None = None
    notes: list[str] = field(default_factory=list)


def customer_scores(
    *,
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    category_spend: pd.DataFrame,
    as_of: date,
    settings: ScoreSettings = ScoreSettings(),
) -> ScoreRun:
    """Scores of every registered customer as of ``as_of`` (see the module docstring).

    ``category_spend`` must cover the same orders as ``orders`` (paid up to ``as_of``).
    """
    s = settings
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    orders = orders.loc[orders["customer_id"].notna() & (orders["paid_at"] < end)].copy()
    orders["customer_id"] = orders["customer_id"].astype("int64")
    spend = category_spend.loc[category_spend["customer_id"].notna()].astype(
        {"customer_id": "int64"}
    )

    stages = lifecycle.lifecycle_stages(
        customers,
        orders,
        as_of=as_of,
        new_days=s.new_days,
        active_days=s.active_days,
        warning_days=s.warning_days,
        won_back_days=s.won_back_days,
    )
    frame = pd.DataFrame(index=stages.index)
    frame["lifecycle_stage"] = stages["stage"]

    table = rfm.rfm_table(orders, as_of=as_of, window_days=s.window_days)
    if s.fixed_thresholds:
        scored = rfm.rfm_scores_fixed(table, s.fixed_thresholds)
    else:
        scored = rfm.rfm_scores(table)
    scored = scored.assign(
        rfm_segment=rfm.rfm_segment(scored), rfm_class=rfm.rfm_class(scored, high=s.rfm_high)
    )
    frame = frame.join(
        scored.rename(columns={"r": "r_score", "f": "f_score", "m": "m_score"})[
            [
                "recency_days",
                "frequency",
                "monetary",
                "r_score",
                "f_score",
                "m_score",
                "rfm_segment",
                "rfm_class",
            ]
        ]
    )
    # Outside the window (or never bought) there is no score, but recency still means
    # something for customers who bought before the window.
    per = orders.groupby("customer_id").agg(
        first_order_at=("paid_at", "min"), last_order_at=("paid_at", "max")
    )
    frame = frame.join(per)
    no_recency = frame["recency_days"].isna() & frame["last_order_at"].notna()
    frame.loc[no_recency, "recency_days"] = (
        pd.Timestamp(as_of) - frame.loc[no_recency, "last_order_at"].dt.normalize()
    ).dt.days
    frame["frequency"] = frame["frequency"].fillna(0)
    frame["monetary"] = frame["monetary"].fillna(0.0)
    frame[["rfm_segment", "rfm_class"]] = frame[["rfm_segment", "rfm_class"]].fillna("")

    # Contribution (profit.order_contribution) summed per customer: Σ (net − commission −
    # logistics) over the orders, minus the cost of goods of their lines.
    value = (
        orders.assign(margin=orders["net_amount"] - orders["commission"] - orders["logistics_cost"])
        .groupby("customer_id")[["net_amount", "margin"]]
        .sum()
    )
    cogs = spend.groupby("customer_id")["cogs"].sum()
    frame["historical_value"] = value["net_amount"].reindex(frame.index).fillna(0.0)
    frame["historical_contribution"] = value["margin"].reindex(frame.index).fillna(
        0.0
    ) - cogs.reindex(frame.index).fillna(0.0)

    hours = orders.assign(hour=orders["paid_at"].dt.hour).groupby(["customer_id", "hour"]).size()
    frame["preferred_hour"] = _argmax_level(hours, "hour").reindex(frame.index)
    by_category = spend.set_index(["customer_id", "category_id"])["net_amount"]
    frame["preferred_category_id"] = _argmax_level(by_category, "category_id").reindex(frame.index)

    run = ScoreRun(frame=frame, customers=len(frame), scored=int(frame["r_score"].notna().sum()))
    _add_predictions(run, orders, as_of, s)
    run.frame = run.frame.reset_index().rename(columns={"index": "customer_id"})
    run.frame["as_of"] = as_of
    return run


def _argmax_level(values: pd.Series, level: str) -> pd.Series:
    """Per customer, the ``level`` value with the largest total (the smallest on a tie)."""
    if values.empty:
        return pd.Series(dtype="float64")
    ordered = values.reset_index(name="total").sort_values(
        ["customer_id", "total", level], ascending=[True, False, True]
    )
    return ordered.drop_duplicates("customer_id").set_index("customer_id")[level]


def _add_predictions(run: ScoreRun, orders: pd.DataFrame, as_of: date, s: ScoreSettings) -> None:
    frame = run.frame
    for column in ("p_alive", "predicted_purchases_90d", "predicted_value_90d"):
        frame[column] = np.nan
    summary = clv.bgnbd_summary(orders, as_of=as_of)
    try:
        prediction = clv.predict_clv(
            summary,
            days=s.clv_horizon_days,
            penalizer=s.clv_penalizer,
            min_repeat_customers=s.clv_min_repeat_customers,
        )
    except clv.FitError as error:
        run.notes.append(f"No predictions: the BG/NBD model could not be fitted ({error}).")
        return
    run.bgnbd, run.gamma_gamma = prediction.bgnbd, prediction.gamma_gamma
    predicted = prediction.frame.reindex(frame.index)
    frame["p_alive"] = predicted["p_alive"]
    frame["predicted_purchases_90d"] = predicted["predicted_purchases"]
    frame["predicted_value_90d"] = predicted["predicted_value"]
    if prediction.value_error is not None:
        run.notes.append(
            f"No predicted values: the Gamma-Gamma model could not be fitted ({prediction.value_error})."
        )
