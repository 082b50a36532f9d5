"""Report facts (``analytics.metrics.facts``), written by the kpis step.

Daily facts (product sales, reviews, hourly activity, cohort days) are replaced for the days
the step recomputes, like the daily KPIs. The monthly cohort cells are the sums of the
cohort days: those of the months from the first day recomputed are rewritten. The cohorts
are rewritten whole from the first and second orders kept per day in ``CustomerRecency``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from analytics import loaders
from analytics.metrics import facts
from analytics.metrics.recency import CustomerHistory, Recency, concat
from analytics.models import (
    ActivityCell,
    Cohort,
    CohortCell,
    CohortDay,
    ProductReviews,
    ProductSales,
)
from analytics.writers import insert_frame, replace_range


@dataclass(frozen=True)
class FactsResult:
    product_sales: int
    product_reviews: int
    activity_cells: int
    cohorts: int
    cohort_cells: int

    def __str__(self) -> str:
        return (
            f"facts: {self.product_sales} product-days, {self.product_reviews} review-days, "
            f"{self.activity_cells} activity cells, {self.cohorts} cohorts "
            f"({self.cohort_cells} cells)"
        )


def facts_compute(
    *,
    as_of: date,
    start: date,
    lines: pd.DataFrame,
    events: pd.DataFrame,
    history: CustomerHistory,
    whole_history: bool = False,
) -> FactsResult:
    """Write the facts of ``[start, as_of]`` from the frames the kpis step loaded: paid
    lines and events from (at least) ``start``, and the customers' history of the days it
    counted (``history.start`` … ``as_of``, from ``start`` on or from the first paid order).
    ``whole_history``: ``start`` is the first paid order, so the tables are replaced whole
    (rows after ``as_of`` from a later-dated run go too)."""
    day = pd.Timestamp(start)
    lines = lines[lines["paid_at"] >= day]
    events = events[events["occurred_at"] >= day]
    products = loaders.products().set_index("product_id")["category_id"]
    positive = settings.ANALYTICS["QUALITY_POSITIVE_RATING"]

    def daily(model, frame, first=start):
        first = None if whole_history else first
        return replace_range(model, _ids(frame), field="date", start=first, end=as_of)

    sales = daily(ProductSales, facts.product_sales(lines))
    reviews = daily(
        ProductReviews,
        facts.product_reviews(loaders.reviews(start=start, end=as_of), positive_rating=positive),
    )
    activity = daily(ActivityCell, facts.activity_cells(events, lines, products))

    counted = history.start
    days = facts.cohort_days(history.days)
    daily(CohortDay, days, first=counted)
    month = counted.replace(day=1)
    if month < counted:  # the month's earlier days, as stored
        days = pd.concat(
            [loaders.cohort_days(start=month, end=counted - timedelta(days=1)), days],
            ignore_index=True,
        )
    cell_rows = _replace_cells(facts.cohort_cells(days), month, whole_history)

    recency = history.recency
    if not whole_history:  # the first and second orders of the days before, as stored
        earlier = loaders.customer_recency(
            start=None, end=counted - timedelta(days=1), columns=["first_orders", "second_orders"]
        )
        if len(earlier):
            first = min(earlier["date"])
            recency = concat(
                Recency.from_records(earlier, start=first, end=counted - timedelta(days=1)),
                recency,
            )
    cohorts = facts.cohorts(recency.first_orders, recency.second_orders, as_of=as_of)
    cohort_rows = replace_range(Cohort, _ids(cohorts), field="month", start=None, end=None)
    return FactsResult(sales, reviews, activity, cohort_rows, cell_rows)


def _replace_cells(cells: pd.DataFrame, month: date, whole_history: bool) -> int:
    """Replace the cohort cells of the calendar months from ``month`` (every cell when
    ``whole_history``) by ``cells``."""
    if whole_history:
        return replace_range(CohortCell, _ids(cells), field="month", start=None, end=None)
    stale = Q(month__gte=month)
    for cohort in (
        CohortCell.objects.filter(month__lt=month)
        .values_list("month", flat=True)
        .distinct()
        .order_by()
    ):
        since = (month.year - cohort.year) * 12 + month.month - cohort.month
        stale |= Q(month=cohort, months_since__gte=since)
    with transaction.atomic():
        CohortCell.objects.filter(stale).delete()
        return insert_frame(CohortCell, _ids(cells))


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable id columns as objects, so that NaN is stored as NULL and ids as integers."""
    frame = frame.copy()
    for column in frame.columns:
        if column.endswith("_id") and frame[column].dtype.kind == "f":
            frame[column] = (
                frame[column].astype("Int64").astype(object).where(frame[column].notna(), None)
            )
    return frame
