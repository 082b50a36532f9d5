"""The scores step: load orders, compute every customer's scores, store them in bulk."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.utils import timezone

from analytics import loaders
from analytics.metrics.scores import ScoreSettings, customer_scores
from analytics.models import CustomerScore
from analytics.writers import upsert_frame


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
        # The cost of goods comes summed per customer with the spend per category: summing
        # it per order too would read every line twice.
        orders=loaders.paid_orders(as_of=as_of, cogs_from=as_of + timedelta(days=1)),
        category_spend=loaders.customer_category_spend(as_of=as_of),
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


def _aware(values: pd.Series) -> pd.Series:
    """Naive local timestamps → aware UTC (what the database stores)."""
    return values.dt.tz_localize(
        settings.TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
