from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    Automation,
    Campaign,
    CampaignRecipient,
    Coupon,
    CouponTemplate,
    Experiment,
    ExperimentVariant,
    Redemption,
)
from ecomops.admin_tools import BigTableAdmin


@admin.register(CouponTemplate)
class CouponTemplateAdmin(admin.ModelAdmin):
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


@admin.register(Coupon)
class CouponAdmin(BigTableAdmin):
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


@admin.register(Redemption)
class RedemptionAdmin(BigTableAdmin):
    """Redemptions are written by the coupon services only."""

    list_display = ["redeemed_at", "coupon", "customer", "order", "discount_amount", "reversed_at"]
    list_select_related = ["coupon", "customer", "order"]
    search_fields = ["=coupon__code", "=order__external_id", "=customer__external_id"]
    date_hierarchy = "redeemed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    readonly_fields = ["result", "created_by", "created_at"]
    inlines = [ExperimentVariantInline]


@admin.register(ExperimentVariant)
class ExperimentVariantAdmin(admin.ModelAdmin):
    list_display = ["experiment", "name", "weight", "coupon_template"]
    list_select_related = ["experiment", "coupon_template"]
    search_fields = ["name", "experiment__name"]
    autocomplete_fields = ["experiment", "coupon_template"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "goal",
        "audience",
        "coupon_template",
        "holdout_percent",
        "status",
        "scheduled_at",
        "recipient_count",
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
    readonly_fields = ["started_at", "completed_at", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(recipients_n=Count("recipients"))

    @admin.display(description=_("audience"))
    def audience(self, campaign):
        target = {
            Campaign.AudienceKind.SEGMENT: campaign.audience_segment,
            Campaign.AudienceKind.GROUP: campaign.audience_group,
            Campaign.AudienceKind.TIER: campaign.audience_tier,
        }.get(campaign.audience_kind)
        return (
            f"{campaign.get_audience_kind_display()}: {target}"
            if target
            else campaign.get_audience_kind_display()
        )

    @admin.display(description=_("recipients"), ordering="recipients_n")
    def recipient_count(self, campaign):
        return campaign.recipients_n


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(BigTableAdmin):
    list_display = ["campaign", "customer", "arm", "coupon", "contacted_at"]
    list_filter = ["arm", "campaign"]
    list_select_related = ["campaign", "customer", "coupon"]
    search_fields = ["=customer__external_id", "=coupon__code"]
    autocomplete_fields = ["campaign", "customer"]
    raw_id_fields = ["coupon"]


@admin.register(Automation)
class AutomationAdmin(admin.ModelAdmin):
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
