"""``/reports/bundles/``: products bought together (association rules A → B with
support, confidence and lift) and the bundle suggestions drawn from them."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from analytics.models import ProductAffinity
from analytics.pages import Chart, Column, ReportPage, Table, frame_rows, series
from analytics.selectors import ReportFilter
from analytics.selectors.reports import association_report, bundle_report

RULES_SHOWN = 100
BUNDLES_SHOWN = 20
CHARTED = 10


# The pair and how often it is bought together: the first columns of both tables.
PAIR_COLUMNS = [
    Column("code_a", _("Code A")),
    Column("name_a", _("Product A")),
    Column("code_b", _("Code B")),
    Column("name_b", _("Product B")),
    Column("pair_count", _("Orders with both"), "int"),
    Column("support", _("Support"), "percent"),
]


class BundlesPage(ReportPage):
    template_name = "analytics/bundles.html"
    title = _("Bought together")
    filter_fields = ()

    def report(self, f: ReportFilter) -> dict:
        computed_at = ProductAffinity.objects.aggregate(at=Max("computed_at"))["at"]
        rules = Table(
            "rules",
            _("Bought together: rules A → B"),
            [
                *PAIR_COLUMNS,
                Column("confidence", _("Confidence A → B"), "percent"),
                Column("lift", _("Lift"), "number"),
            ],
            frame_rows(association_report(limit=RULES_SHOWN)),
            empty=_("No pair of products is bought together often enough yet."),
        )
        bundles = Table(
            "bundles",
            _("Bundle suggestions"),
            [
                *PAIR_COLUMNS,
                Column("confidence_ab", _("Confidence A → B"), "percent"),
                Column("confidence_ba", _("Confidence B → A"), "percent"),
                Column("lift", _("Lift"), "number"),
                Column("score", _("Score (lift × support)"), "number"),
            ],
            frame_rows(bundle_report(limit=BUNDLES_SHOWN)) if computed_at else [],
            empty=_("No pair has a lift above 1: no bundle to suggest yet."),
        )
        top = bundles.rows[:CHARTED]
        charts = {
            "bundles": Chart(
                _("Lift of the best bundle suggestions"),
                "bar",
                [f"{r['name_a']} + {r['name_b']}" for r in top],
                [{"label": str(_("Lift")), "data": series(r["lift"] for r in top)}],
                options={"indexAxis": "y"},
                table=str(bundles.title),
            ),
            "rules": Chart(
                _("Support vs lift of the rules"),
                "scatter",
                [],
                [
                    {
                        "label": str(_("Rules A → B")),
                        "data": [{"x": r["support"], "y": r["lift"]} for r in rules.rows],
                    }
                ],
                options={
                    "scales": {
                        "x": {"title": {"display": True, "text": str(_("Support"))}},
                        "y": {"title": {"display": True, "text": str(_("Lift"))}},
                    }
                },
                table=str(rules.title),
            ),
        }
        a = settings.ANALYTICS
        return {
            "computed_at": computed_at,
            "window_days": a["AFFINITY_WINDOW_DAYS"],
            "min_support": a["AFFINITY_MIN_SUPPORT"],
            "tables": [bundles, rules],
            "named": {"bundles": bundles, "rules": rules},
            "charts": list(charts.values()),
            "chart": charts,
        }
