"""Inventory reads for the inventory page, beside ``reports.inventory_report`` (the
latest snapshot): the stored daily inventory KPIs over a period and the pooled backtest
error of the forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.db.models import Count, Sum

from analytics.models import DailyKPI, ForecastAccuracy
from analytics.services.kpis import INVENTORY_METRICS


def inventory_kpi_trend(*, start: date, end: date) -> pd.DataFrame:
    """One row per day of ``[start, end]`` on which a run took an inventory snapshot
    (stock history is not kept, so days without a run have no row): date and one column
    per metric of ``INVENTORY_METRICS`` (动销率 sku_sell_through, 售罄率
    unit_sell_through, inventory_turnover, low_stock_skus, slow_mover_skus; NaN where
    the run stored none). One query."""
    metrics = list(INVENTORY_METRICS)
    rows = DailyKPI.objects.filter(
        date__gte=start,
        date__lte=end,
        dimension=DailyKPI.Dimension.ALL,
        metric__in=metrics,
    ).values_list("date", "metric", "value")
    frame = pd.DataFrame.from_records(list(rows), columns=["date", "metric", "value"])
    frame["value"] = frame["value"].astype("float64")
    wide = frame.pivot_table(index="date", columns="metric", values="value", aggfunc="sum")
    wide = wide.reindex(columns=metrics).sort_index().rename_axis(columns=None)
    return wide.reset_index() if len(wide) else pd.DataFrame(columns=["date", *metrics])


@dataclass(frozen=True)
class ForecastBacktest:
    products: int
    mape: float  # Σ ape_sum / Σ nonzero_weeks over the products' held-out weeks
    wape: float  # Σ abs_error / Σ actual_units


def forecast_backtest_pooled() -> ForecastBacktest:
    """The forecasts' backtest error pooled over every product (not a mean of ratios):
    WAPE = Σ abs_error / Σ actual units, MAPE = Σ ape_sum / Σ non-zero weeks. One query."""
    sums = ForecastAccuracy.objects.aggregate(
        products=Count("pk"),
        abs_error=Sum("abs_error"),
        actual=Sum("actual_units"),
        ape=Sum("ape_sum"),
        weeks=Sum("nonzero_weeks"),
    )
    nan = float("nan")
    return ForecastBacktest(
        products=sums["products"],
        mape=sums["ape"] / sums["weeks"] if sums["weeks"] else nan,
        wape=sums["abs_error"] / sums["actual"] if sums["actual"] else nan,
    )
