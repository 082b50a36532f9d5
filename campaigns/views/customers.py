"""``/customers/``: find members; ``/customers/<id>/``: the customer 360 (会员360视图).

PII (e-mail, phone, birthday) is masked, and cannot be searched by, without
``customers.view_pii``. The actions on a customer (adjust points, add to or remove from a
group) are for users holding their permission: the buttons are hidden otherwise and a
POST answers 403. They go through the customers services only.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from analytics.models import LifecycleStage, RfmClass, RfmSegment
from analytics.pages import PII_PERMISSION, Chart, Column, Page, Table, csv_response, series
from campaigns import people
from customers.errors import ServiceError
from customers.models import CommunityGroup, Customer, MembershipTier, Tag
from customers.selectors import customers_label
from customers.services import group_members_add, group_members_remove, points_adjust

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000  # rows of one CSV export of the member list
TIMELINE_LIMIT = 20  # rows read per timeline source

POINTS_PERMISSION = "customers.add_pointsentry"
GROUP_ADD_PERMISSION = "customers.add_groupmembership"
GROUP_REMOVE_PERMISSION = "customers.change_groupmembership"


def _choices(choices, empty):
    return [("", empty), *choices]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    tier = forms.ModelChoiceField(
        label=_("Tier"), queryset=MembershipTier.objects.all(), required=False,
        empty_label=_("All tiers"),
    )  # fmt: skip
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle stage"), required=False,
        choices=_choices(LifecycleStage.choices, _("All stages")),
    )  # fmt: skip
    segment = forms.ChoiceField(
        label=_("RFM segment"), required=False,
        choices=_choices(RfmSegment.choices, _("All segments")),
    )  # fmt: skip
    rfm_class = forms.ChoiceField(
        label=_("RFM class"), required=False,
        choices=_choices(RfmClass.choices, _("All classes")),
    )  # fmt: skip
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.order_by("name"), required=False,
        empty_label=_("All tags"),
    )  # fmt: skip
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=CommunityGroup.objects.order_by("name"), required=False,
        empty_label=_("All groups"),
    )  # fmt: skip

    def __init__(self, data=None, *, with_pii: bool):
        super().__init__(data)
        self.fields["q"].widget.attrs["placeholder"] = (
            _("Name, external id, e-mail or phone") if with_pii else _("Name or external id")
        )
        self.fields["q"].widget.attrs["type"] = "search"

    def query(self) -> people.CustomerQuery:
        """The query the form describes; invalid fields are left out (their errors show)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return people.CustomerQuery(
            term=data.get("q") or "",
            tier=data["tier"].pk if data.get("tier") else None,
            lifecycle=data.get("lifecycle") or "",
            segment=data.get("segment") or "",
            rfm_class=data.get("rfm_class") or "",
            tag=data["tag"].pk if data.get("tag") else None,
            group=data["group"].pk if data.get("group") else None,
        )


def _score_labels(customer: Customer) -> dict:
    score = getattr(customer, "score", None)
    if score is None:
        return {"lifecycle": "", "segment": "", "last_order": None, "value": None}
    return {
        "lifecycle": score.get_lifecycle_stage_display(),
        "segment": score.get_rfm_segment_display(),
        "last_order": score.last_order_at.date() if score.last_order_at else None,
        "value": score.historical_value,
    }


def customer_row(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "url": reverse("campaigns:customer-detail", args=[customer.pk]),
        "external_id": customer.external_id,
        "name": customer.name or customer.external_id,
        "email": customer.email,
        "phone": customer.phone,
        "tier": customer.tier.name if customer.tier else "",
        "points": customer.points_balance,
        "is_koc": customer.is_koc,
        **_score_labels(customer),
    }


CUSTOMER_COLUMNS = [
    Column("external_id", _("External id")),
    Column("name", _("Name"), "link"),
    Column("email", _("E-mail"), pii="email"),
    Column("phone", _("Phone"), pii="phone"),
    Column("tier", _("Tier")),
    Column("points", _("Points"), "int"),
    Column("lifecycle", _("Lifecycle stage")),
    Column("segment", _("RFM segment")),
    Column("last_order", _("Last order"), "date"),
    Column("value", _("Historical value"), "money"),
]


class CustomerListPage(Page):
    template_name = "campaigns/customer_list.html"
    permission_required = "customers.view_customer"
    title = _("Members")

    def get(self, request, *args, **kwargs):
        with_pii = request.user.has_perm(PII_PERMISSION)
        form = CustomerFilterForm(request.GET or None, with_pii=with_pii)
        customers = people.customer_directory(form.query(), with_pii=with_pii)
        if request.GET.get("export") == "customers":
            table = Table(
                "customers",
                _("Members"),
                CUSTOMER_COLUMNS,
                (customer_row(c) for c in customers[:EXPORT_LIMIT].iterator(chunk_size=2000)),
            )
            return csv_response(table, filename="members.csv", mask=not with_pii)
        page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [customer_row(c) for c in page.object_list]
        customers_label(rows)
        filtered = any(v for k, v in request.GET.items() if k != "page")
        context = self.get_context_data(
            form=form,
            page=page,
            rows=rows,
            columns=CUSTOMER_COLUMNS,
            filtered=filtered,
            export_limit=EXPORT_LIMIT,
            has_customers=filtered or bool(rows) or Customer.objects.exists(),
            with_pii=with_pii,
        )
        return self.render_to_response(context)


# --- The customer 360 ---------------------------------------------------------------------


class PointsForm(forms.Form):
    delta = forms.IntegerField(
        label=_("Points (+ to add, − to remove)"), min_value=-1_000_000, max_value=1_000_000
    )
    note = forms.CharField(label=_("Reason"), max_length=255)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("An adjustment of 0 points changes nothing."))
        return delta


class GroupChoiceForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=CommunityGroup.objects.filter(active=True).order_by("name")
    )


OUTCOMES = {
    "control": _("held out (control): no offer"),
    "control_converted": _("held out (control), ordered in the window anyway"),
    "pending": _("not contacted yet"),
    "redeemed": _("redeemed the coupon"),
    "converted": _("ordered in the window without the coupon"),
    "open": _("no order yet (window still open)"),
    "no_order": _("no order in the window"),
}
OUTCOME_BADGES = {"redeemed": "good", "converted": "good", "no_order": "bad", "open": "warn"}

TIMELINE_KINDS = {
    "order": _("Order"),
    "event": _("Behaviour"),
    "coupon": _("Coupon issued"),
    "redemption": _("Coupon redeemed"),
    "points": _("Points"),
    "group_join": _("Joined group"),
    "group_leave": _("Left group"),
    "tier": _("Tier change"),
}


def _campaign_url(pk: int) -> str:
    return reverse("campaigns:campaign-detail", args=[pk])


class CustomerDetailPage(Page):
    template_name = "campaigns/customer_detail.html"
    permission_required = "customers.view_customer"

    def _customer(self) -> people.Customer360:
        try:
            return people.customer_360(self.kwargs["pk"], limit=TIMELINE_LIMIT)
        except Customer.DoesNotExist as exc:
            raise Http404(_("No such customer.")) from exc

    def _permissions(self) -> dict:
        user = self.request.user
        return {
            "can_adjust_points": user.has_perm(POINTS_PERMISSION),
            "can_add_to_group": user.has_perm(GROUP_ADD_PERMISSION),
            "can_remove_from_group": user.has_perm(GROUP_REMOVE_PERMISSION),
        }

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.page_context())

    def page_context(self, points_form=None, group_form=None) -> dict:
        view = self._customer()
        customer = view.customer
        perms = self._permissions()
        active_ids = {m.group_id for m in view.memberships}
        group_form = group_form or GroupChoiceForm()
        group_form.fields["group"].queryset = group_form.fields["group"].queryset.exclude(
            pk__in=active_ids
        )
        tables = self._tables(view)
        export = self.request.GET.get("export")
        if export:
            table = next((t for t in tables if t.name == export), None)
            if table is None:
                raise Http404(f"this page has no table {export!r}")
            return {"export": table}
        score = getattr(customer, "score", None)
        return self.get_context_data(
            title=customer.name or customer.external_id,
            view=view,
            customer=customer,
            score=score,
            churn_risk=(1 - score.p_alive) if score and score.p_alive is not None else None,
            timeline=[{"entry": e, "kind_label": TIMELINE_KINDS[e.kind]} for e in view.timeline],
            campaigns=[
                {
                    **row,
                    "url": _campaign_url(row["campaign"].pk),
                    "outcome_label": OUTCOMES[row["outcome"]],
                    "badge": OUTCOME_BADGES.get(row["outcome"], ""),
                }
                for row in view.campaigns
            ],
            tables=tables,
            charts=self._charts(tables[0]),
            points_form=points_form or PointsForm(initial={"key": uuid.uuid4().hex}),
            group_form=group_form,
            timeline_limit=TIMELINE_LIMIT,
            **perms,
        )

    def render_to_response(self, context, **response_kwargs):
        if "export" in context:
            table = context["export"]
            mask = not self.request.user.has_perm(PII_PERMISSION)
            name = f"customer-{self.kwargs['pk']}-{table.name}.csv"
            return csv_response(table, filename=name, mask=mask)
        return super().render_to_response(context, **response_kwargs)

    @staticmethod
    def _charts(orders: Table) -> list[Chart]:
        if not orders.rows:
            return []
        rows = orders.rows[::-1]  # oldest first, left to right
        return [
            Chart(
                _("Latest orders: amount paid"),
                "bar",
                [f"{r['created_at']:%Y-%m-%d} {r['external_id']}" for r in rows],
                [{"label": str(_("Paid")), "data": series(r["paid_total"] for r in rows)}],
                table=str(orders.title),
            )
        ]

    @staticmethod
    def _tables(view: people.Customer360) -> list[Table]:
        orders = Table(
            "orders",
            _("Latest orders"),
            [
                Column("external_id", _("Order")),
                Column("created_at", _("Placed"), "date"),
                Column("status", _("Status")),
                Column("channel", _("Channel")),
                Column("paid_total", _("Paid"), "money"),
            ],
            [
                {
                    "external_id": o.external_id,
                    "created_at": o.created_at.date(),
                    "status": o.get_status_display(),
                    "channel": o.channel.name if o.channel else "",
                    "paid_total": o.paid_total,
                }
                for o in view.orders
            ],
            empty=_("No order yet: a first-order coupon from an activation campaign may help."),
        )
        coupons = Table(
            "coupons",
            _("Coupons issued"),
            [
                Column("code", _("Code")),
                Column("template", _("Offer")),
                Column("issued_at", _("Issued"), "date"),
                Column("expires_at", _("Expires"), "date"),
                Column("status", _("Status")),
            ],
            [
                {
                    "code": c.code,
                    "template": c.template.name,
                    "issued_at": c.issued_at.date(),
                    "expires_at": c.expires_at.date() if c.expires_at else None,
                    "status": c.get_status_display(),
                }
                for c in view.coupons
            ],
            empty=_("No coupon issued to this customer."),
        )
        points = Table(
            "points",
            _("Points ledger (latest)"),
            [
                Column("created_at", _("Date"), "date"),
                Column("delta", _("Change"), "int"),
                Column("balance_after", _("Balance after"), "int"),
                Column("reason", _("Reason")),
                Column("note", _("Note")),
            ],
            [
                {
                    "created_at": p.created_at.date(),
                    "delta": p.delta,
                    "balance_after": p.balance_after,
                    "reason": p.get_reason_display(),
                    "note": p.note or p.reference,
                }
                for p in view.points
            ],
            empty=_("No points earned or spent yet."),
        )
        recommendations = Table(
            "recommendations",
            _("Recommended products"),
            [
                Column("rank", _("Rank"), "int"),
                Column("code", _("Code")),
                Column("name", _("Product")),
                Column("score", _("Score"), "number"),
            ],
            view.recommendations,
            empty=_("No recommendation stored: recompute the analytics to fill them."),
        )
        return [orders, coupons, points, recommendations]

    # --- actions ------------------------------------------------------------------------

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        handlers = {
            "points": (POINTS_PERMISSION, self._adjust_points),
            "group_add": (GROUP_ADD_PERMISSION, self._add_to_group),
            "group_remove": (GROUP_REMOVE_PERMISSION, self._remove_from_group),
        }
        if action not in handlers:
            return self._back()
        permission, handler = handlers[action]
        if not request.user.has_perm(permission):
            raise PermissionDenied
        if not Customer.objects.filter(pk=kwargs["pk"]).exists():
            raise Http404(_("No such customer."))
        return handler(request, kwargs["pk"])

    def _back(self):
        return redirect("campaigns:customer-detail", pk=self.kwargs["pk"])

    def _adjust_points(self, request, pk):
        form = PointsForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.page_context(points_form=form), status=400)
        try:
            entry = points_adjust(
                customer=pk,
                delta=form.cleaned_data["delta"],
                note=form.cleaned_data["note"],
                created_by=request.user,
                idempotency_key=f"page:{form.cleaned_data['key']}",
            )
        except ServiceError as error:
            form.add_error("delta", str(error))
            return self.render_to_response(self.page_context(points_form=form), status=400)
        messages.success(
            request,
            _("Points adjusted by %(delta)+d; the balance is now %(balance)d.")
            % {"delta": entry.delta, "balance": entry.balance_after},
        )
        return self._back()

    def _add_to_group(self, request, pk):
        form = GroupChoiceForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.page_context(group_form=form), status=400)
        group = form.cleaned_data["group"]
        try:
            result = group_members_add(group=group, customers=[pk], by=request.user)
        except ServiceError as error:
            messages.error(request, str(error))
            return self._back()
        if result["added"]:
            messages.success(request, _("Added to %(group)s.") % {"group": group.name})
        elif result["already"]:
            messages.info(request, _("Already a member of %(group)s.") % {"group": group.name})
        else:
            messages.error(
                request, _("%(group)s is full: nobody was added.") % {"group": group.name}
            )
        return self._back()

    def _remove_from_group(self, request, pk):
        try:
            group = CommunityGroup.objects.get(pk=int(request.POST.get("group", "")))
        except (ValueError, CommunityGroup.DoesNotExist) as exc:
            raise Http404(_("No such group.")) from exc
        removed = group_members_remove(group=group, customers=[pk], by=request.user)
        if removed:
            messages.success(request, _("Removed from %(group)s.") % {"group": group.name})
        else:
            messages.info(request, _("Not a member of %(group)s.") % {"group": group.name})
        return self._back()
