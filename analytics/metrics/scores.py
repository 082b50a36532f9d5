"""One CustomerScore row per customer, composed from the RFM, lifecycle and CLV metrics.

Inputs (metrics conventions: naive local timestamps, money as float64):

- ``customers``: customer_id, registered_at.
- ``orders``: customer_id, paid_at, net_amount — paid orders (guest orders, with no
  customer_id, are ignored), read once into a ``summary.order_summary``.

The two figures that need the order lines — historical contribution (it subtracts the cost
of goods) and preferred category — come from :func:`line_figures`, which the tags step
runs on the lines it reads anyway (its category-lover rule sums the same spend per
category), so the scores step reads the orders only.

Output: one row per customer with the columns of ``analytics.CustomerScore`` (by
attname) but those two, timestamps still naive local, plus the CLV fit report in :class:`ScoreRun`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics.metrics import clv, lifecycle, profit, rfm
from analytics.metrics.summary import order_summary


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
    as_of: date,
    settings: ScoreSettings = ScoreSettings(),
) -> ScoreRun:
    """Scores of every registered customer as of ``as_of`` (see the module docstring)."""
    s = settings
    summary = order_summary(
        orders, as_of=as_of, window_days=s.window_days, active_days=s.active_days
    )
    stages = lifecycle.stages_from_history(
        customers,
        lifecycle.history_from_summary(summary, as_of),
        as_of=as_of,
        new_days=s.new_days,
        active_days=s.active_days,
        warning_days=s.warning_days,
        won_back_days=s.won_back_days,
    )
    frame = pd.DataFrame(index=stages.index)
    frame["lifecycle_stage"] = stages["stage"]

    table = rfm.rfm_from_summary(summary, as_of)
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
    per = summary.reindex(frame.index)
    frame["first_order_at"] = per["first_order_at"]
    frame["last_order_at"] = per["last_order_at"]
    no_recency = frame["recency_days"].isna() & per["last_day"].notna()
    frame.loc[no_recency, "recency_days"] = (
        pd.Timestamp(as_of) - per.loc[no_recency, "last_day"]
    ).dt.days
    frame["frequency"] = frame["frequency"].fillna(0)
    frame["monetary"] = frame["monetary"].fillna(0.0)
    frame[["rfm_segment", "rfm_class"]] = frame[["rfm_segment", "rfm_class"]].fillna("")
    frame["historical_value"] = per["net_amount"].fillna(0.0)
    frame["preferred_hour"] = per["preferred_hour"]

    run = ScoreRun(frame=frame, customers=len(frame), scored=int(frame["r_score"].notna().sum()))
    _add_predictions(run, clv.bgnbd_inputs(summary, as_of), s)
    run.frame = run.frame.reset_index().rename(columns={"index": "customer_id"})
    run.frame["as_of"] = as_of
    return run


def line_figures(orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """The customer figures that need the order lines, indexed by customer_id (every
    customer with a paid order in ``orders``):

    - historical_contribution: Σ order contribution (``profit.order_contribution``: net −
      cost of goods − commission − logistics) over the customer's paid orders;
    - preferred_category_id: the category with the largest Σ net line amount (the smallest
      id on a tie; NaN without lines).

    ``orders``: customer_id, paid_total, refunds, cogs, commission, logistics_cost — paid
    orders (as ``loaders.paid_orders`` reads them);
    ``lines``: customer_id, category_id, net_amount — their lines. Guests are left out.
    """
    orders = orders[orders["customer_id"].notna()]
    contribution = profit.order_contribution(orders)["contribution"]
    value = contribution.groupby(orders["customer_id"].astype("int64").to_numpy()).sum()
    lines = lines[lines["customer_id"].notna()]
    spend = lines.groupby(
        [lines["customer_id"].astype("int64").rename("customer_id"), "category_id"]
    )["net_amount"].sum()
    figures = pd.DataFrame({"historical_contribution": value})
    figures.index.name = "customer_id"
    figures["preferred_category_id"] = _argmax_level(spend, "category_id").reindex(figures.index)
    return figures


def _argmax_level(values: pd.Series, level: str) -> pd.Series:
    """Per customer, the ``level`` value with the largest total (the smallest on a tie)."""
    if values.empty:
        return pd.Series(dtype="float64")
    ordered = values.reset_index(name="total").sort_values(
        ["customer_id", "total", level], ascending=[True, False, True]
    )
    return ordered.drop_duplicates("customer_id").set_index("customer_id")[level]


def _add_predictions(run: ScoreRun, inputs: pd.DataFrame, s: ScoreSettings) -> None:
    frame = run.frame
    for column in ("p_alive", "predicted_purchases_90d", "predicted_value_90d"):
        frame[column] = np.nan
    try:
        prediction = clv.predict_clv(
            inputs,
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
