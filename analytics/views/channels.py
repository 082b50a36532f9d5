"""``/reports/channels/``: what each channel brings and costs — visitors, conversion, AOV,
revenue, gross profit, spend, new customers, CAC and ROI (DESIGN §3 channel quality)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.metrics import channels
from analytics.pages import Chart, Column, Table, frame_rows, series
from analytics.selectors import ReportFilter
from analytics.selectors.channels import channel_names
from analytics.views.base import AnalyticsReportPage, Card

TOTALS = ["visitors", "paying_customers", "paid_orders", "revenue", "gross_profit",
          "new_customers", "spend"]  # fmt: skip


class ChannelsPage(AnalyticsReportPage):
    title = _("Channels")
    lead = _(
        "Conversion = paying customers / visitors; AOV = net revenue / paid orders; gross "
        "profit = net revenue − cost of goods; CAC = spend / new customers; ROI = (gross "
        "profit − spend) / spend."
    )
    filter_fields = ("channel",)
    filter_note = _(
        "The category filter does not apply: visitors, spend and new customers belong to a "
        "channel, not to a category."
    )

    def report(self, f: ReportFilter) -> dict:
        names = channel_names()
        report = selectors.channel_report(f)
        active = report[
            (report[["visitors", "paid_orders", "spend", "new_customers"]] != 0).any(axis=1)
        ]
        rows = frame_rows(active)
        for row in rows:
            row["name"] = names.get(row["channel"], row["channel"])
        table = Table(
            "channels",
            _("Channel quality"),
            [
                Column("name", _("Channel")),
                Column("visitors", _("Visitors"), "int"),
                Column("paying_customers", _("Paying customers"), "int"),
                Column("conversion_rate", _("Conversion"), "percent"),
                Column("paid_orders", _("Paid orders"), "int"),
                Column("aov", _("AOV"), "money"),
                Column("revenue", _("Net revenue"), "money"),
                Column("gross_profit", _("Gross profit"), "money"),
                Column("spend", _("Spend"), "money"),
                Column("new_customers", _("New customers"), "int"),
                Column("cac", _("CAC"), "money"),
                Column("roi", _("ROI"), "percent"),
            ],
            rows,
            empty=_(
                "No channel had visitors, orders or spend in this period: widen the dates, "
                "or import events, orders and channel spend."
            ),
        )
        # All channels as one: the same definitions (DESIGN §3) over the summed totals.
        summed = active[TOTALS].sum().to_frame().T.assign(channel_id=0)
        blended = channels.quality_from_totals(summed).iloc[0]
        cards = [
            Card(_("Net revenue"), blended["revenue"], "money"),
            Card(_("Gross profit"), blended["gross_profit"], "money"),
            Card(_("Spend"), blended["spend"], "money"),
            Card(_("New customers"), blended["new_customers"], "int"),
            Card(_("Blended CAC"), blended["cac"], "money"),
            Card(_("Blended ROI"), blended["roi"], "percent"),
        ]
        labels = [r["name"] for r in rows]
        charts = [
            Chart(
                _("Net revenue, gross profit and spend by channel"),
                "bar",
                labels,
                [
                    {"label": str(_("Net revenue")), "data": series(r["revenue"] for r in rows)},
                    {
                        "label": str(_("Gross profit")),
                        "data": series(r["gross_profit"] for r in rows),
                    },
                    {"label": str(_("Spend")), "data": series(r["spend"] for r in rows)},
                ],
                table=str(table.title),
            ),
            Chart(
                _("ROI and conversion by channel"),
                "bar",
                labels,
                [
                    {"label": str(_("ROI")), "data": series(r["roi"] for r in rows)},
                    {
                        "label": str(_("Conversion")),
                        "data": series(r["conversion_rate"] for r in rows),
                    },
                ],
                table=str(table.title),
            ),
        ]
        return {
            "cards": cards,
            "charts": charts if rows else [],
            "tables": [table],
            "has_data": True,
        }
