"""The kpis step: materialise DailyKPI for a range of days (all history, or from ``since``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from analytics import loaders
from analytics.metrics.activity import MAU_DAYS
from analytics.metrics.inventory import inventory_health, inventory_summary
from analytics.metrics.kpis import daily_kpis
from analytics.models import DailyKPI, InventorySnapshot
from analytics.services.facts import FactsResult, facts_compute
from analytics.writers import replace_range
from catalog.models import Channel

INVENTORY_PERIOD_DAYS = 30
# Stock history is not kept, so inventory KPIs are a snapshot taken by each day's run for
# that day; recomputing earlier days never deletes them.
INVENTORY_METRICS = {
    "sku_sell_through": "sku_sell_through",
    "unit_sell_through": "unit_sell_through",
    "inventory_turnover": "turnover",
    "low_stock_skus": "low_stock",
    "slow_mover_skus": "slow_movers",
}


@dataclass(frozen=True)
class KpisResult:
    start: date | None
    end: date
    rows: int
    facts: FactsResult | None = None


def kpis_compute(*, as_of: date, since: date | None = None) -> KpisResult:
    """Recompute every daily KPI from ``since`` (default: the first paid order) to ``as_of``.

    Only the days in that range are replaced, so a day recomputed after late data touches
    nothing before it; days after it are recomputed too, because trailing windows see it.
    """
    # All history for first orders, trailing rates and cohorts; the cost of goods only
    # for the days recomputed (older orders' cost is not read: it is NaN).
    orders = loaders.paid_orders(as_of=as_of, cogs_from=since)
    if orders.empty:
        return KpisResult(start=None, end=as_of, rows=0)
    start = since or orders["paid_at"].min().date()
    lines = loaders.paid_lines(as_of=as_of, since=start)
    events = loaders.events(start=start - timedelta(days=MAU_DAYS - 1), end=as_of)
    frame = daily_kpis(orders=orders, lines=lines, events=events, start=start, end=as_of)
    codes = {str(pk): code for pk, code in Channel.objects.values_list("pk", "code")}
    channel_rows = frame["dimension"] == "channel"
    frame.loc[channel_rows, "dimension_value"] = frame.loc[channel_rows, "dimension_value"].map(
        codes
    )
    rows = replace_range(
        DailyKPI,
        frame,
        field="date",
        start=start,
        end=as_of,
        keep=Q(metric__in=INVENTORY_METRICS),
    )
    rows += _inventory_snapshot(as_of)
    written = facts_compute(
        as_of=as_of,
        start=start,
        orders=orders,
        lines=lines,
        events=events,
        whole_history=since is None,
    )
    return KpisResult(start=start, end=as_of, rows=rows, facts=written)


def _inventory_snapshot(as_of: date) -> int:
    """动销率, 售罄率 and turnover over the last 30 days, low-stock and slow-mover counts."""
    a = settings.ANALYTICS
    start = as_of - timedelta(days=INVENTORY_PERIOD_DAYS - 1)
    lines = loaders.paid_lines(
        as_of=as_of, since=as_of - timedelta(days=a["INVENTORY_SLOW_MOVER_DAYS"] - 1)
    )
    health = inventory_health(
        loaders.skus(),
        lines[["sku_id", "paid_at", "quantity", "unit_cost"]],
        start=start,
        end=as_of,
        safety_days=a["INVENTORY_SAFETY_DAYS"],
        slow_mover_days=a["INVENTORY_SLOW_MOVER_DAYS"],
    )
    summary = inventory_summary(health)
    _store_health(health, as_of)
    now = timezone.now()
    written = 0
    for metric, key in INVENTORY_METRICS.items():
        value = summary[key]
        if value != value:  # NaN: nothing in stock, no ratio to store
            continue
        DailyKPI.objects.update_or_create(
            date=as_of,
            metric=metric,
            dimension=DailyKPI.Dimension.ALL,
            dimension_value="",
            defaults={"value": round(float(value), 6), "computed_at": now},
        )
        written += 1
    return written


def _store_health(health: pd.DataFrame, as_of: date) -> int:
    frame = health[
        [
            "sku_id", "stock", "units_sold", "daily_units", "days_of_cover", "lead_time_days",
            "low_stock", "last_sale", "slow_mover", "unit_sell_through", "turnover",
        ]
    ].assign(date=as_of)  # fmt: skip
    frame["last_sale"] = pd.to_datetime(frame["last_sale"]).dt.date
    frame["last_sale"] = frame["last_sale"].astype(object).where(frame["last_sale"].notna(), None)
    return replace_range(
        InventorySnapshot,
        frame,
        field="date",
        start=as_of,
        end=as_of,
    )
