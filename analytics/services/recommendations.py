"""The recommendations step: top products per customer, stored for the API and campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from analytics import loaders
from analytics.metrics.recommend import recommend_products
from analytics.models import Recommendation
from analytics.writers import replace_range

RECOMMENDATIONS_PER_CUSTOMER = 10


@dataclass(frozen=True)
class RecommendationsResult:
    customers: int
    rows: int


def recommendations_compute(*, as_of: date) -> RecommendationsResult:
    """Replace every customer's recommendations with a fresh top 10."""
    lines = loaders.paid_lines(as_of=as_of)
    purchases = lines.loc[lines["customer_id"].notna(), ["customer_id", "product_id", "net_amount"]]
    weights = settings.ANALYTICS["RECOMMEND_WEIGHTS"]
    picks = recommend_products(
        purchases,
        loaders.products(),
        n=RECOMMENDATIONS_PER_CUSTOMER,
        similarity_weight=weights["similarity"],
        category_weight=weights["category"],
        tag_weight=weights["tags"],
        tags=loaders.customer_tags(),
    )
    frame = picks.assign(computed_at=timezone.now())
    frame = frame[["customer_id", "product_id", "rank", "score", "computed_at"]]
    replace_range(Recommendation, frame, field="computed_at", start=None, end=None)
    return RecommendationsResult(customers=int(frame["customer_id"].nunique()), rows=len(frame))
