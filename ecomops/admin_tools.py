"""Admin pieces for tables with millions of rows (orders, lines, events, ledger...).

- :class:`EstimatedCountPaginator`: an unfiltered changelist on PostgreSQL takes the row
  count from the planner's statistics instead of ``COUNT(*)`` over the whole table.
- :class:`RangeDatesQuerySet`: ``date_hierarchy`` lists years, months or days between the
  first and last date of the (filtered) rows, found with two index lookups, instead of a
  ``SELECT DISTINCT date_trunc(...)`` over every row.
- :class:`BigTableAdmin` puts both together with ``show_full_result_count = False``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

ESTIMATE_ABOVE = 50_000  # below this, an exact count is cheap enough


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
