import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from analytics.models import (
    ActivityCell,
    Cohort,
    CohortCell,
    CohortDay,
    CustomerRecency,
    CustomerScore,
    DailyKPI,
    Event,
    ForecastAccuracy,
    InventorySnapshot,
    KpiTarget,
    ProductAffinity,
    ProductForecast,
    ProductReviews,
    ProductSales,
    Recommendation,
    Segment,
    SegmentMember,
    SkuSales,
)
from analytics.segment_rules import RuleError
from analytics.selectors import segment_rule_preview
from analytics.services import (
    segment_create_from_list,
    segment_refresh_count,
    segment_snapshot,
)
from ecomops.admin_tools import BigTableAdmin


class ComputedAdmin(BigTableAdmin):
    """Rows written by the analytics run: read-only here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(BigTableAdmin):
    list_display = ["occurred_at", "type", "customer", "session_id", "product", "channel"]
    list_filter = ["type", "channel"]
    list_select_related = ["customer", "product", "channel"]
    search_fields = ["=session_id", "=customer__external_id", "=external_id"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["customer", "product", "sku"]


@admin.register(CustomerScore)
class CustomerScoreAdmin(ComputedAdmin):
    list_display = [
        "customer",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
        "rfm_class",
        "lifecycle_stage",
        "p_alive",
        "predicted_value_90d",
        "as_of",
    ]
    list_filter = ["rfm_segment", "rfm_class", "lifecycle_stage", "r_score", "f_score", "m_score"]
    list_select_related = ["customer"]
    search_fields = ["=customer__external_id"]


class ListUploadForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("segment name"))
    file = forms.FileField(
        required=False,
        label=_("file"),
        help_text=_("A CSV or text file: the customers' external ids, one per line (a header "
                    "named customer_id or external_id is skipped)."),
    )  # fmt: skip
    ids = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label=_("or paste the ids")
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Segment.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A segment with this name exists already."))
        return name

    def clean(self):
        data = super().clean()
        text = data.get("ids") or ""
        upload = data.get("file")
        if upload:
            raw = upload.read()
            try:
                text += "\n" + raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text += "\n" + raw.decode("gb18030", errors="replace")
        ids = [line.split(",")[0].strip().strip('"') for line in text.splitlines()]
        ids = [i for i in ids if i and i.lower() not in ("customer_id", "external_id")]
        if not ids:
            raise forms.ValidationError(_("Give at least one external id (a file or pasted)."))
        data["external_ids"] = ids
        return data


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_builtin", "member_count", "member_count_at", "updated_at"]
    list_filter = ["kind", "is_builtin"]
    search_fields = ["name", "description"]
    readonly_fields = [
        "member_count",
        "member_count_at",
        "preview",
        "campaign_link",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fields = [
        "name",
        "description",
        "kind",
        "rule",
        "recommended_action",
        "campaign_link",
        "preview",
        "member_count",
        "member_count_at",
        "is_builtin",
        "created_by",
        "created_at",
        "updated_at",
    ]

    change_list_template = "admin/analytics/segment/change_list.html"

    def get_urls(self):
        extra = [
            path(
                "upload-list/",
                self.admin_site.admin_view(self.upload_list_view),
                name="analytics_segment_upload_list",
            )
        ]
        return extra + super().get_urls()

    def upload_list_view(self, request):
        """An uploaded list of customers as a static segment (a campaign audience)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ListUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            segment, missing = segment_create_from_list(
                name=form.cleaned_data["name"],
                external_ids=form.cleaned_data["external_ids"],
                created_by=request.user,
            )
            text = _("%(count)s customers in the new segment %(name)s.") % {
                "count": segment.member_count, "name": segment.name,
            }  # fmt: skip
            if missing:
                shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
                text += " " + _("%(n)s ids matched no customer: %(ids)s") % {
                    "n": len(missing), "ids": shown,
                }  # fmt: skip
            self.message_user(request, text, messages.WARNING if missing else messages.SUCCESS)
            return redirect("admin:analytics_segment_change", segment.pk)
        return TemplateResponse(
            request,
            "admin/analytics/segment/upload_list.html",
            {**self.admin_site.each_context(request), "title": _("Upload a list"),
             "opts": self.model._meta, "form": form},
        )  # fmt: skip

    @admin.display(description=_("act on it"))
    def campaign_link(self, segment):
        if not segment.pk:
            return "–"
        # By URL name only: the campaigns app builds the draft (analytics imports nothing
        # of campaigns).
        url = reverse("admin:campaigns_campaign_from_segment", args=[segment.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Create a campaign"))

    @admin.display(description=_("preview"))
    def preview(self, segment):
        if not segment.pk:
            return _("Save to see how many customers the rule selects.")
        try:
            result = segment_rule_preview(rule=segment.rule, sample_size=10)
        except RuleError as exc:
            return str(exc)
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:customers_customer_change", args=[row["id"]]),
                    row["external_id"],
                    row["name"],
                    row["score__rfm_segment"] or "–",
                    row["score__monetary"] if row["score__monetary"] is not None else "–",
                )
                for row in result.sample
            ),
        )
        return format_html(
            "<p>{} customers now, for example:</p><table>{}</table>", result.count, rows
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if obj.kind == Segment.Kind.STATIC:
            count = segment_snapshot(segment=obj)
            self.message_user(request, f"Snapshot taken: {count} members.", messages.SUCCESS)
        else:
            segment_refresh_count(segment=obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "rule":
            field.help_text = format_html(
                "JSON, e.g. <code>{}</code>. See docs/analytics.md.",
                json.dumps(
                    {
                        "all": [
                            {"field": "r_score", "op": ">=", "value": 4},
                            {"field": "tags", "op": "has", "value": "price-sensitive"},
                        ]
                    }
                ),
            )
        return field


@admin.register(SegmentMember)
class SegmentMemberAdmin(BigTableAdmin):
    list_display = ["segment", "customer", "added_at"]
    list_filter = ["segment"]
    list_select_related = ["segment", "customer"]
    autocomplete_fields = ["segment", "customer"]
    search_fields = ["=customer__external_id", "segment__name"]


@admin.register(DailyKPI)
class DailyKPIAdmin(ComputedAdmin):
    list_display = ["date", "metric", "dimension", "dimension_value", "value"]
    list_filter = ["metric", "dimension"]
    search_fields = ["=metric", "=dimension_value"]
    date_hierarchy = "date"


@admin.register(ProductAffinity)
class ProductAffinityAdmin(ComputedAdmin):
    list_display = [
        "product_a",
        "product_b",
        "pair_count",
        "support",
        "confidence",
        "lift",
        "computed_at",
    ]
    list_select_related = ["product_a", "product_b"]
    search_fields = ["product_a__name", "product_b__name"]
    ordering = ["-lift"]


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ["metric", "period_start", "period_end", "target", "owner_user", "owner_team"]
    list_filter = ["metric", "owner_team"]
    list_select_related = ["owner_user", "owner_team"]
    autocomplete_fields = ["owner_user", "owner_team"]


@admin.register(Recommendation)
class RecommendationAdmin(ComputedAdmin):
    list_display = ["customer", "rank", "product", "score", "computed_at"]
    list_select_related = ["customer", "product"]
    search_fields = ["=customer__external_id"]


@admin.register(ProductForecast)
class ProductForecastAdmin(ComputedAdmin):
    list_display = ["product", "week_start", "units", "computed_at"]
    list_select_related = ["product"]
    search_fields = ["product__name", "=product__code"]
    date_hierarchy = "week_start"


@admin.register(ForecastAccuracy)
class ForecastAccuracyAdmin(ComputedAdmin):
    list_display = ["product", "mape", "wape", "actual_units", "weeks_of_history", "computed_at"]
    list_select_related = ["product"]
    search_fields = ["product__name", "=product__code"]


@admin.register(ProductSales)
class ProductSalesAdmin(ComputedAdmin):
    list_display = [
        "date",
        "product",
        "channel",
        "units",
        "orders",
        "revenue",
        "cost",
        "returned_units",
    ]
    list_filter = ["channel"]
    list_select_related = ["product", "channel"]
    search_fields = ["=product__code", "product__name"]
    date_hierarchy = "date"


@admin.register(ProductReviews)
class ProductReviewsAdmin(ComputedAdmin):
    list_display = ["date", "product", "reviews", "positive_reviews"]
    list_select_related = ["product"]
    search_fields = ["=product__code", "product__name"]
    date_hierarchy = "date"


@admin.register(ActivityCell)
class ActivityCellAdmin(ComputedAdmin):
    list_display = ["date", "hour", "category", "events", "orders"]
    list_filter = ["hour"]
    list_select_related = ["category"]
    date_hierarchy = "date"


@admin.register(Cohort)
class CohortAdmin(ComputedAdmin):
    list_display = ["month", "channel", "customers", "matured_30d", "repurchased_30d"]
    list_filter = ["channel"]
    list_select_related = ["channel"]


@admin.register(CohortCell)
class CohortCellAdmin(ComputedAdmin):
    list_display = ["month", "channel", "months_since", "customers", "orders", "revenue"]
    list_filter = ["channel", "months_since"]
    list_select_related = ["channel"]
    exclude = ["intervals"]


@admin.register(CohortDay)
class CohortDayAdmin(ComputedAdmin):
    list_display = ["date", "month", "channel", "customers", "orders", "revenue"]
    list_filter = ["channel"]
    list_select_related = ["channel"]
    date_hierarchy = "date"
    exclude = ["intervals"]


@admin.register(CustomerRecency)
class CustomerRecencyAdmin(ComputedAdmin):
    list_display = ["date"]
    date_hierarchy = "date"


@admin.register(SkuSales)
class SkuSalesAdmin(ComputedAdmin):
    list_display = ["date", "sku", "units", "cost"]
    list_select_related = ["sku"]
    search_fields = ["=sku__code"]
    date_hierarchy = "date"


@admin.register(InventorySnapshot)
class InventorySnapshotAdmin(ComputedAdmin):
    list_display = [
        "date", "sku", "stock", "daily_units", "days_of_cover", "low_stock", "slow_mover", "last_sale",
    ]  # fmt: skip
    list_filter = ["low_stock", "slow_mover"]
    list_select_related = ["sku"]
    search_fields = ["=sku__code"]
    date_hierarchy = "date"


from analytics import admin_runs  # noqa: E402,F401  (registers AnalyticsRun)
