"""``/reports/cohorts/``: retention by first-purchase month (customers and revenue),
30-day repurchase per cohort and the repurchase interval (复购周期)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.utils.translation import gettext_lazy as _

from analytics.pages import Chart, Column, ReportPage, Table, series
from analytics.selectors import ReportFilter, cohort_report

# Repurchase interval histogram bins, in days: [low, high] inclusive; None = open.
INTERVAL_BINS = ((0, 7), (8, 14), (15, 30), (31, 60), (61, 90), (91, 180), (181, 365), (366, None))


def interval_bins(histogram) -> list[dict]:
    """The per-day interval histogram gathered into the page's bins."""
    rows = []
    for low, high in INTERVAL_BINS:
        inside = histogram[histogram.index >= low]
        if high is not None:
            inside = inside[inside.index <= high]
        label = f"{low}–{high}" if high is not None else f"≥ {low}"
        rows.append({"days": label, "pairs": int(inside.sum())})
    return rows


class CohortsPage(ReportPage):
    template_name = "analytics/cohorts.html"
    title = _("Cohorts & repurchase")
    filter_fields = ("channel",)
    default_months = 12

    def default_start(self, end: date) -> date:
        """Cohorts need months: without ``?start=``, the first day of the month
        ``default_months`` − 1 months before the end."""
        months = end.year * 12 + end.month - 1 - (self.default_months - 1)
        return date(months // 12, months % 12 + 1, 1)

    def report(self, f: ReportFilter) -> dict:
        report = cohort_report(f)
        retention = report.retention
        months = sorted(set(retention["months_since"])) if len(retention) else []
        cohorts = sorted(set(retention["cohort"])) if len(retention) else []
        cells = {(r.cohort, r.months_since): r for r in retention.itertuples()}
        # The end date's month is counted to date only when the period stops before its
        # last day: its cells are marked, and left out of the curves (not a real drop).
        end_month = pd.Period(f.end, freq="M")
        partial = f.end < end_month.end_time.date()
        matrix = []
        for cohort in cohorts:
            row = [cells.get((cohort, k)) for k in months]
            first = cells.get((cohort, 0))
            to_date = [partial and cohort + k == end_month for k in months]
            matrix.append(
                {
                    "cohort": str(cohort),
                    "customers": first.customers if first else 0,
                    "revenue": first.revenue if first else 0,
                    "retention": [
                        {"value": c.retention if c else None, "to_date": t}
                        for c, t in zip(row, to_date, strict=True)
                    ],
                    "revenue_retention": [
                        {"value": c.revenue_retention if c else None, "to_date": t}
                        for c, t in zip(row, to_date, strict=True)
                    ],
                    "curve": [
                        None if c is None or t else c.retention
                        for c, t in zip(row, to_date, strict=True)
                    ],
                }
            )
        long = Table(
            "retention",
            _("Retention by first-purchase month"),
            [
                Column("cohort", _("Cohort (first paid order)")),
                Column("months_since", _("Months since"), "int"),
                Column("customers", _("Cohort customers"), "int"),
                Column("active_customers", _("Customers with a paid order"), "int"),
                Column("retention", _("Customer retention"), "percent"),
                Column("revenue", _("Net revenue"), "money"),
                Column("revenue_retention", _("Revenue retention"), "percent"),
            ],
            [
                {
                    "cohort": str(r.cohort),
                    "months_since": r.months_since,
                    "customers": r.customers,
                    "active_customers": r.active_customers,
                    "retention": r.retention,
                    "revenue": r.revenue,
                    "revenue_retention": r.revenue_retention,
                }
                for r in retention.itertuples()
            ],
            empty=_(
                "No customer placed a first paid order in these months: widen the dates "
                "or recompute the analytics."
            ),
        )
        repurchase = Table(
            "repurchase_30d",
            _("30-day repurchase rate by cohort"),
            [
                Column("cohort", _("Cohort (first paid order)")),
                Column("matured", _("Customers whose 30 days are over"), "int"),
                Column("repurchased", _("Ordered again within 30 days"), "int"),
                Column("rate", _("30-day repurchase rate"), "percent"),
            ],
            [
                {
                    "cohort": str(r.cohort),
                    "matured": r.matured,
                    "repurchased": r.repurchased,
                    "rate": r.rate,
                }
                for r in report.repurchase_30d.itertuples()
            ],
            empty=_("No cohort in these months."),
        )
        intervals = Table(
            "intervals",
            _("Days between consecutive paid orders"),
            [Column("days", _("Days")), Column("pairs", _("Consecutive order pairs"), "int")],
            interval_bins(report.interval_histogram) if report.interval_pairs else [],
            empty=_("No customer of these cohorts has ordered twice yet."),
        )
        recent = matrix[-12:]
        charts = {
            "retention": Chart(
                _("Customer retention curves (latest 12 cohorts)"),
                "line",
                [str(_("Month %(n)d") % {"n": k}) for k in months],
                [
                    {"label": row["cohort"], "data": series(row["curve"]), "fill": False}
                    for row in recent
                ],
                options={"scales": {"y": {"min": 0, "max": 1}}},
                table=str(long.title),
            ),
            "repurchase": Chart(
                _("30-day repurchase rate by cohort"),
                "bar",
                [row["cohort"] for row in repurchase.rows],
                [
                    {
                        "label": str(_("30-day repurchase rate")),
                        "data": series(row["rate"] for row in repurchase.rows),
                    }
                ],
                options={"scales": {"y": {"min": 0}}},
                table=str(repurchase.title),
            ),
            "intervals": Chart(
                _("Repurchase interval histogram"),
                "bar",
                [row["days"] for row in intervals.rows],
                [
                    {
                        "label": str(_("Consecutive order pairs")),
                        "data": series(row["pairs"] for row in intervals.rows),
                    }
                ],
                table=str(intervals.title),
            ),
        }
        return {
            "months": months,
            "matrix": matrix,
            "partial_month": str(end_month) if partial else "",
            "report": report,
            "tables": [long, repurchase, intervals],
            "named": {t.name: t for t in (long, repurchase, intervals)},
            "charts": list(charts.values()),
            "chart": charts,
        }
