import uuid

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from customers.models import (
    AuditEntry,
    CommunityGroup,
    Customer,
    CustomerTag,
    GroupMembership,
    MembershipTier,
    PointsEntry,
    Tag,
    TierChange,
)
from customers.pii import can_view_pii, masked_value
from customers.services import (
    customers_mark_koc,
    group_members_add,
    group_members_remove,
    points_adjust,
)
from ecomops.admin_actions import AuditedAdmin, form_action
from ecomops.admin_tools import BigTableAdmin, ReadOnlyBigTableAdmin

RECENT_ROWS = 20


class PointsAdjustForm(forms.Form):
    delta = forms.IntegerField(label=_("points (+ to add, − to remove)"))
    note = forms.CharField(label=_("reason"), max_length=255)


class GroupForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=CommunityGroup.objects.filter(active=True), label=_("group")
    )


@admin.register(MembershipTier)
class MembershipTierAdmin(AuditedAdmin):
    list_display = [
        "name",
        "rank",
        "qualify_by",
        "min_spend_12m",
        "min_points",
        "points_multiplier",
        "members",
    ]
    ordering = ["rank"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("customers"))

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, tier):
        return tier.member_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "description", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]


class CustomerTagInline(admin.TabularInline):
    model = CustomerTag
    extra = 0
    autocomplete_fields = ["tag"]
    fields = ["tag", "source", "assigned_at"]


class MembershipInline(admin.TabularInline):
    model = GroupMembership
    extra = 0
    fk_name = "customer"
    autocomplete_fields = ["group"]
    fields = ["group", "role", "joined_at", "left_at"]


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin, BigTableAdmin):
    actions = ["adjust_points", "add_to_group", "remove_from_group", "mark_koc"]
    list_display = [
        "external_id",
        "name",
        "email",
        "phone",
        "city",
        "tier",
        "points_balance",
        "is_koc",
        "marketing_opt_in",
        "registered_at",
    ]
    list_filter = ["tier", "gender", "is_koc", "marketing_opt_in", "acquisition_channel"]
    list_select_related = ["tier"]
    search_fields = ["=external_id", "name", "email", "phone"]
    date_hierarchy = "registered_at"
    autocomplete_fields = ["referred_by"]
    readonly_fields = [
        "points_balance",
        "created_at",
        "updated_at",
        "score_summary",
        "audit_trail",
        "recent_orders",
        "ledger",
    ]
    inlines = [CustomerTagInline, MembershipInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "external_id",
                    "name",
                    "gender",
                    "city",
                    "region",
                    "registered_at",
                    "acquisition_channel",
                ]
            },
        ),
        (_("Contact (PII)"), {"fields": ["email", "phone", "birthday"]}),
        (
            _("Membership"),
            {
                "fields": [
                    "tier",
                    "tier_since",
                    "points_balance",
                    "is_koc",
                    "referred_by",
                    "marketing_opt_in",
                ]
            },
        ),
        (_("Analytics"), {"fields": ["score_summary", "recent_orders", "ledger"]}),
        (_("History"), {"fields": ["audit_trail"]}),
        (_("Notes"), {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    # --- PII: masked and read-only for users without customers.view_pii -------------

    def get_list_display(self, request):
        if can_view_pii(request.user):
            return self.list_display
        return [f"{f}_masked" if f in Customer.PII_FIELDS else f for f in self.list_display]

    def get_search_fields(self, request):
        if can_view_pii(request.user):
            return self.search_fields
        return [f for f in self.search_fields if f not in Customer.PII_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_view_pii(request.user):
            fields += [f"{name}_masked" for name in Customer.PII_FIELDS]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if can_view_pii(request.user):
            return fieldsets
        masked = [f"{name}_masked" for name in Customer.PII_FIELDS]
        return [
            (title, {**opts, "fields": masked if title == _("Contact (PII)") else opts["fields"]})
            for title, opts in fieldsets
        ]

    @admin.display(description=_("email"))
    def email_masked(self, customer):
        return masked_value("email", customer.email)

    @admin.display(description=_("phone"))
    def phone_masked(self, customer):
        return masked_value("phone", customer.phone)

    @admin.display(description=_("birthday"))
    def birthday_masked(self, customer):
        return masked_value("birthday", customer.birthday)

    # --- bounded summaries instead of unbounded inlines ---------------------------------

    @admin.display(description=_("scores"))
    def score_summary(self, customer):
        score = getattr(customer, "score", None) if customer.pk else None
        if score is None:
            return _("not scored yet (run compute_analytics)")
        return format_html(
            "R{} F{} M{} · {} · {} · {} days since last order · historical value {} · "
            "predicted 90-day value {} · p(alive) {}",
            score.r_score or "–",
            score.f_score or "–",
            score.m_score or "–",
            score.get_rfm_segment_display() or "–",
            score.get_lifecycle_stage_display(),
            score.recency_days if score.recency_days is not None else "–",
            score.historical_value,
            score.predicted_value_90d if score.predicted_value_90d is not None else "–",
            f"{score.p_alive:.2f}" if score.p_alive is not None else "–",
        )

    @admin.display(description=_("recent orders"))
    def recent_orders(self, customer):
        if not customer.pk:
            return "–"
        orders = customer.orders.order_by("-created_at")[:RECENT_ROWS]
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td style="text-align:right">{}</td></tr>',
            (
                (
                    reverse("admin:catalog_order_change", args=[o.pk]),
                    o.external_id,
                    o.created_at.date(),
                    o.get_status_display(),
                    o.paid_total,
                )
                for o in orders
            ),
        )
        link = reverse("admin:catalog_order_changelist") + f"?customer__id__exact={customer.pk}"
        return format_html('<table>{}</table><a href="{}">{}</a>', rows, link, _("all orders"))

    @admin.display(description=_("points ledger (latest)"))
    def ledger(self, customer):
        if not customer.pk:
            return "–"
        entries = customer.points_entries.order_by("-created_at", "-id")[:RECENT_ROWS]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td style='text-align:right'>{}</td><td style='text-align:right'>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.created_at.date(),
                    f"{e.delta:+d}",
                    e.balance_after,
                    e.get_reason_display(),
                    e.reference,
                )
                for e in entries
            ),
        )
        link = (
            reverse("admin:customers_pointsentry_changelist")
            + f"?customer__id__exact={customer.pk}"
        )
        return format_html('<table>{}</table><a href="{}">{}</a>', rows, link, _("whole ledger"))

    @admin.display(description=_("audit trail (latest)"))
    def audit_trail(self, customer):
        if not customer.pk:
            return "–"
        entries = customer.audit_entries.order_by("-at", "-id")[:RECENT_ROWS]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td></tr>",
            (
                (
                    timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                    e.actor_label,
                    e.action,
                    e.object_repr,
                    e.before or "",
                    e.after or "",
                )
                for e in entries
            ),
        )
        link = (
            reverse("admin:customers_auditentry_changelist") + f"?customer__id__exact={customer.pk}"
        )
        return format_html('<table>{}</table><a href="{}">{}</a>', rows, link, _("all changes"))

    # --- actions (they call the services) ----------------------------------------------

    @form_action(
        description=_("Adjust points (with a reason)"),
        form_class=PointsAdjustForm,
        explanation=_("Each selected customer's balance moves by the same number of points."),
    )
    def adjust_points(self, request, queryset, data):
        batch = uuid.uuid4().hex[:12]
        done = [
            points_adjust(
                customer=customer,
                delta=data["delta"],
                note=data["note"],
                created_by=request.user,
                idempotency_key=f"admin:{batch}:{customer.pk}",
            )
            for customer in queryset
        ]
        return f"points adjusted by {data['delta']:+d} for {len(done)} customers"

    @form_action(
        description=_("Add to a community group"),
        form_class=GroupForm,
        explanation=_("Customers already in the group stay; nobody is added past its capacity."),
    )
    def add_to_group(self, request, queryset, data):
        result = group_members_add(group=data["group"], customers=queryset, by=request.user)
        return (
            f"{result['added']} added to {data['group']}, {result['already']} already members, "
            f"{result['full']} not added (the group is full)"
        )

    @form_action(
        description=_("Remove from a community group"),
        form_class=GroupForm,
        destructive=True,
    )
    def remove_from_group(self, request, queryset, data):
        removed = group_members_remove(group=data["group"], customers=queryset, by=request.user)
        return f"{removed} removed from {data['group']}"

    @form_action(description=_("Mark as KOC"))
    def mark_koc(self, request, queryset, data):
        return f"{customers_mark_koc(customers=queryset, by=request.user)} customers marked as KOC"


@admin.register(CustomerTag)
class CustomerTagAdmin(BigTableAdmin):
    list_display = ["customer", "tag", "source", "assigned_at"]
    list_filter = ["source", "tag"]
    list_select_related = ["customer", "tag"]
    autocomplete_fields = ["customer", "tag"]
    search_fields = ["=customer__external_id", "tag__name"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyBigTableAdmin):
    """The ledger is append-only: rows are written by the points services, never edited."""

    list_display = [
        "created_at",
        "customer",
        "delta",
        "balance_after",
        "reason",
        "reference",
        "created_by",
    ]
    list_filter = ["reason"]
    list_select_related = ["customer", "created_by"]
    search_fields = ["=customer__external_id", "=reference", "=idempotency_key"]
    date_hierarchy = "created_at"


class GroupMembershipInline(admin.TabularInline):
    """Members of a group, read-only here (a group holds up to its capacity, hundreds of
    rows): each row links to its membership, where role and leaving are edited."""

    model = GroupMembership
    extra = 0
    can_delete = False
    fields = readonly_fields = ["customer", "role", "joined_at", "left_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")


@admin.register(CommunityGroup)
class CommunityGroupAdmin(AuditedAdmin):
    list_display = [
        "name",
        "kind",
        "platform",
        "capacity",
        "active_members",
        "kocs",
        "owner",
        "active",
    ]
    list_filter = ["kind", "platform", "active"]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]
    inlines = [GroupMembershipInline]

    def get_queryset(self, request):
        active = Q(memberships__left_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .select_related("owner")
            .annotate(
                active_count=Count("memberships", filter=active),
                koc_count=Count("memberships", filter=active & Q(memberships__role="koc")),
            )
        )

    @admin.display(description=_("members"), ordering="active_count")
    def active_members(self, group):
        return group.active_count

    @admin.display(description="KOCs", ordering="koc_count")
    def kocs(self, group):
        return group.koc_count


@admin.register(GroupMembership)
class GroupMembershipAdmin(AuditedAdmin, BigTableAdmin):
    list_display = ["customer", "group", "role", "joined_at", "left_at"]
    list_filter = ["group", "role"]
    list_select_related = ["customer", "group"]
    autocomplete_fields = ["customer", "group"]
    search_fields = ["=customer__external_id", "group__name"]


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyBigTableAdmin):
    """Tier history: written by the tier services, never edited."""

    list_display = ["changed_at", "customer", "from_tier", "to_tier", "reason", "spend_12m"]
    list_filter = ["reason", "to_tier"]
    list_select_related = ["customer", "from_tier", "to_tier"]
    search_fields = ["=customer__external_id"]
    date_hierarchy = "changed_at"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyBigTableAdmin):
    """The audit trail: read-only, written by the services and the admin's own saves."""

    list_display = [
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "customer",
        "before",
        "after",
    ]
    list_filter = ["action", "object_type"]
    list_select_related = ["customer"]
    search_fields = ["=object_id", "=customer__external_id", "actor_label"]
    date_hierarchy = "at"
