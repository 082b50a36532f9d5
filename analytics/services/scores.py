"""The scores step: load orders, compute every customer's scores, store them in bulk."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from django.conf import settings
from django.utils import timezone

from analytics import loaders
from analytics.metrics.scores import ScoreSettings, customer_scores, line_figures
from analytics.models import CustomerScore
from analytics.writers import update_frame, upsert_frame


@dataclass(frozen=True)
class ScoresResult:
    customers: int
    scored: int
    predicted: int
    notes: tuple[str, ...]
    bgnbd_params: dict | None


def score_settings(*, window_days: int | None = None) -> ScoreSettings:
    """The score thresholds from ``settings.ANALYTICS`` (``window_days`` overrides the window)."""
    a = settings.ANALYTICS
    window = a["RFM_WINDOW_DAYS"] if window_days is None else window_days
    return ScoreSettings(
        window_days=window or None,
        rfm_high=a["RFM_HIGH"],
        fixed_thresholds=a["RFM_FIXED_THRESHOLDS"],
        new_days=a["LIFECYCLE_NEW_DAYS"],
        active_days=a["LIFECYCLE_ACTIVE_DAYS"],
        warning_days=a["LIFECYCLE_WARNING_DAYS"],
        won_back_days=a["LIFECYCLE_WON_BACK_DAYS"],
        clv_horizon_days=a["CLV_HORIZON_DAYS"],
        clv_penalizer=a["CLV_PENALIZER"],
        clv_min_repeat_customers=a["CLV_MIN_REPEAT_CUSTOMERS"],
    )


def scores_compute(*, as_of: date, window_days: int | None = None) -> ScoresResult:
    """Recompute CustomerScore for every customer registered by ``as_of``."""
    run = customer_scores(
        customers=loaders.customers(as_of=as_of),
        orders=loaders.customer_orders(as_of=as_of),
        as_of=as_of,
        settings=score_settings(window_days=window_days),
    )
    frame = run.frame
    for column in ("first_order_at", "last_order_at"):
        frame[column] = _aware(frame[column])
    frame["computed_at"] = timezone.now()
    upsert_frame(CustomerScore, frame, unique_fields=["customer_id"])
    return ScoresResult(
        customers=run.customers,
        scored=run.scored,
        predicted=int(frame["p_alive"].notna().sum()),
        notes=tuple(run.notes),
        bgnbd_params=asdict(run.bgnbd.params) if run.bgnbd else None,
    )


def line_figures_compute(*, as_of: date, orders: pd.DataFrame, lines: pd.DataFrame) -> int:
    """Store every scored customer's historical contribution and preferred category
    (``metrics.scores.line_figures``) from the paid orders and lines up to ``as_of`` the tags
    step has read; customers without a paid order get 0 and no category. Returns the rows
    updated (customers without a score row are left for the scores step)."""
    figures = line_figures(orders, lines)
    ids = loaders.customers(as_of=as_of)["customer_id"]
    frame = figures.reindex(pd.Index(ids, name="customer_id")).reset_index()
    frame["historical_contribution"] = frame["historical_contribution"].fillna(0.0)
    return update_frame(
        CustomerScore,
        frame,
        key="customer_id",
        fields=["historical_contribution", "preferred_category_id"],
    )


def _aware(values: pd.Series) -> pd.Series:
    """Naive local timestamps → aware UTC (what the database stores)."""
    return values.dt.tz_localize(
        settings.TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
