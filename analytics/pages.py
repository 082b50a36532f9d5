"""What every server-rendered page shares (the apps' ``views`` build on it).

- :class:`Page` (and :class:`StaffAccess` for JSON views): sign-in and one permission per page; a signed-in user without it gets
  403, an anonymous one the login page.
- :class:`ReportFilterForm`: the date range, channel and category of a report, kept in
  the URL (``?start=2026-11-01&end=2026-11-30&channel=search&category=3``); a bad value
  is named on the page and the default used instead.
- :class:`Table`: one table of a page, rendered as an accessible HTML table
  (``pages/_table.html``) and exported as CSV with ``?export=<name>`` through the same
  writer as the admin exports (formula escaping; PII columns masked for users without
  ``customers.view_pii``).
- :class:`Chart`: a Chart.js configuration, rendered by ``pages/_chart.html`` next to the
  table of the same numbers.

A report page is a :class:`ReportPage`: it implements ``report(f)`` returning its
context (tables under ``tables``, charts under ``charts``), reading selectors only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from analytics.selectors import ReportFilter
from analytics.selectors.freshness import cached_report
from analytics.selectors.reports import ReportFilterError
from catalog.importing.export_files import csv_lines
from catalog.models import Category, Channel
from customers.pii import masked_value

DEFAULT_DAYS = 30
EARLIEST = date(2000, 1, 1)  # reports never reach further back or forward than this
MAX_DAYS = 3 * 366  # the longest period a report covers
PII_PERMISSION = "customers.view_pii"


class StaffAccess(LoginRequiredMixin, PermissionRequiredMixin):
    """Sign-in and ``permission_required``: a signed-in user without it gets 403, an
    anonymous one the login page. For pages and for the JSON and POST-only views beside
    them (``StaffAccess, View``)."""

    permission_required: str | Sequence[str] = ()


class Page(StaffAccess, TemplateView):
    """A page for signed-in staff holding ``permission_required``."""

    title = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.title)
        context["can_view_pii"] = self.request.user.has_perm(PII_PERMISSION)
        return context


# --- Filters ------------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("All channels"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label=_("All categories"),
    )

    def __init__(
        self,
        data=None,
        *,
        today: date | None = None,
        fields: Iterable[str] = (),
        default_start: Callable[[date], date] | None = None,
    ):
        super().__init__(data)
        self.today = today or timezone.localdate()
        self.default_start = default_start or (lambda end: end - timedelta(days=DEFAULT_DAYS - 1))
        for name in set(self.fields) - {"start", "end", *fields}:
            del self.fields[name]

    def _in_range(self, day: date | None) -> date | None:
        latest = self.today + timedelta(days=366)
        if day is not None and not EARLIEST <= day <= latest:
            raise forms.ValidationError(
                _("Choose a date from %(earliest)s to %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()}
            )
        return day

    def clean_start(self) -> date | None:
        return self._in_range(self.cleaned_data.get("start"))

    def clean_end(self) -> date | None:
        return self._in_range(self.cleaned_data.get("end"))

    def report_filter(self) -> ReportFilter:
        """The filter the form describes; invalid fields fall back to their defaults (the
        form keeps their errors for the page to show)."""
        data = self.cleaned_data if self.is_valid() else self._valid_part()
        end = data.get("end") or self.today
        start = data.get("start") or max(self.default_start(end), EARLIEST)
        if (end - start).days + 1 > MAX_DAYS:
            self.add_error(
                "start", _("A report covers at most %(days)s days.") % {"days": MAX_DAYS}
            )
            start = end - timedelta(days=MAX_DAYS - 1)
        try:
            f = ReportFilter(start, end, data.get("channel"), data.get("category"))
        except ReportFilterError as exc:
            self.add_error("start", str(exc))
            f = ReportFilter(max(self.default_start(end), EARLIEST), end)
        self._show_period(f)
        return f

    def _show_period(self, f: ReportFilter) -> None:
        """Fill the date inputs with the period shown when the URL left them empty."""
        if not self.is_bound:
            self.initial.update(start=f.start, end=f.end)
            return
        self.data = self.data.copy()
        for name in ("start", "end"):
            if not self.data.get(name):
                self.data[name] = getattr(f, name).isoformat()

    def _valid_part(self) -> dict:
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}


# --- Tables and charts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, int, number, money, percent, date, link
    pii: str | None = None  # "email", "phone", "birthday": masked without view_pii


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    empty: str = ""  # what to do when there are no rows
    caption: str = ""

    def export_values(self, *, mask: bool) -> Iterable[list]:
        for row in self.rows:
            values = []
            for column in self.columns:
                value = row.get(column.key)
                if isinstance(value, float) and math.isnan(value):
                    value = None
                if mask and column.pii and value:
                    value = masked_value(column.pii, value)
                values.append(value)
            yield values


_chart_ids = itertools.count(1)


@dataclass
class Chart:
    """A Chart.js chart: ``kind`` (bar, line, scatter, doughnut...), labels, datasets and
    options as Chart.js takes them; ``table`` names the table holding the same numbers."""

    title: str
    kind: str
    labels: list = field(default_factory=list)
    datasets: list[dict] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    table: str = ""
    dom_id: str = field(default_factory=lambda: f"chart-{next(_chart_ids)}")

    @property
    def config(self) -> dict:
        return {
            "type": self.kind,
            "data": {"labels": [plain(v) for v in self.labels], "datasets": self.datasets},
            "options": self.options,
        }

    @property
    def is_empty(self) -> bool:
        return not any(d.get("data") for d in self.datasets)


def plain(value):
    """A value Chart.js and JSON can take: NaN → None, Decimal → float, dates → text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def series(values: Iterable) -> list:
    return [plain(v) for v in values]


def frame_rows(frame) -> list[dict]:
    """A DataFrame as a list of row dicts with plain values (NaN → None)."""
    if frame is None or len(frame) == 0:
        return []
    return [
        {key: plain(value) for key, value in row.items()} for row in frame.to_dict(orient="records")
    ]


def csv_response(table: Table, *, filename: str, mask: bool) -> StreamingHttpResponse:
    header = [str(c.label) for c in table.columns]
    response = StreamingHttpResponse(
        csv_lines(header, table.export_values(mask=mask)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReportPage(Page):
    """A report: filters from the URL, ``report(f)`` builds the context (tables and
    charts from selectors), ``?export=<table>`` answers that table as CSV."""

    template_name = ""
    permission_required = "analytics.view_dailykpi"
    filter_fields: tuple[str, ...] = ("channel", "category")

    def report(self, f: ReportFilter) -> dict:
        raise NotImplementedError

    def cached(self, f: ReportFilter) -> dict:
        """``report(f)``, computed once per filter, other query parameters, role and
        language until the data changes (:mod:`analytics.selectors.freshness`)."""
        user = self.request.user
        role = "superuser" if user.is_superuser else tuple(sorted(user.get_all_permissions()))
        query = sorted(self.request.GET.lists())  # an export may list more rows than the page
        filter_key = (
            f.start,
            f.end,
            getattr(f.channel, "pk", None),
            getattr(f.category, "pk", None),
        )
        parts = (
            type(self).__module__,
            type(self).__qualname__,
            self.kwargs,
            filter_key,
            query,
            role,
            get_language(),
        )
        return cached_report(parts, lambda: self.report(f))

    def default_start(self, end: date) -> date:
        """The start of the period when the URL names none: the 30 days up to ``end``."""
        return end - timedelta(days=DEFAULT_DAYS - 1)

    def get(self, request, *args, **kwargs):
        form = ReportFilterForm(
            request.GET or None, fields=self.filter_fields, default_start=self.default_start
        )
        f = form.report_filter()
        context = self.get_context_data(form=form, filter=f, **self.cached(f))
        export = request.GET.get("export")
        if export:
            table = next((t for t in context.get("tables", []) if t.name == export), None)
            if table is None:
                raise Http404(f"this page has no table {export!r}")
            mask = not request.user.has_perm(PII_PERMISSION)
            name = slugify(f"{self.request.resolver_match.url_name}-{table.name}-{f.start}-{f.end}")
            return csv_response(table, filename=f"{name}.csv", mask=mask)
        return self.render_to_response(context)
