"""``/reports/inventory/``: 动销率 and 售罄率, turnover over time, days of cover, what to
reorder, what does not sell, and the 4-week forecast per product with its backtest error."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.pages import Chart, Column, Table, frame_rows, plain, series
from analytics.selectors import ReportFilter
from analytics.selectors.inventory import forecast_backtest_pooled, inventory_kpi_trend
from analytics.views.base import AnalyticsReportPage, Card

PAGE_ROWS = 100  # rows of a list on the page; the CSV has them all
CHART_PRODUCTS = 8  # products drawn in the forecast chart (the table has them all)


def _stock_columns() -> list[Column]:
    return [
        Column("sku", _("SKU")),
        Column("product", _("Product")),
        Column("stock", _("Stock"), "int"),
        Column("daily_units", _("Units per day (28 days)"), "number"),
        Column("days_of_cover", _("Days of cover"), "number"),
        Column("lead_time_days", _("Lead time (days)"), "int"),
        Column("last_sale", _("Last sale"), "date"),
    ]


class InventoryPage(AnalyticsReportPage):
    title = _("Inventory")
    lead = _(
        "SKU sell-through = SKUs with a sale in the last 30 days / SKUs in stock; unit "
        "sell-through = units sold / (units sold + stock); turnover = cost of "
        "goods sold / average stock value; days of cover = stock / mean daily units of the "
        "last 28 days."
    )
    filter_fields = ()
    filter_note = _(
        "Stock is counted per SKU across every channel, so the channel and category filters "
        "do not apply here. The lists and figures are the snapshot the analytics run took on "
        "the period's last day (or the latest before it); the trend covers every snapshot in "
        "the period."
    )

    def report(self, f: ReportFilter) -> dict:
        limit = None if self.exporting() else PAGE_ROWS
        inventory = selectors.inventory_report(as_of=f.end, limit=limit)
        summary = inventory.summary
        backtest = forecast_backtest_pooled()
        cards = [
            Card(_("SKU sell-through"), summary.get("sku_sell_through"), "percent"),
            Card(_("Unit sell-through"), summary.get("unit_sell_through"), "percent"),
            Card(_("Inventory turnover (30 days)"), summary.get("inventory_turnover"), "number"),
            Card(_("SKUs low on stock"), summary.get("low_stock_skus"), "int"),
            Card(_("Slow-moving SKUs"), summary.get("slow_mover_skus"), "int"),
            Card(
                _("Forecast error WAPE"),
                backtest.wape,
                "percent",
                _("MAPE %(mape)s over %(products)s products")
                % {"mape": f"{backtest.mape:.1%}", "products": backtest.products}
                if backtest.products
                else _("no forecast yet"),
            ),
        ]
        trend = inventory_kpi_trend(start=f.start, end=f.end)
        trend_table = Table(
            "trend",
            _("Inventory KPIs per snapshot"),
            [
                Column("date", _("Date"), "date"),
                Column("sku_sell_through", _("SKU sell-through"), "percent"),
                Column("unit_sell_through", _("Unit sell-through"), "percent"),
                Column("inventory_turnover", _("Turnover"), "number"),
                Column("low_stock_skus", _("Low-stock SKUs"), "int"),
                Column("slow_mover_skus", _("Slow movers"), "int"),
            ],
            frame_rows(trend),
            empty=_("No inventory snapshot in this period: each analytics run takes one."),
        )
        labels = [plain(d) for d in trend["date"]]
        charts = [
            Chart(
                _("Sell-through per snapshot"),
                "line",
                labels,
                [
                    {
                        "label": str(_("SKU sell-through")),
                        "data": series(trend["sku_sell_through"]),
                    },
                    {
                        "label": str(_("Unit sell-through")),
                        "data": series(trend["unit_sell_through"]),
                    },
                ],
                options={"scales": {"y": {"min": 0, "max": 1}}},
                table=str(trend_table.title),
            ),
            Chart(
                _("Turnover per snapshot"),
                "line",
                labels,
                [{"label": str(_("Turnover")), "data": series(trend["inventory_turnover"])}],
                table=str(trend_table.title),
            ),
        ]
        low_stock = Table(
            "low_stock",
            _("Low stock: reorder"),
            _stock_columns(),
            frame_rows(inventory.low_stock),
            empty=_("No SKU is below its lead time plus safety days of cover."),
            caption=self._cut_caption(summary.get("low_stock_skus"), len(inventory.low_stock)),
        )
        slow = Table(
            "slow_movers",
            _("Slow movers: stock without a sale in 60 days"),
            _stock_columns(),
            frame_rows(inventory.slow_movers),
            empty=_("Every SKU in stock sold at least once in the last 60 days."),
            caption=self._cut_caption(summary.get("slow_mover_skus"), len(inventory.slow_movers)),
        )
        forecast_table, forecast_chart = self._forecast(inventory.forecast)
        if forecast_chart is not None:
            charts.append(forecast_chart)
        return {
            "cards": cards,
            "charts": charts if trend_table.rows else charts[2:],
            "tables": [trend_table, low_stock, slow, forecast_table],
            "has_data": inventory.snapshot_date is not None,
            "snapshot_date": inventory.snapshot_date,
            "empty_heading": _("No inventory snapshot yet"),
            "empty_message": _(
                "An analytics run takes the inventory snapshot of its day: recompute the "
                "analytics, or choose an end date on or after the first run."
            ),
        }

    @staticmethod
    def _cut_caption(total: float | None, shown: int) -> str:
        if total is not None and total > shown:
            return _("The first %(shown)s of %(total)s; the CSV export has them all.") % {
                "shown": shown,
                "total": int(total),
            }
        return ""

    @staticmethod
    def _forecast(forecast) -> tuple[Table, Chart | None]:
        """One row per product: the 4 forecast weeks side by side, then MAPE and WAPE."""
        weeks = sorted(set(forecast["week_start"])) if len(forecast) else []
        rows: dict[str, dict] = {}
        for record in forecast.to_dict(orient="records"):
            row = rows.setdefault(
                record["code"],
                {
                    "code": record["code"],
                    "product": record["product"],
                    "mape": plain(record["mape"]),
                    "wape": plain(record["wape"]),
                    "total": 0.0,
                },
            )
            row[f"week_{weeks.index(record['week_start'])}"] = record["units"]
            row["total"] += record["units"]
        columns = [
            Column("code", _("Code")),
            Column("product", _("Product")),
            *[
                Column(f"week_{i}", _("Week of %(date)s") % {"date": week.isoformat()}, "number")
                for i, week in enumerate(weeks)
            ],
            Column("total", _("4-week total"), "number"),
            Column("mape", _("Backtest MAPE"), "percent"),
            Column("wape", _("Backtest WAPE"), "percent"),
        ]
        table = Table(
            "forecast",
            _("4-week forecast per product"),
            columns,
            list(rows.values()),
            empty=_("No forecast yet: the forecast step needs a few weeks of sales history."),
        )
        if not rows:
            return table, None
        top = sorted(rows.values(), key=lambda r: (-r["total"], r["code"]))[:CHART_PRODUCTS]
        chart = Chart(
            _("Forecast units per week, %(n)s best-selling products") % {"n": len(top)},
            "bar",
            [w.isoformat() for w in weeks],
            [
                {
                    "label": r["product"],
                    "data": series(r.get(f"week_{i}") for i in range(len(weeks))),
                }
                for r in top
            ],
            options={"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
            table=str(table.title),
        )
        return table, chart
