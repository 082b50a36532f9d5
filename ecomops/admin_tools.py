"""Admin pieces for tables with millions of rows (orders, lines, events, ledger...).

- :class:`EstimatedCountPaginator`: an unfiltered changelist on PostgreSQL takes the row
  count from the planner's statistics instead of ``COUNT(*)`` over the whole table.
- :class:`RangeDatesQuerySet`: ``date_hierarchy`` lists years, months or days between the
  first and last date of the (filtered) rows, found with two index lookups, instead of a
  ``SELECT DISTINCT date_trunc(...)`` over every row.
- :class:`BigTableAdmin` puts both together with ``show_full_result_count = False`` and
  an id-first search: a term that equals one of the exact (``=``) search fields returns
  those rows at once, found through indexes (an exact field across a foreign key first looks up
  the related ids, then filters ``fk IN (ids)``, so the database never joins a million
  rows to compare one id); only a term that matches no id is searched in the other
  (``icontains``) fields.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, lookup_spawns_duplicates
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal

ESTIMATE_ABOVE = 50_000  # below this, an exact count is cheap enough
MAX_RELATED_IDS = 1_000  # an exact search across a foreign key inlines at most this many ids


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where:
            estimate = _planner_estimate(rows)
            if estimate is not None and estimate > ESTIMATE_ABOVE:
                return estimate
        return super().count


def _planner_estimate(rows: QuerySet) -> int | None:
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [rows.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None


class RangeDatesQuerySet(QuerySet):
    """``dates()``/``datetimes()`` answered from the min and max of the field."""

    def dates(self, field_name, kind, order="ASC"):
        return self._periods(field_name, kind, order, aware=False)

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        return self._periods(field_name, kind, order, aware=True)

    def _periods(self, field_name: str, kind: str, order: str, *, aware: bool) -> list:
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        if aware:
            first, last = timezone.localtime(first).date(), timezone.localtime(last).date()
        periods = list(_period_starts(first, last, kind))
        if aware:
            periods = [
                timezone.make_aware(datetime.combine(p, datetime.min.time())) for p in periods
            ]
        return periods if order == "ASC" else periods[::-1]


def _period_starts(first: date, last: date, kind: str):
    if kind == "year":
        yield from (date(y, 1, 1) for y in range(first.year, last.year + 1))
    elif kind == "month":
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            yield date(year, month, 1)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        day = first
        while day <= last:
            yield day
            day += timedelta(days=1)


class BigTableAdmin(admin.ModelAdmin):
    """ModelAdmin for tables of millions of rows."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.date_hierarchy:
            queryset = RangeDatesQuerySet(
                model=queryset.model, query=queryset.query.chain(), using=queryset._db
            )
        return queryset

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        fields = list(self.get_search_fields(request))
        exact = [field[1:] for field in fields if field.startswith("=")]
        if not term or not fields:
            return queryset, False
        conditions = [q for f in exact if (q := _exact_q(queryset.model, f, term)) is not None]
        if conditions:
            matched = queryset.filter(reduce(or_, conditions))
            if matched.exists():
                return matched, False
        fuzzy = [field for field in fields if not field.startswith("=")]
        if not fuzzy:
            return queryset.none(), False
        lookups = [_fuzzy_lookup(field) for field in fuzzy]
        for bit in smart_split(term):
            if bit[:1] in ('"', "'") and bit[-1:] == bit[:1] and len(bit) > 1:
                bit = unescape_string_literal(bit)
            queryset = queryset.filter(reduce(or_, (Q(**{lookup: bit}) for lookup in lookups)))
        duplicates = any(lookup_spawns_duplicates(self.opts, lookup) for lookup in lookups)
        return queryset, duplicates


def _exact_q(model, path: str, term: str) -> Q | None:
    """``path = term``; across a foreign key, as a subquery on the related table.

    None when ``term`` is not a valid value for the field (text for a number field)."""
    try:
        get_fields_from_path(model, path)[-1].to_python(term)
    except ValidationError:
        return None
    head, _, rest = path.partition("__")
    field = model._meta.get_field(head)
    if rest and field.many_to_one:
        related = field.related_model._default_manager.filter(**{rest: term}).values("pk")
        pks = list(related.values_list("pk", flat=True)[: MAX_RELATED_IDS + 1])
        # Literal ids let the planner OR two index scans; a subquery inside an OR is a
        # filter over every row.
        return Q(**{f"{head}__in": pks if len(pks) <= MAX_RELATED_IDS else related})
    return Q(**{path: term})


def _fuzzy_lookup(field: str) -> str:
    if field.startswith("^"):
        return f"{field[1:]}__istartswith"
    if field.startswith("@"):
        return f"{field[1:]}__search"
    return f"{field}__icontains"


class ReadOnlyBigTableAdmin(BigTableAdmin):
    """A big table written by the services only (ledger, redemptions, messages, audit):
    listed and shown, never added, edited or deleted in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
