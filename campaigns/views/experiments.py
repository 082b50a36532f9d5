"""Experiment pages: the A/B tests, their sample-size progress and a verdict per variant."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.pages import Chart, Column, Page, Table, series
from campaigns.models import Experiment
from campaigns.selectors import experiment_list, experiment_result, experiment_sample_plan
from campaigns.views.campaigns import export_table
from campaigns.views.wording import verdict_words


def needed_per_variant(variants: int) -> int:
    """Customers each variant needs to detect the planned lift on the baseline conversion
    (``CAMPAIGNS["PLANNED_LIFT"]``, ``CAMPAIGNS["BASELINE_CONVERSION"]``)."""
    plan = experiment_sample_plan(
        baseline_rate=settings.CAMPAIGNS["BASELINE_CONVERSION"],
        mde=settings.CAMPAIGNS["PLANNED_LIFT"],
        audience=0,
        variants=max(2, variants),
    )
    return plan["needed_per_variant"]


class ExperimentListPage(Page):
    permission_required = "campaigns.view_experiment"
    template_name = "campaigns/experiment_list.html"
    title = gettext_lazy("Experiments")

    def get(self, request, *args, **kwargs):
        rows = []
        for e in experiment_list():
            needed = needed_per_variant(len(e.variant_names)) * max(2, len(e.variant_names))
            rows.append(
                {
                    "name": e.name,
                    "url": reverse("campaigns:experiment-detail", args=[e.pk]),
                    "status": e.get_status_display(),
                    "metric": e.get_primary_metric_display(),
                    "allocation": float(e.allocation_percent) / 100,
                    "variants": ", ".join(e.variant_names) or "—",
                    "campaigns": e.campaign_count,
                    "recipients": e.recipients,
                    "needed": needed,
                    "progress": min(1.0, e.recipients / needed) if needed else None,
                }
            )
        table = Table(
            "experiments",
            _("Experiments"),
            [
                Column("name", _("Experiment"), "link"),
                Column("status", _("Status")),
                Column("metric", _("Primary metric")),
                Column("allocation", _("Allocation"), "percent"),
                Column("variants", _("Variants")),
                Column("campaigns", _("Campaigns"), "int"),
                Column("recipients", _("Customers so far"), "int"),
                Column("needed", _("Customers needed"), "int"),
                Column("progress", _("Sample progress"), "percent"),
            ],
            rows,
        )
        if request.GET.get("export"):
            return export_table(request, [table], "experiments")
        chart = Chart(
            _("Customers so far against those needed"),
            "bar",
            [r["name"] for r in rows],
            [
                {"label": _("Customers so far"), "data": [r["recipients"] for r in rows]},
                {"label": _("Customers needed"), "data": [r["needed"] for r in rows]},
            ],
            options={"indexAxis": "y"},
            table=str(table.title),
        )
        context = self.get_context_data(
            table=table,
            chart=chart,
            can_create=request.user.has_perm("campaigns.add_campaign"),
        )
        return self.render_to_response(context)


class ExperimentDetailPage(Page):
    permission_required = "campaigns.view_experiment"
    template_name = "campaigns/experiment_detail.html"

    def get(self, request, pk: int, *args, **kwargs):
        experiment = get_object_or_404(Experiment, pk=pk)
        variants = list(experiment.variants.select_related("coupon_template").order_by("name"))
        campaigns = list(experiment.campaigns.order_by("-created_at"))
        result = experiment_result(experiment)
        outcomes = {v.arm: v for v in result.variants}
        needed = needed_per_variant(len(variants))
        metric = experiment.primary_metric
        rows = []
        for variant in variants:
            outcome = outcomes.get(variant.name)
            verdict = result.comparisons.get(variant.name)
            if variant.name == result.baseline:
                words = _("Baseline: the other variants are compared with it.")
            elif verdict is not None:
                words = verdict_words(verdict, metric=metric, baseline=result.baseline).text
            else:
                words = _("No verdict yet: no customers in this variant.")
            recipients = outcome.recipients if outcome else 0
            rows.append(
                {
                    "name": variant.name,
                    "weight": float(variant.weight) / 100,
                    "offer": str(variant.coupon_template or _("the campaign's offer")),
                    "recipients": recipients,
                    "needed": needed,
                    "progress": min(1.0, recipients / needed) if needed else None,
                    "contacted": outcome.contacted if outcome else 0,
                    "redemptions": outcome.redemptions if outcome else 0,
                    "conversions": outcome.conversions if outcome else 0,
                    "conversion_rate": outcome.conversion_rate if outcome else None,
                    "revenue_per_customer": outcome.revenue_per_customer if outcome else None,
                    "verdict": words,
                    "tone": verdict_words(verdict, metric=metric, baseline=result.baseline).tone
                    if verdict is not None
                    else "",
                }
            )
        table = Table(
            "variants",
            _("Variants"),
            [
                Column("name", _("Variant")),
                Column("weight", _("Weight"), "percent"),
                Column("offer", _("Offer")),
                Column("recipients", _("Customers so far"), "int"),
                Column("needed", _("Customers needed"), "int"),
                Column("progress", _("Sample progress"), "percent"),
                Column("contacted", _("Contacted"), "int"),
                Column("redemptions", _("Redemptions"), "int"),
                Column("conversions", _("Converted"), "int"),
                Column("conversion_rate", _("Conversion"), "percent"),
                Column("revenue_per_customer", _("Revenue per customer"), "money"),
                Column("verdict", _("Verdict")),
            ],
            rows,
            empty=_("This experiment has no variants: add at least two in the admin."),
        )
        if request.GET.get("export"):
            return export_table(request, [table], f"experiment-{experiment.pk}")
        metric_key = "revenue_per_customer" if metric == "revenue_per_user" else "conversion_rate"
        charts = [
            Chart(
                _("Customers so far against those needed"),
                "bar",
                [r["name"] for r in rows],
                [
                    {"label": _("Customers so far"), "data": [r["recipients"] for r in rows]},
                    {"label": _("Customers needed"), "data": [r["needed"] for r in rows]},
                ],
                table=str(table.title),
            ),
            Chart(
                _("Revenue per customer by variant")
                if metric_key == "revenue_per_customer"
                else _("Conversion by variant"),
                "bar",
                [r["name"] for r in rows],
                [
                    {
                        "label": str(experiment.get_primary_metric_display()),
                        "data": series(r[metric_key] for r in rows),
                    }
                ],
                table=str(table.title),
            ),
        ]
        context = self.get_context_data(
            experiment=experiment,
            title=experiment.name,
            campaigns=campaigns,
            result=result,
            table=table,
            charts=charts if result.variants else [],
            needed=needed,
            planned_lift=settings.CAMPAIGNS["PLANNED_LIFT"],
            baseline_rate=settings.CAMPAIGNS["BASELINE_CONVERSION"],
            can_create=request.user.has_perm("campaigns.add_campaign"),
        )
        return self.render_to_response(context)
