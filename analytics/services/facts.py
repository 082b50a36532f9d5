"""Report facts (``analytics.metrics.facts``), written by the kpis step.

Daily facts (product sales, reviews, hourly activity) are replaced for the days the step
recomputes, like the daily KPIs; the cohort tables are small and rewritten whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.conf import settings

from analytics import loaders
from analytics.metrics import facts
from analytics.models import ActivityCell, Cohort, CohortCell, ProductReviews, ProductSales
from analytics.writers import replace_range


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
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    events: pd.DataFrame,
    whole_history: bool = False,
) -> FactsResult:
    """Write the facts of ``[start, as_of]`` from the frames the kpis step loaded: all paid
    orders up to ``as_of``, paid lines and events from (at least) ``start``.
    ``whole_history``: ``start`` is the first paid order, so the daily tables are replaced
    whole (rows after ``as_of`` from a later-dated run go too)."""
    day = pd.Timestamp(start)
    lines = lines[lines["paid_at"] >= day]
    events = events[events["occurred_at"] >= day]
    products = loaders.products().set_index("product_id")["category_id"]
    positive = settings.ANALYTICS["QUALITY_POSITIVE_RATING"]

    everything = whole_history  # no day before ``start`` is kept: replace the tables

    def daily(model, frame):
        first = None if everything else start
        return replace_range(model, _ids(frame), field="date", start=first, end=as_of)

    sales = daily(ProductSales, facts.product_sales(lines))
    reviews = daily(
        ProductReviews,
        facts.product_reviews(loaders.reviews(start=start, end=as_of), positive_rating=positive),
    )
    activity = daily(ActivityCell, facts.activity_cells(events, lines, products))
    cohorts, cells = facts.cohort_facts(orders, as_of=as_of)
    cohort_rows = replace_range(
        Cohort,
        _ids(cohorts),
        field="month",
        start=None,
        end=None,
    )
    cell_rows = replace_range(
        CohortCell,
        _ids(cells),
        field="month",
        start=None,
        end=None,
    )
    return FactsResult(sales, reviews, activity, cohort_rows, cell_rows)


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable id columns as objects, so that NaN is stored as NULL and ids as integers."""
    frame = frame.copy()
    for column in frame.columns:
        if column.endswith("_id") and frame[column].dtype.kind == "f":
            frame[column] = (
                frame[column].astype("Int64").astype(object).where(frame[column].notna(), None)
            )
    return frame
