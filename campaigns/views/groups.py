"""``/groups/``: the community groups (私域社群) over a period — members against capacity,
KOCs, joins and leaves, what members bought and how the exclusive offers were used;
``/groups/<id>/``: one group, its daily joins and leaves, its members and offers.

The numbers come from :func:`campaigns.selectors.group_reports` (one definition with the
admin and the API). Channel and category do not apply to groups: only the dates filter.
Ops actions (mark a member as KOC, remove a member) go through the customers services;
the buttons are hidden, and a POST answers 403, without the permission.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from analytics.loaders import day_end, day_start
from analytics.pages import Chart, Column, ReportPage, Table, series
from analytics.selectors import ReportFilter
from campaigns.models import CouponTemplate
from campaigns.people import group_flow, group_members
from campaigns.selectors import group_report, group_reports
from customers.models import CommunityGroup, Customer
from customers.services import customers_mark_koc, group_members_remove

GROUP_PERMISSION = "customers.view_communitygroup"
KOC_PERMISSION = "customers.change_customer"
REMOVE_PERMISSION = "customers.change_groupmembership"
MEMBERS_PER_PAGE = 50
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    # SQLite sums decimals without their scale (240 for 240.00): exports show cents.
    return Decimal(value).quantize(CENT)


def _fill(members: int, capacity: int) -> float:
    return members / capacity if capacity else float("nan")


class GroupListPage(ReportPage):
    template_name = "campaigns/group_list.html"
    permission_required = GROUP_PERMISSION
    filter_fields = ()
    title = _("Community groups")

    def report(self, f: ReportFilter) -> dict:
        groups = list(CommunityGroup.objects.select_related("owner").order_by("name"))
        reports = group_reports(groups, start=day_start(f.start), end=day_end(f.end))
        rows = []
        for group in groups:
            r = reports[group.pk]
            rows.append(
                {
                    "url": reverse("campaigns:group-detail", args=[group.pk]),
                    "name": group.name,
                    "kind": group.get_kind_display(),
                    "platform": group.get_platform_display(),
                    "active": str(_("yes") if group.active else _("no")),
                    "members": r.members,
                    "capacity": group.capacity,
                    "fill": _fill(r.members, group.capacity),
                    "kocs": r.kocs,
                    "joined": r.joined,
                    "left": r.left,
                    "buyers": r.active_buyers,
                    "buyer_share": r.active_buyers / r.members if r.members else float("nan"),
                    "orders": r.orders,
                    "revenue": _money(r.revenue),
                    "redemptions": r.redemptions,
                    "exclusive_discount": _money(r.exclusive_discount),
                }
            )
        table = Table(
            "groups",
            _("Groups in the period"),
            [
                Column("name", _("Group"), "link"),
                Column("kind", _("Kind")),
                Column("platform", _("Platform")),
                Column("active", _("Active")),
                Column("members", _("Members at the end"), "int"),
                Column("capacity", _("Capacity"), "int"),
                Column("fill", _("Filled"), "percent"),
                Column("kocs", _("KOCs"), "int"),
                Column("joined", _("Joined"), "int"),
                Column("left", _("Left"), "int"),
                Column("buyers", _("Members who bought"), "int"),
                Column("buyer_share", _("Share who bought"), "percent"),
                Column("orders", _("Orders"), "int"),
                Column("revenue", _("Net revenue"), "money"),
                Column("redemptions", _("Exclusive offers used"), "int"),
                Column("exclusive_discount", _("Exclusive discount given"), "money"),
            ],
            rows,
            empty=_("No community group yet: create one in the admin, then add members."),
        )
        labels = [r["name"] for r in rows]
        charts = [
            Chart(
                _("Net revenue from members by group"),
                "bar",
                labels,
                [{"label": str(_("Net revenue")), "data": series(r["revenue"] for r in rows)}],
                table=str(table.title),
            ),
            Chart(
                _("Joined and left by group"),
                "bar",
                labels,
                [
                    {"label": str(_("Joined")), "data": [r["joined"] for r in rows]},
                    {"label": str(_("Left")), "data": [r["left"] for r in rows]},
                ],
                table=str(table.title),
            ),
        ]
        return {"tables": [table], "charts": charts if rows else [], "groups": groups}


class GroupDetailPage(ReportPage):
    template_name = "campaigns/group_detail.html"
    permission_required = GROUP_PERMISSION
    filter_fields = ()

    def get_group(self) -> CommunityGroup:
        return get_object_or_404(
            CommunityGroup.objects.select_related("owner"), pk=self.kwargs["pk"]
        )

    def report(self, f: ReportFilter) -> dict:
        group = self.get_group()
        r = group_report(group, start=day_start(f.start), end=day_end(f.end))
        flow = group_flow(group, start=f.start, end=f.end)
        flow_table = Table(
            "flow",
            _("Joins and leaves per day"),
            [
                Column("date", _("Date"), "date"),
                Column("joined", _("Joined"), "int"),
                Column("left", _("Left"), "int"),
            ],
            flow if any(d["joined"] or d["left"] for d in flow) else [],
            empty=_("Nobody joined or left in this period."),
        )
        members = group_members(group)
        page = Paginator(members, MEMBERS_PER_PAGE).get_page(self.request.GET.get("page"))
        members_table = Table(
            "members",
            _("Members"),
            [
                Column("external_id", _("External id")),
                Column("name", _("Name"), "link"),
                Column("email", _("E-mail"), pii="email"),
                Column("phone", _("Phone"), pii="phone"),
                Column("role", _("Role")),
                Column("koc", _("KOC")),
                Column("joined_at", _("Joined"), "date"),
                Column("tier", _("Tier")),
                Column("points", _("Points"), "int"),
                Column("lifecycle", _("Lifecycle stage")),
            ],
            # the export holds every member (at most the group's capacity); the page one page
            _member_rows(members if self.request.GET.get("export") == "members" else page),
            empty=_("No member yet: add customers from their page or from the admin."),
        )
        offers = Table(
            "offers",
            _("Exclusive offers"),
            [
                Column("name", _("Offer")),
                Column("kind", _("Type")),
                Column("value", _("Value"), "money"),
                Column("min_spend", _("Minimum spend"), "money"),
                Column("used", _("Used (all time)"), "int"),
                Column("discount", _("Discount given (all time)"), "money"),
                Column("active", _("Active")),
            ],
            [
                {
                    "name": t.name,
                    "kind": t.get_kind_display(),
                    "value": t.value,
                    "min_spend": t.min_spend,
                    "used": t.used_count,
                    "discount": t.discount_given,
                    "active": str(_("yes") if t.active else _("no")),
                }
                for t in CouponTemplate.objects.filter(group=group).order_by("name")
            ],
            empty=_("No exclusive offer: create a coupon template limited to this group."),
        )
        chart = Chart(
            _("Joins and leaves per day"),
            "bar",
            [d["date"] for d in flow],
            [
                {"label": str(_("Joined")), "data": [d["joined"] for d in flow]},
                {"label": str(_("Left")), "data": [-d["left"] for d in flow]},
            ],
            options={"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
            table=str(flow_table.title),
        )
        user = self.request.user
        return {
            "title": group.name,
            "group": group,
            "report": r,
            "fill": _fill(r.members, group.capacity),
            "page": page,
            "members_table": members_table,
            "tables": [members_table, flow_table, offers],
            "charts": [chart] if flow_table.rows else [],
            # The report counts the KOC role in the group; the customers' own KOC flag
            # (what "Mark as KOC" sets) is counted apart so both are visible.
            "flagged_kocs": members.filter(customer__is_koc=True).count(),
            "can_mark_koc": user.has_perm(KOC_PERMISSION),
            "can_remove_member": user.has_perm(REMOVE_PERMISSION),
        }

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        permissions = {
            "mark_koc": KOC_PERMISSION,
            "unmark_koc": KOC_PERMISSION,
            "remove": REMOVE_PERMISSION,
        }
        if action not in permissions:
            return redirect(request.get_full_path())
        if not request.user.has_perm(permissions[action]):
            raise PermissionDenied
        group = self.get_group()
        try:
            customer = Customer.objects.get(pk=int(request.POST.get("customer", "")))
        except (ValueError, Customer.DoesNotExist) as exc:
            raise Http404(_("No such customer.")) from exc
        who = {"name": customer.name or customer.external_id, "group": group.name}
        if action == "remove":
            if group_members_remove(group=group, customers=[customer], by=request.user):
                messages.success(request, _("%(name)s removed from %(group)s.") % who)
            else:
                messages.info(request, _("%(name)s is not a member of %(group)s.") % who)
        else:
            customers_mark_koc(customers=[customer], is_koc=action == "mark_koc", by=request.user)
            if action == "mark_koc":
                messages.success(request, _("%(name)s is now marked as a KOC.") % who)
            else:
                messages.success(request, _("%(name)s is no longer marked as a KOC.") % who)
        return redirect(request.get_full_path())


def _member_rows(memberships) -> list[dict]:
    rows = []
    for m in memberships:
        c = m.customer
        score = getattr(c, "score", None)
        rows.append(
            {
                "id": c.pk,
                "url": reverse("campaigns:customer-detail", args=[c.pk]),
                "external_id": c.external_id,
                "name": c.name or c.external_id,
                "email": c.email,
                "phone": c.phone,
                "role": m.get_role_display(),
                "is_koc": c.is_koc or m.role == m.Role.KOC,
                "customer_koc": c.is_koc,
                "koc": str(_("yes")) if c.is_koc or m.role == m.Role.KOC else "",
                "joined_at": m.joined_at.date(),
                "tier": c.tier.name if c.tier else "",
                "points": c.points_balance,
                "lifecycle": score.get_lifecycle_stage_display() if score else "",
            }
        )
    return rows
