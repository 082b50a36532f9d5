from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from analytics.models import Segment
from analytics.selectors import segment_members
from campaigns.models import (
    Automation,
    AutomationRecipient,
    Campaign,
    CampaignRecipient,
    Coupon,
    CouponTemplate,
    Experiment,
    ExperimentVariant,
    Message,
    Redemption,
    Reward,
)
from campaigns.selectors import (
    campaign_report,
    campaign_sample_plan,
    experiment_result,
    group_report,
)
from campaigns.services import (
    automation_dry_run,
    automation_run,
    campaign_cancel,
    campaign_draft_for_segment,
    campaign_launch,
    campaign_problems,
    campaign_progress,
    coupons_issue_to_segment,
    coupons_void,
)
from customers.admin import CommunityGroupAdmin
from customers.models import CommunityGroup
from customers.services import group_members_add
from ecomops.admin_actions import AuditedAdmin, form_action
from ecomops.admin_tools import BigTableAdmin, ReadOnlyBigTableAdmin


class SegmentChoiceForm(forms.Form):
    segment = forms.ModelChoiceField(queryset=Segment.objects.all(), label=_("segment"))


@admin.register(CouponTemplate)
class CouponTemplateAdmin(AuditedAdmin):
    actions = ["issue_to_segment"]
    list_display = [
        "name",
        "kind",
        "value",
        "min_spend",
        "validity",
        "used_count",
        "total_limit",
        "per_customer_limit",
        "discount_given",
        "budget",
        "group",
        "active",
    ]
    list_filter = ["kind", "active", "stackable"]
    list_select_related = ["group"]
    search_fields = ["name"]
    autocomplete_fields = ["group", "applicable_categories", "applicable_products"]
    readonly_fields = ["used_count", "discount_given", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "kind",
                    "value",
                    "max_discount",
                    "min_spend",
                    "nth_item",
                    "stackable",
                    "active",
                ]
            },
        ),
        (_("Validity"), {"fields": ["valid_from", "valid_until", "valid_days"]}),
        (
            _("Limits"),
            {
                "fields": [
                    "total_limit",
                    "per_customer_limit",
                    "budget",
                    "free_usage_on_refund",
                    "used_count",
                    "discount_given",
                ]
            },
        ),
        (_("Applies to"), {"fields": ["applicable_categories", "applicable_products", "group"]}),
    ]

    @admin.display(description=_("validity"))
    def validity(self, template):
        if template.valid_days:
            return _("%(days)s days from issue") % {"days": template.valid_days}
        if template.valid_from or template.valid_until:
            start = template.valid_from.date() if template.valid_from else "…"
            end = template.valid_until.date() if template.valid_until else "…"
            return f"{start} – {end}"
        return _("always")

    @form_action(
        description=_("Issue personal coupons to a segment"),
        form_class=SegmentChoiceForm,
        explanation=_(
            "Each member of the segment gets one personal coupon of each selected template "
            "(nothing is sent: use a campaign to contact them)."
        ),
    )
    def issue_to_segment(self, request, queryset, data):
        issued, members = coupons_issue_to_segment(templates=queryset, segment=data["segment"])
        return f"{issued:,} coupons issued to {members:,} members of {data['segment']}"


@admin.register(Coupon)
class CouponAdmin(AuditedAdmin, BigTableAdmin):
    actions = ["void_coupons"]
    list_display = [
        "code",
        "template",
        "customer",
        "status",
        "issued_at",
        "expires_at",
        "times_used",
    ]
    list_filter = ["status", "template"]
    list_select_related = ["template", "customer"]
    search_fields = ["=code", "=customer__external_id"]
    date_hierarchy = "issued_at"
    autocomplete_fields = ["template", "customer"]
    readonly_fields = ["times_used"]

    @form_action(
        description=_("Void the selected coupons"),
        destructive=True,
        explanation=_(
            "Voided coupons can no longer be used. Used or expired ones are left as they are."
        ),
    )
    def void_coupons(self, request, queryset, data):
        return f"{coupons_void(coupons=queryset, by=request.user):,} coupons voided"


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyBigTableAdmin):
    """Redemptions are written by the coupon services only."""

    list_display = ["redeemed_at", "coupon", "customer", "order", "discount_amount", "reversed_at"]
    list_select_related = ["coupon", "customer", "order"]
    search_fields = ["=coupon__code", "=order__external_id", "=customer__external_id"]
    date_hierarchy = "redeemed_at"


class ExperimentVariantInline(admin.TabularInline):
    model = ExperimentVariant
    extra = 0
    autocomplete_fields = ["coupon_template"]
    fields = ["name", "weight", "coupon_template", "message"]


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "primary_metric",
        "allocation_percent",
        "status",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["status", "primary_metric"]
    search_fields = ["name"]
    readonly_fields = ["outcome", "created_by", "created_at"]
    exclude = ["result"]
    inlines = [ExperimentVariantInline]

    @admin.display(description=_("result"))
    def outcome(self, experiment):
        if not experiment.pk:
            return "–"
        result = experiment_result(experiment)
        if not result.variants:
            return _("no data yet: launch a campaign with this experiment")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (v.arm, f"{v.recipients:,}", f"{v.conversions:,} ({v.conversion_rate:.1%})",
                 f"{v.revenue_per_customer:,.2f}")
                for v in result.variants
            ),
        )  # fmt: skip
        verdicts = format_html_join(
            "", "<li>{} vs {}: {}</li>",
            ((name, result.baseline, v.text) for name, v in result.comparisons.items()),
        )  # fmt: skip
        srm = (
            _("Sample-ratio mismatch: check the assignment.")
            if result.sample_ratio_mismatch
            else ""
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table><ul>{}</ul>{}",
            _("variant"), _("customers"), _("converted"), _("revenue / customer"),
            rows, verdicts, srm,
        )  # fmt: skip


@admin.register(ExperimentVariant)
class ExperimentVariantAdmin(admin.ModelAdmin):
    list_display = ["experiment", "name", "weight", "coupon_template"]
    list_select_related = ["experiment", "coupon_template"]
    search_fields = ["name", "experiment__name"]
    autocomplete_fields = ["experiment", "coupon_template"]


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    list_display = [
        "name",
        "goal",
        "audience",
        "coupon_template",
        "holdout_percent",
        "status",
        "scheduled_at",
        "progress",
    ]
    list_filter = ["status", "goal", "audience_kind", "contact_channel"]
    list_select_related = ["audience_segment", "audience_group", "audience_tier", "coupon_template"]
    search_fields = ["name"]
    autocomplete_fields = [
        "audience_segment",
        "audience_group",
        "audience_tier",
        "coupon_template",
        "experiment",
    ]
    readonly_fields = [
        "status",
        "problems",
        "progress",
        "launch_summary",
        "sample_size",
        "report",
        "started_at",
        "sent_at",
        "completed_at",
        "created_by",
        "launched_by",
        "created_at",
        "updated_at",
    ]
    actions = ["launch_now", "cancel_campaigns"]

    def get_urls(self):
        extra = [
            path(
                "from-segment/<int:segment_id>/",
                self.admin_site.admin_view(self.from_segment_view),
                name="campaigns_campaign_from_segment",
            )
        ]
        return extra + super().get_urls()

    def from_segment_view(self, request, segment_id):
        """One click from a segment: a draft with its recommended offer, ready to launch."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        segment = get_object_or_404(Segment, pk=segment_id)
        campaign = campaign_draft_for_segment(segment=segment, by=request.user)
        self.message_user(
            request,
            _("Draft campaign for %(segment)s: check the offer and message, then launch it.")
            % {"segment": segment},
        )
        return redirect("admin:campaigns_campaign_change", campaign.pk)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("audience"))
    def audience(self, campaign):
        target = campaign.audience_target
        kind = campaign.get_audience_kind_display()
        return f"{kind}: {target}" if target else kind

    @admin.display(description=_("ready to launch?"))
    def problems(self, campaign):
        if not campaign.pk or campaign.status not in ("draft", "scheduled"):
            return "–"
        found = campaign_problems(campaign)
        return "; ".join(found) if found else _("yes")

    @admin.display(description=_("sample size"))
    def sample_size(self, campaign):
        """Before launch: whether the audience can show the planned effect."""
        if not campaign.pk or campaign.status not in ("draft", "scheduled"):
            return "–"
        plan = campaign_sample_plan(campaign)
        if plan is None:
            return _("choose an audience first")
        return _(
            "about %(audience)s in the audience; %(per_arm)s per compared arm; detecting "
            "+%(lift).0f%% on a %(base).0f%% conversion needs %(needed)s per arm "
            "(%(verdict)s); the smallest lift this audience shows is +%(mde)s"
        ) % {
            "audience": f"{plan['audience']:,}", "per_arm": f"{plan['available_per_variant']:,}",
            "lift": plan["planned_lift"] * 100, "base": plan["baseline_rate"] * 100,
            "needed": f"{plan['needed_per_variant']:,}",
            "verdict": _("enough") if plan["enough"] else _("not enough"),
            "mde": "–" if plan["minimum_detectable_lift"] != plan["minimum_detectable_lift"]
            else f"{plan['minimum_detectable_lift']:.0%}",
        }  # fmt: skip

    @admin.display(description=_("progress"))
    def progress(self, campaign):
        if campaign.status in ("draft", "scheduled"):
            return "–"
        state = campaign_progress(campaign)
        if not state["planned"]:
            return _("planning…")
        return format_html(
            '<progress max="100" value="{}"></progress> {} / {}',
            state["percent"],
            f"{state['contacted']:,}",
            f"{state['to_contact']:,}",
        )

    @admin.display(description=_("audience at launch"))
    def launch_summary(self, campaign):
        stats = campaign.launch_stats or {}
        if not stats.get("planned"):
            return "–"
        arms = ", ".join(f"{arm} {n:,}" for arm, n in stats["arms"].items())
        return _(
            "%(audience)s in the audience; %(opted_out)s opted out; %(capped)s contacted in "
            "the last %(days)s days (frequency cap); %(recipients)s recipients: %(arms)s"
        ) % {
            "audience": f"{stats['audience']:,}",
            "opted_out": f"{stats['opted_out']:,}",
            "capped": f"{stats['frequency_capped']:,}",
            "days": stats["frequency_cap_days"],
            "recipients": f"{stats['recipients']:,}",
            "arms": arms,
        }

    @admin.display(description=_("report"))
    def report(self, campaign):
        if not campaign.pk or campaign.started_at is None:
            return "–"
        result = campaign_report(campaign)
        if not result.arms:
            return _("planning…")
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("arm"), _("recipients"), _("redeemed"), _("converted"), _("revenue / customer"),
            _("discount cost"), _("contact cost"),
        )  # fmt: skip
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (a.arm, f"{a.recipients:,}", f"{a.redemptions:,} ({a.redemption_rate:.1%})",
                 f"{a.conversions:,} ({a.conversion_rate:.1%})", f"{a.revenue_per_customer:,.2f}",
                 f"{a.discount_cost:,.2f}", f"{a.contact_cost:,.2f}")
                for a in result.arms
            ),
        )  # fmt: skip
        lines = format_html_join(
            "",
            "<li>{}: {}</li>",
            ((arm, _uplift_text(u)) for arm, u in result.uplift.items()),
        )
        verdict = result.verdict.text if result.verdict else ""
        window = (
            _("attribution window complete") if result.window_complete else _("window still open")
        )
        return format_html(
            "<table>{}{}</table><ul>{}</ul><p>{} ({})</p>", header, rows, lines, verdict, window
        )

    @form_action(
        description=_("Launch now"),
        permissions=("launch",),
        explanation=_(
            "The audience is snapshotted now; the holdout gets nothing; everyone else gets "
            "their coupon and message in the background. This cannot be undone."
        ),
        submit_label=_("Launch"),
    )
    def launch_now(self, request, queryset, data):
        launched = [campaign_launch(campaign=c, by=request.user) for c in queryset]
        return f"{len(launched)} campaign(s) launched; progress shows on each campaign"

    @form_action(
        description=_("Cancel the selected campaigns"),
        permissions=("launch",),
        destructive=True,
        explanation=_(
            "Nothing more is sent. Coupons already issued stay valid; the report still "
            "measures what was sent."
        ),
    )
    def cancel_campaigns(self, request, queryset, data):
        cancelled = [campaign_cancel(campaign=c, by=request.user) for c in queryset]
        return f"{len(cancelled)} campaign(s) cancelled"

    def has_launch_permission(self, request):
        return request.user.has_perm("campaigns.change_campaign")


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(BigTableAdmin):
    list_display = ["campaign", "customer", "arm", "coupon", "contacted_at"]
    list_filter = ["arm", "campaign"]
    list_select_related = ["campaign", "customer", "coupon"]
    search_fields = ["=customer__external_id", "=coupon__code"]
    autocomplete_fields = ["campaign", "customer"]
    raw_id_fields = ["coupon"]


@admin.register(Automation)
class AutomationAdmin(AuditedAdmin):
    list_display = [
        "name",
        "trigger",
        "trigger_days",
        "coupon_template",
        "cooldown_days",
        "holdout_percent",
        "active",
        "last_run_at",
    ]
    list_filter = ["trigger", "active"]
    list_select_related = ["coupon_template"]
    search_fields = ["name"]
    autocomplete_fields = ["coupon_template"]
    readonly_fields = ["last_run_at", "created_at"]
    actions = ["dry_run", "run_now"]

    @admin.action(description=_("Dry run: who would get what today"))
    def dry_run(self, request, queryset):
        runs = [(automation, automation_dry_run(automation)) for automation in queryset]
        return TemplateResponse(
            request,
            "admin/campaigns/automation/dry_run.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Dry run"),
                "opts": self.model._meta,
                "runs": runs,
            },
        )

    @form_action(
        description=_("Run now (today's trigger)"),
        explanation=_(
            "Runs today's trigger at once, as the daily task would; a second run today "
            "contacts nobody twice."
        ),
        submit_label=_("Run"),
    )
    def run_now(self, request, queryset, data):
        results = [automation_run(automation) for automation in queryset]
        return "; ".join(
            f"{r['automation']}: {r['contacted']} contacted, {r['held_out']} held out, "
            f"{r['cooling_down']} cooling down"
            for r in results
        )


@admin.register(AutomationRecipient)
class AutomationRecipientAdmin(ReadOnlyBigTableAdmin):
    list_display = ["triggered_on", "automation", "customer", "arm", "coupon", "contacted_at"]
    list_filter = ["arm", "automation"]
    list_select_related = ["automation", "customer", "coupon"]
    search_fields = ["=customer__external_id"]
    date_hierarchy = "triggered_on"


@admin.register(Message)
class MessageAdmin(ReadOnlyBigTableAdmin):
    list_display = ["sent_at", "customer", "campaign", "automation", "channel", "status", "error"]
    list_filter = ["status", "channel"]
    list_select_related = ["customer", "campaign", "automation"]
    search_fields = ["=customer__external_id", "=key"]
    date_hierarchy = "sent_at"


@admin.register(Reward)
class RewardAdmin(AuditedAdmin):
    list_display = ["name", "points_cost", "coupon_template", "stock", "min_tier", "active"]
    list_filter = ["active"]
    list_select_related = ["coupon_template", "min_tier"]
    search_fields = ["name"]
    autocomplete_fields = ["coupon_template"]


def _interval_text(interval, fmt: str) -> str:
    if interval is None:
        return "–"
    low = "?" if interval.low != interval.low else format(interval.low, fmt)
    high = "?" if interval.high != interval.high else format(interval.high, fmt)
    return f"{format(interval.estimate, fmt)} [{low}, {high}]"


def _uplift_text(u) -> str:
    return (
        f"conversion {_interval_text(u.conversion, '+.1%')}, revenue per customer "
        f"{_interval_text(u.revenue_per_customer, '+,.2f')}, incremental revenue "
        f"{_interval_text(u.incremental_revenue, '+,.0f')}, incremental contribution "
        f"{_interval_text(u.incremental_contribution, '+,.0f')}, ROI "
        f"{_interval_text(u.roi, '+.0%')} (95% intervals)"
    )


# --- Community groups, with what needs segments and orders (campaigns is the layer that
# sees them all; the customers app's admin stays free of analytics and catalog) ----------

admin.site.unregister(CommunityGroup)


@admin.register(CommunityGroup)
class CommunityGroupWithSegmentsAdmin(CommunityGroupAdmin):
    actions = ["add_segment_members"]
    readonly_fields = ["report_30_days"]

    @form_action(
        description=_("Add a segment's members to the group"),
        form_class=SegmentChoiceForm,
        explanation=_("Members already in the group stay; nobody is added past its capacity."),
    )
    def add_segment_members(self, request, queryset, data):
        members = segment_members(segment=data["segment"]).values_list("pk", flat=True)
        results = [
            (group, group_members_add(group=group, customers=members, by=request.user))
            for group in queryset
        ]
        return "; ".join(
            f"{group}: {r['added']} added, {r['already']} already members, {r['full']} not "
            "added (full)"
            for group, r in results
        )

    @admin.display(description=_("last 30 days"))
    def report_30_days(self, group):
        if not group.pk:
            return "–"
        end = timezone.now()
        r = group_report(group, start=end - timedelta(days=30), end=end)
        return _(
            "%(members)s members (%(kocs)s KOCs), %(joined)s joined and %(left)s left; "
            "%(buyers)s bought %(orders)s orders for %(revenue)s; exclusive offers used "
            "%(redemptions)s times (%(discount)s off)"
        ) % {
            "members": r.members, "kocs": r.kocs, "joined": r.joined, "left": r.left,
            "buyers": r.active_buyers, "orders": r.orders, "revenue": r.revenue,
            "redemptions": r.redemptions, "discount": r.exclusive_discount,
        }  # fmt: skip
