"""``/``: the KPI cockpit — how are we doing, where is value leaking, what needs attention."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.loaders import day_end, day_start
from analytics.metrics.kpis import relative_change
from analytics.models import DailyKPI
from analytics.pages import Chart, Column, ReportPage, Table, series
from analytics.selectors import ReportFilter
from campaigns.selectors import campaigns_roi


@dataclass(frozen=True)
class Card:
    metric: str
    label: str
    kind: str  # the cell format: money, int, percent, number
    inverse: bool = False  # a rise is bad (churn, returns)


CARDS = [
    Card("gmv", _("GMV"), "money"),
    Card("net_revenue", _("Net revenue"), "money"),
    Card("orders", _("Orders"), "int"),
    Card("aov", _("Average order value"), "money"),
    Card("paying_customers", _("Paying customers"), "int"),
    Card("dau", _("DAU (daily average)"), "number"),
    Card("mau", _("MAU"), "int"),
    Card("stickiness", _("Stickiness DAU/MAU"), "percent"),
    Card("conversion", _("Visit-to-pay conversion"), "percent"),
    Card("repurchase_rate", _("Repurchase rate"), "percent"),
    Card("churn_rate", _("Churn rate"), "percent", inverse=True),
    Card("return_rate", _("Return rate"), "percent", inverse=True),
    Card("gross_margin", _("Gross margin"), "percent"),
    Card("contribution_margin", _("Contribution margin"), "percent"),
    Card("campaign_roi", _("Campaign ROI"), "percent"),
]
TRENDS = ["gmv", "net_revenue", "orders"]


class CockpitPage(ReportPage):
    template_name = "campaigns/cockpit.html"
    title = _("KPI cockpit")

    def report(self, f: ReportFilter) -> dict:
        summary = selectors.kpi_summary(f)
        current, previous = dict(summary.current), dict(summary.previous)
        current["campaign_roi"] = self._roi(f)
        previous["campaign_roi"] = self._roi(f.previous())
        targets = {
            p.target.metric: p for p in selectors.kpi_target_progress(as_of=f.end)
        }  # one target per metric is shown: the latest starting period
        cards = [
            {
                "card": card,
                "value": current.get(card.metric, float("nan")),
                "change": relative_change(current.get(card.metric), previous.get(card.metric)),
                "target": targets.get(card.metric),
            }
            for card in CARDS
        ]
        trend = selectors.kpi_series(f, TRENDS)
        labels = [d.isoformat() for d in trend["date"]]
        trend_rows = [
            {"date": d, **{m: trend[m].iloc[i] for m in TRENDS}}
            for i, d in enumerate(trend["date"])
        ]
        trend_table = Table(
            "trend",
            _("Daily GMV, net revenue and orders"),
            [
                Column("date", _("Date"), "date"),
                Column("gmv", _("GMV"), "money"),
                Column("net_revenue", _("Net revenue"), "money"),
                Column("orders", _("Orders"), "int"),
            ],
            trend_rows if trend[TRENDS].to_numpy().any() else [],
            empty=_(
                "No daily KPIs stored for this period: run “Recompute now” or widen the dates."
            ),
        )
        charts = [
            Chart(
                _("GMV and net revenue per day"),
                "line",
                labels,
                [
                    {"label": str(_("GMV")), "data": series(trend["gmv"])},
                    {"label": str(_("Net revenue")), "data": series(trend["net_revenue"])},
                ],
                table=str(trend_table.title),
            ),
            Chart(
                _("Orders per day"),
                "bar",
                labels,
                [{"label": str(_("Orders")), "data": series(trend["orders"])}],
                table=str(trend_table.title),
            ),
        ]
        has_data = DailyKPI.objects.exists()
        alerts, counts = self._alerts(f)
        return {
            "cards": cards,
            "charts": charts if trend_table.rows else [],
            "tables": [trend_table, *alerts],
            **counts,
            "churn_rising": relative_change(current["churn_rate"], previous["churn_rate"]) > 0,
            "has_data": has_data,
        }

    @staticmethod
    def _roi(f: ReportFilter) -> float:
        return campaigns_roi(start=day_start(f.start), end=day_end(f.end)).roi

    def _alerts(self, f: ReportFilter) -> tuple[list[Table], dict[str, int]]:
        """The low-stock and quality-flag tables (10 rows each) and the full counts."""
        inventory = selectors.inventory_report(as_of=f.end, limit=10)
        low_stock = Table(
            "low_stock",
            _("Low stock"),
            [
                Column("sku", _("SKU")),
                Column("product", _("Product")),
                Column("stock", _("Stock"), "int"),
                Column("days_of_cover", _("Days of cover"), "number"),
                Column("lead_time_days", _("Lead time (days)"), "int"),
            ],
            inventory.low_stock.to_dict(orient="records"),
            empty=_("No SKU is below its lead time plus safety days of cover."),
        )
        flags = selectors.product_report(f).flags
        flagged = flags[flags["flagged"]] if len(flags) else flags
        quality = Table(
            "quality",
            _("Quality-flagged products"),
            [
                Column("code", _("Code")),
                Column("name", _("Product")),
                Column("units_sold", _("Units sold"), "int"),
                Column("return_rate", _("Return rate"), "percent"),
                Column("positive_rate", _("Positive reviews"), "percent"),
            ],
            flagged.sort_values("return_rate", ascending=False).head(10).to_dict(orient="records")
            if len(flagged)
            else [],
            empty=_("No product has both many returns and poor reviews in this period."),
        )
        low_stock_count = int(inventory.summary.get("low_stock_skus", len(low_stock.rows)))
        return [low_stock, quality], {
            "low_stock_count": low_stock_count,
            "flagged_count": len(flagged),
        }
