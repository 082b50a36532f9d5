"""The affinity and forecast steps: product pairs bought together, weekly demand ahead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics import loaders
from analytics.metrics.basket import association_rules
from analytics.metrics.forecast import backtest, forecast_weekly, weekly_units
from analytics.models import ForecastAccuracy, ProductAffinity, ProductForecast
from analytics.writers import upsert_frame

FORECAST_HORIZON_WEEKS = 4
BATCH_SIZE = 5000


@dataclass(frozen=True)
class AffinityResult:
    orders: int
    rules: int


def affinity_compute(*, as_of: date) -> AffinityResult:
    """Association rules over the paid orders of the affinity window, replacing the old ones."""
    a = settings.ANALYTICS
    window = a["AFFINITY_WINDOW_DAYS"]
    since = as_of - timedelta(days=window - 1) if window else None
    lines = loaders.paid_lines(as_of=as_of, since=since)[["order_id", "product_id"]]
    rules = association_rules(lines, min_support=a["AFFINITY_MIN_SUPPORT"])
    frame = rules[["product_a", "product_b", "pair_count", "support", "confidence", "lift"]].rename(
        columns={"product_a": "product_a_id", "product_b": "product_b_id"}
    )
    frame = frame.assign(computed_at=timezone.now())
    with transaction.atomic():
        ProductAffinity.objects.all().delete()
        upsert_frame(ProductAffinity, frame, unique_fields=["product_a_id", "product_b_id"])
    return AffinityResult(orders=int(lines["order_id"].nunique()), rules=len(frame))


@dataclass(frozen=True)
class ForecastResult:
    products: int
    weeks_of_history: int
    mape: float | None
    wape: float | None
    note: str = ""


def forecast_compute(*, as_of: date) -> ForecastResult:
    """Weekly units per product for the next four weeks, and each product's backtest."""
    lines = loaders.paid_lines(as_of=as_of)[["product_id", "paid_at", "quantity"]]
    if lines.empty:
        return ForecastResult(0, 0, None, None, "no paid orders yet")
    weekly = weekly_units(lines, start=lines["paid_at"].min().date(), end=as_of)
    weeks = weekly.shape[1]
    if weeks < FORECAST_HORIZON_WEEKS + 2:
        note = f"only {weeks} whole weeks of sales: at least {FORECAST_HORIZON_WEEKS + 2} needed"
        return ForecastResult(0, weeks, None, None, note)
    ahead = forecast_weekly(weekly, horizon=FORECAST_HORIZON_WEEKS)
    test = backtest(weekly, horizon=FORECAST_HORIZON_WEEKS)
    now = timezone.now()
    forecasts = ahead.stack().rename("units").reset_index()
    forecasts.columns = ["product_id", "week_start", "units"]
    forecasts["week_start"] = pd.to_datetime(forecasts["week_start"]).dt.date
    forecasts["computed_at"] = now

    truth = weekly.iloc[:, -FORECAST_HORIZON_WEEKS:].to_numpy()
    error = np.abs(truth - test.forecast.to_numpy())
    nonzero = truth != 0
    ape = np.divide(error, truth, out=np.zeros_like(error), where=nonzero)
    accuracy = pd.DataFrame(
        {
            "product_id": weekly.index.to_numpy(),
            "mape": test.per_product["mape"].to_numpy(),
            "wape": test.per_product["wape"].to_numpy(),
            "abs_error": error.sum(axis=1),
            "actual_units": truth.sum(axis=1),
            "ape_sum": ape.sum(axis=1),
            "nonzero_weeks": nonzero.sum(axis=1),
            "weeks_of_history": weeks,
            "computed_at": now,
        }
    )
    with transaction.atomic():
        ProductForecast.objects.all().delete()
        ForecastAccuracy.objects.all().delete()
        upsert_frame(ProductForecast, forecasts, unique_fields=["product_id", "week_start"])
        upsert_frame(ForecastAccuracy, accuracy, unique_fields=["product_id"])
    return ForecastResult(
        products=len(weekly),
        weeks_of_history=weeks,
        mape=None if np.isnan(test.mape) else test.mape,
        wape=None if np.isnan(test.wape) else test.wape,
    )
