"""``/reports/customers/``: who the customers are now — RFM grid, RFM segments with their
value and recommended action, lifecycle stages and their movement, tiers, predicted value.

Everything here reads the stored scores, a snapshot as of the last analytics run: the
page takes no date, channel or category filter and says so."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from analytics.models import LifecycleStage
from analytics.pages import Chart, Column, ReportPage, Table, plain, series
from analytics.selectors import ReportFilter, clv_distribution
from analytics.selectors.customers import (
    lifecycle_counts,
    lifecycle_movement,
    rfm_grid,
    rfm_label_field,
    rfm_label_summary,
    score_snapshot,
    tier_distribution,
)
from analytics.views.base import CAMPAIGN_PERMISSION, campaign_create_url

SCORES = (1, 2, 3, 4, 5)
CENT = Decimal("0.01")


def segment_url(segment_id: int) -> str:
    return reverse("analytics:segment-detail", args=[segment_id])


class CustomersPage(ReportPage):
    template_name = "analytics/customers.html"
    title = _("Customers & segments")
    filter_fields = ()

    def report(self, f: ReportFilter) -> dict:
        snapshot = score_snapshot()
        if not snapshot.customers:
            return {"snapshot": snapshot, "tables": [], "charts": []}
        grid_rows = rfm_grid()
        customers_heat, revenue_heat, grid_max = self._heatmaps(grid_rows)
        grid = Table(
            "rfm_grid",
            _("RFM grid: customers and revenue by R and F score"),
            [
                Column("r", _("R score"), "int"),
                Column("f", _("F score"), "int"),
                Column("customers", _("Customers"), "int"),
                Column("revenue", _("Net revenue in the RFM window"), "money"),
            ],
            grid_rows,
            empty=_("No customer has a paid order in the RFM window."),
        )
        segments, segment_rows = self._segments()
        stages, movement = self._lifecycle(snapshot.as_of)
        tiers = Table(
            "tiers",
            _("Membership tiers"),
            [Column("tier", _("Tier")), Column("customers", _("Customers"), "int")],
            [{**row, "tier": row["tier"] or _("No tier")} for row in tier_distribution()],
            empty=_("No customer yet."),
        )
        clv = Table(
            "predicted_value",
            _("Predicted 90-day value distribution"),
            [
                Column("bucket", _("Predicted 90-day value")),
                Column("customers", _("Customers"), "int"),
                Column("predicted_value", _("Predicted value, summed"), "money"),
            ],
            [
                {
                    "bucket": f"{b.low:,}–{b.high:,}" if b.high is not None else f"≥ {b.low:,}",
                    "customers": b.customers,
                    "predicted_value": b.predicted_value.quantize(CENT),
                }
                for b in clv_distribution()
            ],
        )
        if not any(row["customers"] for row in clv.rows):
            clv.rows = []
        clv.empty = _(
            "No prediction stored: the value model needs enough repeat customers "
            "(see the analytics run's report)."
        )
        charts = {
            "grid_customers": self._grid_chart(grid_rows, "customers", _("Customers by R and F")),
            "grid_revenue": self._grid_chart(
                grid_rows, "revenue", _("Net revenue by R and F (RFM window)")
            ),
            "segments": Chart(
                _("Customers and predicted 90-day value by RFM label"),
                "bar",
                [row["label"] for row in segment_rows],
                [
                    {
                        "label": str(_("Customers")),
                        "data": series(r["customers"] for r in segment_rows),
                        "yAxisID": "y",
                    },
                    {
                        "label": str(_("Predicted 90-day value")),
                        "data": series(r["predicted_value_90d"] for r in segment_rows),
                        "yAxisID": "y1",
                    },
                ],
                options={
                    "scales": {"y1": {"position": "right", "grid": {"drawOnChartArea": False}}}
                },
                table=str(segments.title),
            ),
            "stages": Chart(
                _("Customers by lifecycle stage"),
                "bar",
                [row["stage"] for row in stages.rows],
                [
                    {
                        "label": str(_("Customers")),
                        "data": series(r["customers"] for r in stages.rows),
                    }
                ],
                table=str(stages.title),
            ),
            "tiers": Chart(
                _("Customers by membership tier"),
                "doughnut",
                [str(row["tier"]) for row in tiers.rows],
                [
                    {
                        "label": str(_("Customers")),
                        "data": series(r["customers"] for r in tiers.rows),
                    }
                ],
                table=str(tiers.title),
            ),
            "clv": Chart(
                _("Customers by predicted 90-day value"),
                "bar",
                [row["bucket"] for row in clv.rows],
                [{"label": str(_("Customers")), "data": series(r["customers"] for r in clv.rows)}],
                table=str(clv.title),
            ),
        }
        return {
            "snapshot": snapshot,
            "grid": {
                "scores": list(reversed(SCORES)),
                "f_scores": SCORES,
                "customers": customers_heat,
                "revenue": revenue_heat,
                "max_customers": grid_max[0],
                "max_revenue": grid_max[1],
            },
            "segment_rows": segment_rows,
            "label_scheme": rfm_label_field(),
            "can_create_campaign": self.request.user.has_perm(CAMPAIGN_PERMISSION),
            "tables": [grid, segments, stages, movement, tiers, clv],
            "named": {t.name: t for t in (grid, segments, stages, movement, tiers, clv)},
            "charts": list(charts.values()),
            "chart": charts,
        }

    @staticmethod
    def _heatmaps(rows: list[dict]):
        """The grid as rows R = 5…1 of cells F = 1…5, for the heatmap tables."""
        cells = {(row["r"], row["f"]): row for row in rows}
        customers, revenue = [], []
        for r in reversed(SCORES):
            found = [cells.get((r, f), {}) for f in SCORES]
            customers.append({"r": r, "cells": [c.get("customers", 0) for c in found]})
            revenue.append({"r": r, "cells": [plain(c.get("revenue") or 0) for c in found]})
        maxima = (
            max((row["customers"] for row in rows), default=0),
            max((plain(row["revenue"] or 0) for row in rows), default=0),
        )
        return customers, revenue, maxima

    @staticmethod
    def _grid_chart(rows: list[dict], measure: str, title) -> Chart:
        """A bubble chart of the grid: F across, R up, the bubble's area ∝ ``measure``."""
        biggest = max((plain(row[measure] or 0) for row in rows), default=0) or 1
        points = [
            {
                "x": row["f"],
                "y": row["r"],
                "v": plain(row[measure] or 0),
                "r": 3 + 22 * (plain(row[measure] or 0) / biggest) ** 0.5,
            }
            for row in rows
        ]
        axis = {"min": 0, "max": 6, "ticks": {"stepSize": 1}}
        return Chart(
            title,
            "bubble",
            [],
            [{"label": str(title), "data": points}],
            options={
                "scales": {
                    "x": {**axis, "title": {"display": True, "text": str(_("F score"))}},
                    "y": {**axis, "title": {"display": True, "text": str(_("R score"))}},
                },
                "plugins": {"legend": {"display": False}},
            },
            table=str(_("RFM grid: customers and revenue by R and F score")),
        )

    def _segments(self) -> tuple[Table, list[dict]]:
        may_create = self.request.user.has_perm(CAMPAIGN_PERMISSION)
        rows = []
        for s in rfm_label_summary():
            url = ""
            if may_create and s.builtin_segment_id is not None:
                url = campaign_create_url(s.builtin_segment_id)
            rows.append(
                {
                    "code": s.code,
                    "label": s.label,
                    "customers": s.customers,
                    "historical_value": s.historical_value,
                    "predicted_value_90d": s.predicted_value_90d,
                    "action": s.recommended_action,
                    "segment_id": s.builtin_segment_id,
                    "segment_url": segment_url(s.builtin_segment_id)
                    if s.builtin_segment_id is not None
                    else "",
                    "campaign_url": url,
                }
            )
        table = Table(
            "segments",
            _("RFM segments"),
            [
                Column("label", _("Segment")),
                Column("customers", _("Customers"), "int"),
                Column("historical_value", _("Historical net revenue"), "money"),
                Column("predicted_value_90d", _("Predicted 90-day value"), "money"),
                Column("action", _("Recommended action")),
            ],
            rows if any(r["customers"] for r in rows) else [],
            empty=_("No customer has an RFM score yet: recompute the analytics."),
        )
        return table, table.rows

    @staticmethod
    def _lifecycle(as_of):
        counts = lifecycle_counts()
        stages = Table(
            "lifecycle",
            _("Lifecycle stages"),
            [Column("stage", _("Stage")), Column("customers", _("Customers"), "int")],
            [
                {"code": code, "stage": str(label), "customers": counts[code]}
                for code, label in LifecycleStage.choices
            ],
        )
        m = lifecycle_movement(as_of=as_of)
        movement = Table(
            "movement",
            _("Lifecycle movement around the snapshot"),
            [
                Column("move", _("Move")),
                Column("customers", _("Customers"), "int"),
                Column("basis", _("How it is known")),
            ],
            [
                {
                    "move": _("prospect → new (first paid order)"),
                    "customers": m.became_customers,
                    "basis": _("first paid order in the last %(days)d days") % {"days": m.days},
                },
                {
                    "move": _("new → active"),
                    "customers": m.new_to_active,
                    "basis": _("first paid order ended its new period in the last %(days)d days")
                    % {"days": m.days},
                },
                {
                    "move": _("active → churn warning"),
                    "customers": m.active_to_warning,
                    "basis": _(
                        "last paid order crossed the active threshold in the last %(days)d days"
                    )
                    % {"days": m.days},
                },
                {
                    "move": _("churn warning → lost"),
                    "customers": m.warning_to_lost,
                    "basis": _(
                        "last paid order crossed the warning threshold in the last %(days)d days"
                    )
                    % {"days": m.days},
                },
                {
                    "move": _("churn warning or lost → won back"),
                    "customers": m.won_back,
                    "basis": _("the won-back stage: returned within its window"),
                },
                {
                    "move": _("active → churn warning (next %(days)d days)") % {"days": m.days},
                    "customers": m.active_at_risk,
                    "basis": _("will cross the active threshold without a new order"),
                },
                {
                    "move": _("churn warning → lost (next %(days)d days)") % {"days": m.days},
                    "customers": m.warning_at_risk,
                    "basis": _("will cross the warning threshold without a new order"),
                },
            ],
        )
        return stages, movement
