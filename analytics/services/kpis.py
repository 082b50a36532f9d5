"""The kpis step: materialise DailyKPI for a range of days (all history, or from ``since``).

Recomputing from ``since`` reads the orders, lines and events from that day on, what each of
their customers did before it (first and last two paid orders, latest event in the 30 days
before) and the state the earlier days left: the ``CustomerRecency`` histograms of the 59
days before ``since`` (or from the first month whose cohorts it recounts), the ``SkuSales``
of the 60 days the inventory snapshot looks back, and the cohort days it replaces with the
cohort cells they fall in — never the whole history. When a day of that state is missing
(no run has counted it yet), everything is counted from the first paid order, as the full
run does, and still only the days from ``since`` of the daily KPIs and report facts are
replaced.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from analytics import loaders
from analytics.metrics.facts import sku_sales, unsettled_from
from analytics.metrics.inventory import inventory_health, inventory_summary
from analytics.metrics.kpis import daily_kpis
from analytics.metrics.recency import (
    LOOKBACK_DAYS,
    MAU_DAYS,
    Before,
    Recency,
    customer_history,
)
from analytics.models import CustomerRecency, DailyKPI, InventorySnapshot, SkuSales
from analytics.services.facts import FactsResult, facts_compute
from analytics.writers import replace_range, upsert_frame
from catalog.models import Channel

INVENTORY_PERIOD_DAYS = 30
COVER_WINDOW_DAYS = 28  # days of cover: the mean daily units of the last 28 days
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
    A recomputation from ``since`` writes in one transaction (all or nothing, one commit);
    the full run commits table by table, so that no table it rewrites stays locked for the
    whole run.
    """
    with transaction.atomic() if since is not None else nullcontext():
        return _compute(as_of=as_of, since=since)


def _compute(*, as_of: date, since: date | None) -> KpisResult:
    first_day = loaders.first_paid_day(as_of=as_of)
    if first_day is None:
        return KpisResult(start=None, end=as_of, rows=0)
    start = since or first_day
    stored = _stored_recency(start=start, first_day=first_day) if start > first_day else None
    # The first day counted: ``start`` on the stored state, else the first paid order.
    origin = start if stored else min(start, first_day)
    before = None
    if stored is None:
        # The cost of goods only for the days written (older orders' is not read: NaN).
        orders = loaders.paid_orders(as_of=as_of, cogs_from=since)
        events = loaders.events(start=origin - timedelta(days=MAU_DAYS - 1), end=as_of)
    else:
        orders = loaders.paid_orders(as_of=as_of, since=start, cogs_from=start)
        events = loaders.events(start=start, end=as_of)
        before = Before(
            start=start,
            prior_orders=loaders.prior_orders(
                since=start, customers=orders["customer_id"].dropna().unique()
            ),
            prior_events=loaders.prior_events(
                since=start, customers=events["customer_id"].dropna().unique(), days=MAU_DAYS
            ),
            recency=stored,
        )
    lines = loaders.paid_lines(as_of=as_of, since=origin)
    history = customer_history(orders=orders, events=events, start=origin, end=as_of, before=before)
    frame = daily_kpis(
        orders=orders, lines=lines, events=events, start=origin, end=as_of, history=history
    )
    frame = frame[frame["date"] >= start]
    codes = {str(pk): code for pk, code in Channel.objects.values_list("pk", "code")}
    channel_rows = frame["dimension"] == "channel"
    frame.loc[channel_rows, "dimension_value"] = frame.loc[channel_rows, "dimension_value"].map(
        codes
    )
    # Without ``since`` the tables are replaced whole (rows after ``as_of`` from a
    # later-dated run go too); the state of every day counted is kept for the next
    # recomputation.
    whole = since is None
    rows = replace_range(
        DailyKPI,
        frame,
        field="date",
        start=None if whole else start,
        end=None if whole else as_of,
        keep=Q(metric__in=INVENTORY_METRICS),
    )
    state_from = None if whole else origin
    state_to = None if whole else as_of
    replace_range(
        CustomerRecency,
        history.recency.to_records(),
        field="date",
        start=state_from,
        end=state_to,
    )
    replace_range(SkuSales, sku_sales(lines), field="date", start=state_from, end=state_to)
    rows += _inventory_snapshot(as_of)
    written = facts_compute(
        as_of=as_of,
        start=start,
        lines=lines,
        events=events,
        history=history,
        whole_history=whole,
        stored=stored,
    )
    return KpisResult(start=start, end=as_of, rows=rows, facts=written)


def _stored_recency(*, start: date, first_day: date) -> Recency | None:
    """The stored histograms of the days before ``start`` a recomputation from it reads
    (the trailing rates' 59 days, from the first month whose cohorts it recounts), or None
    when one of them is missing."""
    first = min(start - timedelta(days=LOOKBACK_DAYS), unsettled_from(start))
    lookback = max(first, first_day)
    stored = loaders.customer_recency(start=lookback, end=start - timedelta(days=1))
    if len(stored) < (start - lookback).days:
        return None
    return Recency.from_records(stored, start=first, end=start - timedelta(days=1))


def _inventory_snapshot(as_of: date) -> int:
    """动销率, 售罄率 and turnover over the last 30 days, low-stock and slow-mover counts,
    from the stored daily sales per SKU."""
    a = settings.ANALYTICS
    start = as_of - timedelta(days=INVENTORY_PERIOD_DAYS - 1)
    windows = {
        "cover_window_days": COVER_WINDOW_DAYS,
        "slow_mover_days": a["INVENTORY_SLOW_MOVER_DAYS"],
    }
    sales = loaders.sku_sales(
        end=as_of,
        starts=[start, *(as_of - timedelta(days=days - 1) for days in windows.values())],
    )
    health = inventory_health(
        loaders.skus(),
        sales,
        start=start,
        end=as_of,
        safety_days=a["INVENTORY_SAFETY_DAYS"],
        **windows,
    )
    summary = inventory_summary(health)
    _store_health(health, as_of)
    rows = pd.DataFrame(
        [
            (as_of, metric, DailyKPI.Dimension.ALL.value, "", round(float(summary[key]), 6))
            for metric, key in INVENTORY_METRICS.items()
            if summary[key] == summary[key]  # NaN: nothing in stock, no ratio to store
        ],
        columns=["date", "metric", "dimension", "dimension_value", "value"],
    )
    return upsert_frame(
        DailyKPI,
        rows.assign(computed_at=timezone.now()),
        unique_fields=["date", "metric", "dimension", "dimension_value"],
    )


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
