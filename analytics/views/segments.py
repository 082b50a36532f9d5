"""``/segments/``: the segment builder (a form over the rule language with a live
preview), the list of segments; ``/segments/<id>/``: a segment's rule, members and CSV.

Writes go through the segment services; the preview answers JSON from
``segment_rule_preview`` (one query) and nothing else, so it stays fast at 100k customers.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views import View

from analytics.models import LifecycleStage, RfmClass, RfmSegment, Segment
from analytics.pages import PII_PERMISSION, Column, Page, StaffAccess, Table, csv_response, plain
from analytics.segment_rules import FIELDS, RuleError
from analytics.selectors import segment_rule_preview
from analytics.selectors.segments import segment_member_rows, segments_for_list
from analytics.services.segments import (
    SegmentError,
    segment_create,
    segment_snapshot,
    segment_update,
)
from analytics.views.base import CAMPAIGN_PERMISSION, campaign_create_url
from customers.models import Customer

VIEW_PERMISSION = "analytics.view_segment"
ADD_PERMISSION = "analytics.add_segment"
CHANGE_PERMISSION = "analytics.change_segment"
MEMBERS_PER_PAGE = 50
MAX_RULE_BYTES = 64 * 1024

OPERATORS = {
    "=": _("is"),
    "!=": _("is not"),
    ">": _("greater than"),
    ">=": _("at least"),
    "<": _("less than"),
    "<=": _("at most"),
    "between": _("between"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "contains": _("contains"),
    "is_null": _("is empty"),
    "has": _("has"),
    "has_not": _("does not have"),
    "has_any": _("has any of"),
    "has_all": _("has all of"),
}
TAKES_DAYS = {"spent": "required", "orders": "required", "bought_category": "optional"}
# The enums behind the rule language's choice fields: their labels are shown, codes sent.
CHOICE_ENUMS = {
    "gender": Customer.Gender,
    "rfm_segment": RfmSegment,
    "rfm_class": RfmClass,
    "lifecycle_stage": LifecycleStage,
}


def choice_label(field: str, code: str | None) -> str:
    """The display label of a choice field's code ("" for none)."""
    if not code:
        return ""
    enum = CHOICE_ENUMS.get(field)
    return str(dict(enum.choices).get(code, code)) if enum else code


def rule_language() -> dict:
    """The rule language's fields as the builder script takes them (from
    ``segment_rules.FIELDS``, so a new field shows up in the builder by itself)."""
    return {
        "fields": [
            {
                "name": name,
                "label": str(field.label or name),
                "kind": field.kind,
                "ops": list(field.ops),
                "choices": [[c, choice_label(name, c)] for c in field.choices],
                "days": TAKES_DAYS.get(name, ""),
            }
            for name, field in FIELDS.items()
        ],
        "operators": {op: str(label) for op, label in OPERATORS.items()},
        "text": {
            "all": gettext_now("all of"),
            "any": gettext_now("any of"),
            "none": gettext_now("none of"),
            "match": gettext_now("Customers matching"),
            "addCondition": gettext_now("+ Condition"),
            "addGroup": gettext_now("+ Group"),
            "remove": gettext_now("Remove"),
            "days": gettext_now("in the last … days"),
            "listHint": gettext_now("separate values with commas"),
            "yes": gettext_now("yes"),
            "no": gettext_now("no"),
            "badJson": gettext_now("Not valid JSON: the builder keeps the last valid rule."),
            "matching": gettext_now("customers match"),
            "loading": gettext_now("Counting…"),
            "failed": gettext_now("The preview could not be loaded; try again."),
            "everyone": gettext_now("An empty rule matches every customer."),
        },
    }


def rule_error_text(rule, error: RuleError) -> str:
    """The rule error with the field it is about, e.g. ``all[1].value (tier): expected…``."""
    node = rule
    for part in error.path.replace("]", "").replace("[", ".").split(".") if error.path else ():
        if part in ("field", "op", "value", "days"):
            break
        try:
            node = node[int(part)] if part.isdigit() else node[part]
        except (KeyError, IndexError, TypeError):
            node = None
            break
    field = node.get("field") if isinstance(node, dict) else None
    place = f"{error.path} ({field})" if isinstance(field, str) and field else error.path
    return f"{place}: {error.message}" if place else error.message


def parse_rule(text: str):
    """The JSON rule a form or the preview sent; raises ValueError with a message."""
    if len(text.encode()) > MAX_RULE_BYTES:
        raise ValueError(gettext_now("The rule is too long."))
    try:
        rule = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(
            gettext_now("Not valid JSON (line %(line)s, column %(column)s): %(error)s")
            % {"line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from None
    if not isinstance(rule, dict):
        raise ValueError(gettext_now("A rule must be a JSON object."))
    return rule


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea({"rows": 2})
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Segment.Kind.choices,
        initial=Segment.Kind.DYNAMIC,
        widget=forms.RadioSelect,
        help_text=_(
            "Dynamic: the rule is evaluated whenever the segment is used. Static: the "
            "customers matching now are frozen as its members."
        ),
    )
    rule = forms.CharField(
        label=_("Rule (JSON)"),
        required=False,
        initial='{"all": []}',
        widget=forms.Textarea({"rows": 8, "spellcheck": "false", "data-rule-json": ""}),
    )

    def clean_rule(self):
        try:
            return parse_rule(self.cleaned_data["rule"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def save_errors(self, error: ValidationError) -> None:
        """Put a service's validation errors on the form's fields."""
        for name, messages_ in getattr(error, "message_dict", {"__all__": error.messages}).items():
            field = name if name in self.fields else None
            for message in messages_:
                if field == "rule":
                    message = _("Rule: %(error)s") % {"error": message}
                self.add_error(field, message)


class SegmentListPage(Page):
    """The list of segments and the builder for a new one (POST saves it)."""

    template_name = "analytics/segments.html"
    permission_required = VIEW_PERMISSION
    title = _("Segments")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.setdefault("form", SegmentForm())
        context.update(
            segments=segments_for_list(),
            can_add=user.has_perm(ADD_PERMISSION),
            language=rule_language(),
            preview_url=reverse("analytics:segment-preview"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(ADD_PERMISSION):
            raise PermissionDenied
        form = SegmentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                segment = segment_create(
                    name=data["name"],
                    rule=data["rule"],
                    kind=data["kind"],
                    description=data["description"],
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.save_errors(exc)
            else:
                messages.success(
                    request,
                    _("Segment “%(name)s” saved: %(count)s customers.")
                    % {"name": segment.label, "count": segment.member_count},
                )
                return redirect("analytics:segment-detail", pk=segment.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _member_table(rows, *, customer_url, stream: bool = False) -> Table:
    """The members table: a list of rows for a page, or a generator for a streamed CSV."""

    def shaped():
        for row in rows:
            yield {
                "external_id": row["external_id"],
                "url": customer_url(row["id"]) if customer_url else "",
                "name": row["name"],
                "email": row["email"],
                "phone": row["phone"],
                "city": row["city"],
                "tier": row["tier__name"],
                "rfm_segment": choice_label("rfm_segment", row["score__rfm_segment"]),
                "lifecycle_stage": choice_label("lifecycle_stage", row["score__lifecycle_stage"]),
                "monetary": plain(row["score__monetary"]),
                "recency_days": row["score__recency_days"],
            }

    return Table(
        "members",
        _("Segment members"),
        [
            Column("external_id", _("Customer"), "link" if customer_url else "text"),
            Column("name", _("Name")),
            Column("email", _("E-mail"), pii="email"),
            Column("phone", _("Phone"), pii="phone"),
            Column("city", _("City")),
            Column("tier", _("Tier")),
            Column("rfm_segment", _("RFM segment")),
            Column("lifecycle_stage", _("Lifecycle stage")),
            Column("monetary", _("Spend in the RFM window"), "money"),
            Column("recency_days", _("Days since last order"), "int"),
        ],
        shaped() if stream else list(shaped()),
        empty=_("No customer matches this segment now."),
    )


def _customer_url(pk: int) -> str:
    return reverse("campaigns:customer-detail", args=[pk])


class SegmentDetailPage(Page):
    """A segment: its rule, its members (paginated, PII masked without the permission),
    the CSV of all members; edit and re-snapshot for those who may change segments."""

    template_name = "analytics/segment_detail.html"
    permission_required = VIEW_PERMISSION

    def segment(self) -> Segment:
        if not hasattr(self, "_segment"):
            self._segment = get_object_or_404(Segment, pk=self.kwargs["pk"])
        return self._segment

    def get(self, request, *args, **kwargs):
        segment = self.segment()
        if request.GET.get("export") == "members":
            table = _member_table(
                segment_member_rows(segment=segment).iterator(chunk_size=2000),
                customer_url=_customer_url,
                stream=True,
            )
            name = slugify(f"segment-{segment.pk}-{segment.name}") or f"segment-{segment.pk}"
            return csv_response(
                table, filename=f"{name}.csv", mask=not request.user.has_perm(PII_PERMISSION)
            )
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        segment = self.segment()
        user = self.request.user
        page = Paginator(segment_member_rows(segment=segment), MEMBERS_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        can_change = user.has_perm(CHANGE_PERMISSION) and not segment.is_builtin
        context.setdefault(
            "form",
            SegmentForm(
                initial={
                    "name": segment.name,
                    "description": segment.description,
                    "kind": segment.kind,
                    "rule": json.dumps(segment.rule, indent=2, ensure_ascii=False),
                }
            ),
        )
        context.update(
            title=segment.label,
            segment=segment,
            rule_json=json.dumps(segment.rule, indent=2, ensure_ascii=False),
            page=page,
            table=_member_table(page.object_list, customer_url=_customer_url),
            can_change=can_change,
            can_snapshot=can_change and segment.kind == Segment.Kind.STATIC,
            campaign_url=campaign_create_url(segment.pk)
            if user.has_perm(CAMPAIGN_PERMISSION)
            else "",
            language=rule_language(),
            preview_url=reverse("analytics:segment-preview"),
        )
        return context

    def post(self, request, *args, **kwargs):
        segment = self.segment()
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        if segment.is_builtin:
            raise PermissionDenied(_("Built-in segments cannot be changed."))
        if request.POST.get("action") == "snapshot":
            if segment.kind != Segment.Kind.STATIC:
                messages.error(request, _("Only a static segment takes snapshots."))
            else:
                count = segment_snapshot(segment=segment)
                messages.success(
                    request, _("Snapshot taken: %(count)s members.") % {"count": count}
                )
            return redirect("analytics:segment-detail", pk=segment.pk)
        form = SegmentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                segment_update(
                    segment=segment,
                    name=data["name"],
                    description=data["description"],
                    kind=data["kind"],
                    rule=data["rule"],
                )
            except ValidationError as exc:
                form.save_errors(exc)
            except SegmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Segment saved: %(count)s customers.") % {"count": segment.member_count},
                )
                return redirect("analytics:segment-detail", pk=segment.pk)
            segment.refresh_from_db()
        context = self.get_context_data(form=form)
        context["editing"] = True
        return self.render_to_response(context, status=400)


class SegmentPreviewView(StaffAccess, View):
    """POST ``{"rule": {...}}`` → ``{"count", "sample"}``, or 400 ``{"error"}`` naming the
    place and field of a bad rule. Nothing but the one preview query."""

    permission_required = VIEW_PERMISSION
    raise_exception = True

    def post(self, request, *args, **kwargs):
        try:
            body = parse_rule(request.body.decode("utf-8", "replace"))
            rule = body.get("rule", {}) if set(body) <= {"rule"} else body
            if not isinstance(rule, dict):
                raise ValueError(gettext_now("A rule must be a JSON object."))
        except ValueError as exc:
            return JsonResponse({"error": {"path": "", "message": str(exc)}}, status=400)
        try:
            preview = segment_rule_preview(rule=rule)
        except RuleError as exc:
            return JsonResponse(
                {"error": {"path": exc.path, "message": rule_error_text(rule, exc)}}, status=400
            )
        return JsonResponse(
            {
                "count": preview.count,
                "sample": [
                    {
                        "id": row["id"],
                        "external_id": row["external_id"],
                        "name": row["name"],
                        "tier": row["tier__name"] or "",
                        "rfm_segment": choice_label("rfm_segment", row["score__rfm_segment"]),
                        "lifecycle_stage": choice_label(
                            "lifecycle_stage", row["score__lifecycle_stage"]
                        ),
                        "monetary": plain(row["score__monetary"]),
                    }
                    for row in preview.sample
                ],
            }
        )
