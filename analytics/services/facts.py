"""Report facts (``analytics.metrics.facts``), written by the kpis step.

Daily facts (product sales, reviews, hourly activity, cohort days) are replaced for the days
the step recomputes, like the daily KPIs. The monthly cohort cells are the sums of the
cohort days: a recomputation corrects the cells the days it replaces fall in. The cohorts
of months not settled yet are recounted from the first and second orders kept per day in
``CustomerRecency`` (every cohort when the full run rebuilds the tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

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
    stored: Recency | None = None,
) -> FactsResult:
    """Write the facts of ``[start, as_of]`` from the frames the kpis step loaded: paid
    lines and events from (at least) ``start``, and the customers' history of the days it
    counted (``history.start`` … ``as_of``). ``whole_history``: ``start`` is the first paid
    order, so the tables are replaced whole (rows after ``as_of`` from a later-dated run go
    too). ``stored``: the stored histograms of the days before ``history.start`` (from at
    least ``facts.unsettled_from(history.start)``), read when the history was not counted
    from the first paid order; then the stored cohort cells of the days counted are
    corrected and the cohorts not settled recounted, else the cohort tables are rebuilt.
    """
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

    # The cohort tables change together: the stored cells are the sums of the stored days.
    with transaction.atomic():
        counted = history.start
        days = facts.cohort_days(history.days)
        recency = history.recency
        if stored is None:
            daily(CohortDay, days, first=counted)
            cells = replace_range(
                CohortCell, _ids(facts.cohort_cells(days)), field="month", start=None, end=None
            )
            recount = None
        else:
            replaced = loaders.cohort_days(start=counted, end=as_of)
            daily(CohortDay, days, first=counted)
            cells = _correct_cells(replaced, days)
            recount = _recount_from(counted)
            if recount is None:  # every cohort: the first and second orders of every day
                earlier = loaders.customer_recency(
                    start=None,
                    end=counted - timedelta(days=1),
                    columns=["first_orders", "second_orders"],
                )
                if len(earlier):
                    stored = Recency.from_records(
                        earlier, start=min(earlier["date"]), end=counted - timedelta(days=1)
                    )
            recency = concat(stored.between(recount or stored.start, stored.end), recency)
        cohorts = facts.cohorts(recency.first_orders, recency.second_orders, as_of=as_of)
        cohort_rows = replace_range(
            Cohort,
            _ids(cohorts),
            field="month",
            start=recount,
            end=None if recount is None else as_of,
        )
    return FactsResult(sales, reviews, activity, cohort_rows, cells)


def _correct_cells(replaced: pd.DataFrame, days: pd.DataFrame) -> int:
    """Correct the stored cohort cells the cohort days ``replaced`` fell in, now that
    ``days`` stand for them (the stored cells are the sums of the stored days)."""
    touched = Q(pk__in=[])
    for month, months_since in facts.cohort_months(pd.concat([replaced, days])):
        touched |= Q(month=month, months_since=months_since)
    stored = loaders.cohort_cells(where=touched)
    cells = facts.corrected_cohort_cells(stored, removed=replaced, added=days)
    CohortCell.objects.filter(touched).delete()
    return insert_frame(CohortCell, _ids(cells))


def _recount_from(counted: date) -> date | None:
    """The first month of first orders a recomputation from ``counted`` recounts (None:
    all). The cohorts of earlier months are settled (``facts.unsettled_from``) and kept if
    stored settled, i.e. all of their customers matured: a run with an earlier as_of may
    have stored them unsettled, or a cohort may miss its row."""
    until = facts.unsettled_from(counted)
    kept = Cohort.objects.filter(month__lt=until)
    if kept.exclude(matured_30d=F("customers")).exists():
        return None
    cells = CohortCell.objects.filter(month__lt=until, months_since=0)
    if kept.count() != cells.count():  # each cohort has one row and one first-month cell
        return None
    return until


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable id columns as objects, so that NaN is stored as NULL and ids as integers."""
    frame = frame.copy()
    for column in frame.columns:
        if column.endswith("_id") and frame[column].dtype.kind == "f":
            frame[column] = (
                frame[column].astype("Int64").astype(object).where(frame[column].notna(), None)
            )
    return frame
