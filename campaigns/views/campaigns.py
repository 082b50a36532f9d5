"""Campaign pages: the list, the create wizard, the campaign with its launch, progress and
report (uplift over the holdout)."""

from __future__ import annotations

import math
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from analytics.models import Segment
from analytics.pages import (
    PII_PERMISSION,
    Chart,
    Column,
    Page,
    StaffAccess,
    Table,
    csv_response,
    series,
)
from campaigns.assignment import CONTROL
from campaigns.models import Campaign
from campaigns.selectors import (
    campaign_list,
    campaign_reachable,
    campaign_report_cached,
    campaign_sample_plan,
    experiment_sample_plan,
)
from campaigns.services import (
    CampaignError,
    campaign_cancel,
    campaign_launch,
    campaign_problems,
    campaign_progress,
)
from campaigns.services.campaigns import (
    GOAL_MESSAGES,
    campaign_create_and_send,
    segment_goal,
    template_last_used_for,
)
from campaigns.services.delivery import message_preview
from campaigns.views.forms import CampaignForm, When
from campaigns.views.wording import arm_label, verdict_words

S = Campaign.Status
LAUNCH_PERMISSION = "campaigns.change_campaign"
PLAN_LIFTS = (0.1, 0.2, 0.3, 0.5)


def export_table(request, tables: list[Table], prefix: str):
    """``?export=<table>``: that table as CSV (PII masked without ``view_pii``)."""
    name = request.GET.get("export")
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        raise Http404(f"this page has no table {name!r}")
    mask = not request.user.has_perm(PII_PERMISSION)
    return csv_response(table, filename=f"{slugify(f'{prefix}-{table.name}')}.csv", mask=mask)


def audience_text(campaign: Campaign) -> str:
    target = campaign.audience_target
    kind = campaign.get_audience_kind_display()
    return f"{kind}: {target}" if target else str(kind)


def _finite(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def headline(campaign: Campaign) -> dict:
    """The treatment arm's conversion uplift and ROI, where the report has them."""
    if campaign.started_at is None or not (campaign.launch_stats or {}).get("planned"):
        return {"uplift": None, "roi": None}
    report = campaign_report_cached(campaign)
    result = report.uplift.get("treatment") or next(iter(report.uplift.values()), None)
    if result is None:
        return {"uplift": None, "roi": None}
    return {
        "uplift": _finite(result.conversion.estimate),
        "roi": _finite(result.roi.estimate) if result.roi else None,
    }


# --- The list -----------------------------------------------------------------------------


class CampaignFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses")), *S.choices],
        required=False,
    )


class CampaignListPage(Page):
    permission_required = "campaigns.view_campaign"
    template_name = "campaigns/campaign_list.html"
    title = gettext_lazy("Campaigns")
    page_size = 25

    COLUMNS = [
        Column("name", gettext_lazy("Campaign"), "link"),
        Column("status", gettext_lazy("Status")),
        Column("goal", gettext_lazy("Goal")),
        Column("audience", gettext_lazy("Audience")),
        Column("offer", gettext_lazy("Offer")),
        Column("channel", gettext_lazy("Channel")),
        Column("date", gettext_lazy("Starts / started"), "date"),
        Column("recipients", gettext_lazy("Recipients"), "int"),
        Column("uplift", gettext_lazy("Conversion uplift (points)"), "percent"),
        Column("roi", gettext_lazy("ROI"), "percent"),
    ]

    def rows(self, campaigns) -> list[dict]:
        rows = []
        for c in campaigns:
            when = c.started_at or c.scheduled_at
            rows.append(
                {
                    "name": c.name,
                    "url": reverse("campaigns:campaign-detail", args=[c.pk]),
                    "status": c.get_status_display(),
                    "status_code": c.status,
                    "goal": c.get_goal_display(),
                    "audience": audience_text(c),
                    "offer": str(c.coupon_template or "—"),
                    "channel": c.get_contact_channel_display(),
                    "date": timezone.localdate(when) if when else None,
                    "recipients": (c.launch_stats or {}).get("recipients"),
                    **headline(c),
                }
            )
        return rows

    def get(self, request, *args, **kwargs):
        form = CampaignFilterForm(request.GET or None)
        status = form.cleaned_data["status"] if form.is_valid() else ""
        campaigns = campaign_list(status=status)
        if request.GET.get("export"):
            table = Table("campaigns", _("Campaigns"), self.COLUMNS, self.rows(campaigns))
            return export_table(request, [table], f"campaigns-{status or 'all'}")
        page = Paginator(campaigns, self.page_size).get_page(request.GET.get("page"))
        rows = self.rows(page.object_list)
        table = Table(
            "campaigns",
            _("Campaigns"),
            self.COLUMNS,
            rows,
            empty=_("No campaign with this status: choose “All statuses” or create one."),
        )
        measured = [r for r in rows if r["roi"] is not None or r["uplift"] is not None]
        chart = Chart(
            _("Conversion uplift and ROI of the campaigns on this page"),
            "bar",
            [r["name"] for r in measured],
            [
                {
                    "label": _("Conversion uplift (points)"),
                    "data": series(r["uplift"] for r in measured),
                },
                {"label": _("ROI"), "data": series(r["roi"] for r in measured)},
            ],
            options={"indexAxis": "y"},
            table=_("Campaigns"),
        )
        context = self.get_context_data(
            form=form,
            page_obj=page,
            table=table,
            chart=chart,
            has_any=Campaign.objects.exists() if not page.object_list else True,
            can_create=request.user.has_perm("campaigns.add_campaign"),
        )
        return self.render_to_response(context)


# --- The create wizard ----------------------------------------------------------------------


def sample_plan_table(plan: dict | None) -> Table:
    """Customers needed per compared arm for a few lifts, against what the audience gives."""
    rows = []
    if plan is not None:
        for lift in PLAN_LIFTS:
            needed = experiment_sample_plan(
                baseline_rate=plan["baseline_rate"], mde=lift, audience=0
            )["needed_per_variant"]
            rows.append(
                {
                    "lift": lift,
                    "needed": needed,
                    "available": plan["available_per_variant"],
                    "enough": _("yes") if plan["available_per_variant"] >= needed else _("no"),
                }
            )
    return Table(
        "sample_plan",
        _("Sample plan"),
        [
            Column("lift", _("Relative lift to detect"), "percent"),
            Column("needed", _("Customers needed per arm"), "int"),
            Column("available", _("Customers per arm in this audience"), "int"),
            Column("enough", _("Enough?")),
        ],
        rows,
        empty=_("Choose an audience to see how large a lift it can show."),
        caption=_("95% confidence, 80% power, on the baseline conversion below."),
    )


class CampaignCreatePage(Page):
    permission_required = "campaigns.add_campaign"
    template_name = "campaigns/campaign_form.html"
    title = gettext_lazy("New campaign")

    def _form(self, data=None) -> tuple[CampaignForm, Campaign | None]:
        """The form (bound to ``data``, or with the ``?segment=`` audience preselected) and
        the unsaved campaign it describes so far (for the estimates)."""
        can_launch = self.request.user.has_perm(LAUNCH_PERMISSION)
        if data is not None:
            form = CampaignForm(data, can_launch=can_launch)
            form.is_valid()
            return form, form.draft_campaign()
        segment_id = self.request.GET.get("segment", "")
        segment = Segment.objects.filter(pk=segment_id).first() if segment_id.isdigit() else None
        goal = segment_goal(segment) if segment else Campaign.Goal.REPURCHASE
        template_id = template_last_used_for(goal)
        initial = {"goal": goal, "message": GOAL_MESSAGES[goal], "coupon_template": template_id}
        draft = None
        if segment is not None:
            static = segment.kind == Segment.Kind.STATIC
            kind = Campaign.AudienceKind.LIST if static else Campaign.AudienceKind.SEGMENT
            initial.update(
                {
                    "audience_list" if static else "audience_segment": segment.pk,
                    "audience_kind": kind,
                    "name": f"{segment.label} – {timezone.localdate():%Y-%m-%d}"[:100],
                }
            )
            draft = Campaign(
                audience_kind=kind,
                audience_segment=segment,
                message=GOAL_MESSAGES[goal],
                coupon_template_id=template_id,
            )
        return CampaignForm(initial=initial, can_launch=can_launch), draft

    def estimates(self, campaign: Campaign | None) -> dict:
        """Reach, sample plan and message preview of the campaign as described so far."""
        if campaign is None:
            return {"plan_table": sample_plan_table(None)}
        now = timezone.now()
        reach = campaign_reachable(campaign, at=now)
        eligible = len(reach.eligible)
        control = round(eligible * float(campaign.holdout_percent) / 100)
        plan = campaign_sample_plan(campaign)
        preview = None
        if reach.eligible and campaign.message.strip():
            preview = message_preview(
                text=campaign.message,
                template=campaign.coupon_template,
                customer_id=reach.eligible[0],
                at=now,
            )
        table = sample_plan_table(plan)
        chart = Chart(
            _("Customers needed per arm, by lift to detect"),
            "bar",
            [f"+{lift:.0%}" for lift in PLAN_LIFTS],
            [
                {"label": _("Customers needed per arm"), "data": [r["needed"] for r in table.rows]},
                {
                    "label": _("Customers per arm in this audience"),
                    "data": [r["available"] for r in table.rows],
                    "type": "line",
                },
            ],
            table=str(table.title),
        )
        return {
            "reach": reach,
            "reach_eligible": eligible,
            "reach_control": control,
            "reach_contacted": eligible - control,
            "cap_days": settings.CAMPAIGNS["FREQUENCY_CAP_DAYS"],
            "plan": plan,
            "plan_table": table,
            "plan_chart": chart,
            "preview": preview,
        }

    def render_form(self, form, campaign: Campaign | None, status: int = 200):
        context = self.get_context_data(form=form, **self.estimates(campaign))
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_form(*self._form())

    def post(self, request, *args, **kwargs):
        form, draft = self._form(request.POST)
        if request.POST.get("action") == "preview":
            return self.render_form(form, draft)
        if form.errors:
            return self.render_form(form, draft, status=400)
        campaign = Campaign(**form.campaign_fields())
        when = form.cleaned_data["when"]
        if when != When.DRAFT:
            for problem in campaign_problems(campaign):
                form.add_error(None, problem)
            if form.errors:
                return self.render_form(form, draft, status=400)
        try:
            campaign = campaign_create_and_send(
                by=request.user,
                scheduled_at=form.cleaned_data["scheduled_at"] if when == When.AT else None,
                launch=when == When.NOW,
                **form.campaign_fields(),
            )
        except ValidationError as error:
            _add_model_errors(form, error)
            return self.render_form(form, draft, status=400)
        except CampaignError as error:
            form.add_error(None, str(error))
            return self.render_form(form, draft, status=400)
        done = {
            When.DRAFT: _("Draft saved: check it, then launch it."),
            When.AT: _("Campaign scheduled."),
            When.NOW: _("Campaign launched: the audience is being contacted."),
        }[when]
        messages.success(request, done)
        return redirect("campaigns:campaign-detail", campaign.pk)


def _add_model_errors(form, error: ValidationError) -> None:
    """The model's errors on the form's fields of the same name (others on the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = field if field in form.fields else None
        if field == "audience_segment" and form.cleaned_data.get("audience_kind") == "list":
            name = "audience_list"
        for e in errors:
            form.add_error(name, e)


# --- One campaign ---------------------------------------------------------------------------


def progress_state(campaign: Campaign) -> dict:
    """The launch progress as ``pages.js`` follows it: percent, done, message."""
    if campaign.status in (S.DRAFT, S.SCHEDULED):
        return {"percent": 0, "done": True, "message": _("Not launched.")}
    state = campaign_progress(campaign)
    done = campaign.status != S.RUNNING or bool(state.get("done"))
    if not state["planned"]:
        message = _("Taking the audience snapshot…")
    else:
        message = _("%(contacted)s of %(total)s recipients contacted") % {
            "contacted": f"{state['contacted']:,}",
            "total": f"{state['to_contact']:,}",
        }
    return {
        "percent": state["percent"],
        "done": done,
        "message": message,
        "contacted": state["contacted"],
        "to_contact": state["to_contact"],
    }


def report_tables(report) -> tuple[list[Table], list[Chart]]:
    arm_columns = [
        Column("arm", _("Arm")),
        Column("recipients", _("Recipients"), "int"),
        Column("contacted", _("Contacted"), "int"),
        Column("redemptions", _("Redemptions"), "int"),
        Column("redemption_rate", _("Redemption rate"), "percent"),
        Column("conversions", _("Converted"), "int"),
        Column("conversion_rate", _("Conversion"), "percent"),
        Column("revenue", _("Revenue"), "money"),
        Column("revenue_per_customer", _("Revenue per customer"), "money"),
        Column("contribution", _("Contribution"), "money"),
        Column("discount_cost", _("Discount cost"), "money"),
        Column("contact_cost", _("Contact cost"), "money"),
    ]
    arms = Table(
        "arms",
        _("Arms"),
        arm_columns,
        [{**a.__dict__, "arm": arm_label(a.arm)} for a in report.arms],
        empty=_("No recipients yet: the report fills in once the launch has run."),
    )
    uplift_rows = []
    for arm, u in report.uplift.items():
        for key, label, kind, interval in (
            ("conversion", _("Conversion (points)"), "percent", u.conversion),
            ("revenue_per_customer", _("Revenue per customer"), "money", u.revenue_per_customer),
            ("incremental_revenue", _("Incremental revenue"), "money", u.incremental_revenue),
            (
                "incremental_contribution",
                _("Incremental contribution"),
                "money",
                u.incremental_contribution,
            ),
            ("roi", _("ROI on contribution"), "percent", u.roi),
        ):
            uplift_rows.append(
                {
                    "arm": arm_label(arm),
                    "measure": label,
                    "measure_key": key,
                    "kind": kind,
                    "estimate": _finite(interval.estimate) if interval else None,
                    "low": _finite(interval.low) if interval else None,
                    "high": _finite(interval.high) if interval else None,
                }
            )
    uplift = Table(
        "uplift",
        _("Uplift over the holdout (%(level)s intervals)") % {"level": "95%"},
        [
            Column("arm", _("Arm")),
            Column("measure", _("Measure")),
            Column("estimate", _("Estimate"), "number"),
            Column("low", _("Low"), "number"),
            Column("high", _("High"), "number"),
        ],
        uplift_rows,
        empty=_("No uplift without a holdout: give the next campaign a holdout percentage."),
    )
    daily = report.daily.sort_values(["date", "arm"]) if len(report.daily) else report.daily
    daily_rows = [
        {
            "date": row.date,
            "arm": arm_label(row.arm),
            "orders": int(row.orders),
            "revenue": Decimal(f"{row.revenue:.2f}"),
            "contribution": Decimal(f"{row.contribution:.2f}"),
        }
        for row in daily.itertuples()
    ]
    daily_table = Table(
        "daily",
        _("Orders and revenue per day and arm"),
        [
            Column("date", _("Date"), "date"),
            Column("arm", _("Arm")),
            Column("orders", _("Orders"), "int"),
            Column("revenue", _("Revenue"), "money"),
            Column("contribution", _("Contribution"), "money"),
        ],
        daily_rows,
        empty=_("No paid order from a recipient in the attribution window yet."),
    )
    dates = sorted({r["date"] for r in daily_rows})
    per_arm: dict[str, dict] = {}
    for r in daily_rows:
        per_arm.setdefault(r["arm"], {})[r["date"]] = float(r["revenue"])
    charts = [
        Chart(
            _("Revenue per day and arm"),
            "line",
            dates,
            [
                {"label": arm, "data": [values.get(d, 0) for d in dates]}
                for arm, values in per_arm.items()
            ],
            table=str(daily_table.title),
        ),
        Chart(
            _("Conversion per arm"),
            "bar",
            [r["arm"] for r in arms.rows],
            [
                {
                    "label": _("Conversion"),
                    "data": series(r["conversion_rate"] for r in arms.rows),
                }
            ],
            table=str(arms.title),
        ),
    ]
    return [arms, uplift, daily_table], charts


class CampaignDetailPage(Page):
    permission_required = "campaigns.view_campaign"
    template_name = "campaigns/campaign_detail.html"

    def get(self, request, pk: int, *args, **kwargs):
        campaign = get_object_or_404(
            Campaign.objects.select_related(
                "audience_segment",
                "audience_group",
                "audience_tier",
                "coupon_template",
                "experiment",
                "created_by",
                "launched_by",
            ),
            pk=pk,
        )
        pending = campaign.status in (S.DRAFT, S.SCHEDULED)
        report = None if pending else campaign_report_cached(campaign)
        tables, charts = report_tables(report) if report else ([], [])
        if request.GET.get("export"):
            return export_table(request, tables, f"campaign-{campaign.pk}")
        context = {
            "campaign": campaign,
            "title": campaign.name,
            "audience": audience_text(campaign),
            "pending": pending,
            "can_launch": request.user.has_perm(LAUNCH_PERMISSION),
            "problems": campaign_problems(campaign) if pending else [],
            "plan": campaign_sample_plan(campaign) if pending else None,
            "stats": campaign.launch_stats or {},
            "control": CONTROL,
            "report": report,
            "tables": tables,
            "charts": charts if report and report.arms else [],
        }
        if pending:
            context["plan_table"] = sample_plan_table(context["plan"])
        if report is not None:
            context["progress"] = progress_state(campaign)
            context["verdict"] = verdict_words(report.verdict)
            context["arm_stats"] = [
                (arm_label(arm), n)
                for arm, n in (campaign.launch_stats or {}).get("arms", {}).items()
            ]
        return self.render_to_response(self.get_context_data(**context))


class CampaignProgressView(StaffAccess, View):
    """JSON for the progress bar of a launch (``data-progress-url``)."""

    permission_required = "campaigns.view_campaign"

    def get(self, request, pk: int):
        campaign = get_object_or_404(Campaign, pk=pk)
        state = progress_state(campaign)
        state["result_url"] = (
            reverse("campaigns:campaign-detail", args=[pk]) if state["done"] else None
        )
        return JsonResponse(state)


class CampaignActionView(StaffAccess, View):
    """POST only: a change of the campaign's life cycle through its service."""

    permission_required = LAUNCH_PERMISSION
    http_method_names = ["post"]

    def act(self, campaign: Campaign) -> str:
        raise NotImplementedError

    def post(self, request, pk: int):
        campaign = get_object_or_404(Campaign, pk=pk)
        try:
            messages.success(request, self.act(campaign))
        except CampaignError as error:
            messages.error(request, str(error))
        return redirect("campaigns:campaign-detail", pk)


class CampaignLaunchView(CampaignActionView):
    def act(self, campaign: Campaign) -> str:
        campaign_launch(campaign=campaign, by=self.request.user)
        return _("Campaign launched: the audience is being contacted.")


class CampaignCancelView(CampaignActionView):
    def act(self, campaign: Campaign) -> str:
        campaign_cancel(campaign=campaign, by=self.request.user)
        return _("Campaign cancelled: nothing more is sent; coupons already issued stay valid.")
