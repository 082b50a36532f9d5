"""``/reports/traffic/``: the funnel per channel with its drop-offs, cart abandonment per
day, and when customers are active (weekday × hour, events or orders, per category)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.metrics.funnel import FUNNEL_STEPS, funnel_leakage
from analytics.pages import Chart, Column, Table, series
from analytics.selectors import ReportFilter
from analytics.selectors.channels import channel_names
from analytics.views.base import AnalyticsReportPage

STEP_LABELS = {
    "visit": _("Visit"),
    "product_view": _("Product view"),
    "add_to_cart": _("Add to cart"),
    "order": _("Order"),
    "pay": _("Pay"),
}
WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
MEASURES = {"events": _("Events"), "orders": _("Paid orders")}


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


class TrafficPage(AnalyticsReportPage):
    template_name = "analytics/traffic.html"
    title = _("Traffic & funnel")
    lead = _(
        "Sessions through visit → product view → add to cart → order → pay, each step "
        "counted within the session's day. Cart abandonment = 1 − ordered / carted; payment "
        "drop-off = 1 − paid / ordered."
    )
    filter_note = _(
        "The channel filter applies to the funnel and cart abandonment; the category filter "
        "applies to the activity heatmap only (a session has no category)."
    )

    def measure(self) -> str:
        measure = self.request.GET.get("measure")
        return measure if measure in MEASURES else "events"

    def report(self, f: ReportFilter) -> dict:
        names = channel_names()
        funnel_f = ReportFilter(f.start, f.end, f.channel)
        overall = selectors.funnel_report(funnel_f)
        per_channel = selectors.funnel_report(funnel_f, by_channel=True)

        steps_table = Table(
            "funnel",
            _("Funnel, all channels")
            if f.channel is None
            else _("Funnel, %(channel)s") % {"channel": names.get(f.channel.code, f.channel.code)},
            [
                Column("step", _("Step")),
                Column("count", _("Sessions"), "int"),
                Column("step_conversion", _("From previous step"), "percent"),
                Column("dropoff", _("Drop-off"), "percent"),
                Column("overall_conversion", _("From visit"), "percent"),
            ],
            [
                {
                    "step": str(STEP_LABELS[r["step"]]),
                    "count": r["count"],
                    "step_conversion": r["step_conversion"],
                    "dropoff": 1 - r["step_conversion"] if i else float("nan"),
                    "overall_conversion": r["overall_conversion"],
                }
                for i, r in enumerate(overall.steps.to_dict(orient="records"))
            ]
            if overall.steps["count"].sum()
            else [],
            empty=_("No sessions in this period: import behaviour events, then recompute."),
        )
        channel_table = self._channel_table(per_channel, names)
        trend_table = self._abandonment(funnel_f)
        heat_table, hour_chart, maximum = self._activity(f)

        charts = []
        if steps_table.rows:
            charts.append(
                Chart(
                    steps_table.title,
                    "bar",
                    [r["step"] for r in steps_table.rows],
                    [{"label": str(_("Sessions")), "data": [r["count"] for r in steps_table.rows]}],
                    table=str(steps_table.title),
                )
            )
        if channel_table.rows:
            charts.append(
                Chart(
                    _("Visit-to-pay conversion and cart abandonment by channel"),
                    "bar",
                    [r["channel"] for r in channel_table.rows],
                    [
                        {
                            "label": str(_("Visit-to-pay conversion")),
                            "data": series(r["conversion"] for r in channel_table.rows),
                        },
                        {
                            "label": str(_("Cart abandonment")),
                            "data": series(r["cart_abandonment"] for r in channel_table.rows),
                        },
                    ],
                    table=str(channel_table.title),
                )
            )
        if trend_table.rows:
            charts.append(
                Chart(
                    _("Cart abandonment per day"),
                    "line",
                    [r["date"] for r in trend_table.rows],
                    [
                        {
                            "label": str(_("Cart abandonment")),
                            "data": series(r["abandonment"] for r in trend_table.rows),
                        }
                    ],
                    options={"scales": {"y": {"min": 0, "max": 1}}},
                    table=str(trend_table.title),
                )
            )
        return {
            "charts": charts,
            "hour_chart": hour_chart,
            "tables": [steps_table, channel_table, trend_table, heat_table],
            "heatmap": heat_table,
            "heat_max": maximum,
            "measure": self.measure(),
            "measures": MEASURES,
            "cart_abandonment": overall.cart_abandonment,
            "payment_dropoff": overall.payment_dropoff,
            "has_data": True,  # every part says on its own what is missing
        }

    @staticmethod
    def _channel_table(report, names: dict[str, str]) -> Table:
        rows = []
        steps = report.steps
        for code, block in steps.groupby("channel", sort=True) if len(steps) else ():
            counts = dict(zip(block["step"], block["count"], strict=True))
            if not counts.get("visit") and not counts.get("add_to_cart"):
                continue
            # the rates as the funnel metric defines them (DESIGN §3), not derived again
            rates = block.set_index("step")
            leakage = funnel_leakage(block[["step", "count"]]).iloc[0]
            rows.append(
                {
                    "channel": names.get(code, code),
                    **{step: counts.get(step, 0) for step in FUNNEL_STEPS},
                    "view_rate": rates.at["product_view", "step_conversion"],
                    "cart_rate": rates.at["add_to_cart", "step_conversion"],
                    "cart_abandonment": leakage["cart_abandonment"],
                    "payment_dropoff": leakage["payment_dropoff"],
                    "conversion": rates.at["pay", "overall_conversion"],
                }
            )
        return Table(
            "funnel_by_channel",
            _("Funnel by channel"),
            [
                Column("channel", _("Channel")),
                *[Column(step, STEP_LABELS[step], "int") for step in FUNNEL_STEPS],
                Column("view_rate", _("Visit → view"), "percent"),
                Column("cart_rate", _("View → cart"), "percent"),
                Column("cart_abandonment", _("Cart abandonment"), "percent"),
                Column("payment_dropoff", _("Payment drop-off"), "percent"),
                Column("conversion", _("Visit-to-pay conversion"), "percent"),
            ],
            rows,
            empty=_(
                "No per-channel sessions in this period: events need a channel to be counted here."
            ),
        )

    @staticmethod
    def _abandonment(f: ReportFilter) -> Table:
        daily = selectors.kpi_series(f, ["funnel_add_to_cart", "funnel_order"])
        rows = [
            {
                "date": day,
                "carted": carted,
                "ordered": ordered,
                "abandonment": 1 - _ratio(ordered, carted),
            }
            for day, carted, ordered in zip(
                daily["date"], daily["funnel_add_to_cart"], daily["funnel_order"], strict=True
            )
        ]
        return Table(
            "cart_abandonment",
            _("Cart abandonment per day"),
            [
                Column("date", _("Date"), "date"),
                Column("carted", _("Sessions with a cart"), "int"),
                Column("ordered", _("Sessions with an order"), "int"),
                Column("abandonment", _("Cart abandonment"), "percent"),
            ],
            rows if any(r["carted"] for r in rows) else [],
            empty=_("No session added to cart in this period."),
        )

    def _activity(self, f: ReportFilter) -> tuple[Table, Chart | None, int]:
        measure = self.measure()
        matrix = selectors.activity_report(f, measure=measure)
        hours = list(range(24))
        rows = [
            {
                "weekday": str(WEEKDAYS[weekday]),
                **{f"h{h}": int(matrix.loc[weekday, h]) for h in hours},
            }
            for weekday in matrix.index
        ]
        total = int(matrix.to_numpy().sum())
        table = Table(
            "activity",
            _("%(measure)s by weekday and hour") % {"measure": MEASURES[measure]},
            [Column("weekday", _("Weekday")), *[Column(f"h{h}", f"{h:02d}", "int") for h in hours]],
            rows if total else [],
            empty=_("No activity recorded in this period for this category."),
        )
        chart = None
        if total:
            by_hour = matrix.sum(axis=0)
            chart = Chart(
                _("%(measure)s by hour of day") % {"measure": MEASURES[measure]},
                "bar",
                [f"{h:02d}" for h in hours],
                [{"label": str(MEASURES[measure]), "data": series(by_hour[h] for h in hours)}],
                table=str(table.title),
            )
        return table, chart, int(matrix.to_numpy().max()) if total else 0
