"""The smaller tables: channels and their daily spend, and KPI targets.

Spend follows acquisition: each channel's daily spend is its cost per acquired customer
times the customers it brought in around that day (a 7-day average), with day-to-day
noise, so CAC and ROI per channel come out near the channel's ``cac`` in
:mod:`reference`.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np

from analytics.models import KpiTarget
from campaigns.demo import reference as ref
from campaigns.demo.tables import NULL, Table, cents, ids, text
from campaigns.demo.timeline import DAY, Timeline
from catalog.models import Channel, ChannelSpend

EPOCH = date(1970, 1, 1)


def channel_table() -> Table:
    channels = ref.CHANNELS
    return Table(
        Channel,
        {
            "id": ids(len(channels)),
            "code": text(c.code for c in channels),
            "name": text(c.name for c in channels),
            "kind": text(c.kind for c in channels),
            "commission_rate": np.array(
                [round(float(c.commission_pct) * 100) for c in channels], dtype=np.int64
            ),
            "active": np.ones(len(channels), dtype=bool),
        },
    )


def channel_spend_table(
    rng: np.random.Generator, tl: Timeline, registered: np.ndarray, channel: np.ndarray
) -> Table:
    """One row per channel and day of the history."""
    n_days, n_channels = len(tl.days), len(ref.CHANNELS)
    day = tl.day_of(registered)
    acquired = np.zeros((n_channels, n_days))
    np.add.at(acquired, (channel, day), 1.0)
    kernel = np.ones(7) / 7
    smooth = np.array([np.convolve(row, kernel, mode="same") for row in acquired])
    cac = np.array([c.cac for c in ref.CHANNELS])[:, None]
    # A floor keeps a channel's always-on spend visible on quiet days.
    spend = (np.maximum(smooth, 0.05) * cac) * rng.lognormal(0, 0.25, smooth.shape)
    first_day = (tl.days[0] - EPOCH).days
    return Table(
        ChannelSpend,
        {
            "id": ids(n_days * n_channels),
            "channel_id": np.repeat(np.arange(n_channels) + 1, n_days),
            "date": np.tile(first_day + np.arange(n_days, dtype=np.int64), n_channels),
            "spend": cents(spend.ravel()),
        },
    )


def kpi_target_table(
    tl: Timeline,
    paid_at: np.ndarray,
    paid_total: np.ndarray,
    first_paid_at: np.ndarray,
    manager_id: int | None,
    team_id: int | None,
) -> Table:
    """Targets for this month and next: 15% over the last 30 days' pace."""
    recent = paid_at >= tl.end - 30 * DAY
    gmv_day = paid_total[recent].sum() / 30 / 100
    orders_day = recent.sum() / 30
    new_day = (first_paid_at >= tl.end - 30 * DAY).sum() / 30
    this_month = tl.as_of.replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    rows = []
    for start in (this_month, next_month):
        days = calendar.monthrange(start.year, start.month)[1]
        end = start + timedelta(days=days - 1)
        rows += [
            ("gmv", start, end, round(gmv_day * days * 1.15, -2), "Monthly GMV"),
            ("orders", start, end, round(orders_day * days * 1.15), "Paid orders"),
            ("new_customers", start, end, round(new_day * days * 1.15), "First-time buyers"),
            ("conversion", start, end, 0.12, "Paying sessions / visiting sessions"),
            ("repurchase_rate", start, end, 0.35, "90-day repurchase rate"),
        ]
    n = len(rows)
    return Table(
        KpiTarget,
        {
            "id": ids(n),
            "metric": text(r[0] for r in rows),
            "period_start": np.array([(r[1] - EPOCH).days for r in rows], dtype=np.int64),
            "period_end": np.array([(r[2] - EPOCH).days for r in rows], dtype=np.int64),
            # Six decimal places: stored as micro-units, see write.py.
            "target": np.array([round(r[3] * 1_000_000) for r in rows], dtype=np.int64),
            "owner_user_id": np.full(n, manager_id if manager_id else NULL, dtype=np.int64),
            "owner_team_id": np.full(n, team_id if team_id else NULL, dtype=np.int64),
            "note": text(r[4] for r in rows),
        },
    )
