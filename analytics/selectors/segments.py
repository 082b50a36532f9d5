"""Reads of analytics results for pages, the API and campaigns."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet, Window

from analytics.models import CustomerScore, Segment
from analytics.segment_rules import customers_matching, sums_orders
from customers.models import Customer

PREVIEW_SAMPLE_SIZE = 20


@dataclass(frozen=True)
class SegmentPreview:
    count: int
    sample: list[dict]


def segment_rule_preview(
    *, rule: dict, as_of: date | None = None, sample_size: int = PREVIEW_SAMPLE_SIZE
) -> SegmentPreview:
    """How many customers a rule selects now, and a sample of them (highest value first).

    Raises ``RuleError`` for a bad rule. Usually two queries: the count, which PostgreSQL
    answers with hash joins, and the sample, which stops at its first ``sample_size`` rows
    in value order. One query with ``COUNT(*) OVER ()`` must walk every match in value
    order: 234 ms against 95 ms for both at 100k customers. A rule that sums orders
    (spent or orders in the last N days) is the exception: there the sum over the
    window's orders is most of the cost and every match is walked anyway, so the one query
    computes it once (270 ms against 450 ms for both at 100k customers, 224k orders in
    90 days).
    """
    matching = customers_matching(rule, as_of=as_of)
    sample = matching.select_related("tier", "score").order_by("-score__monetary", "-id")
    columns = [
        "id",
        "external_id",
        "name",
        "tier__name",
        "score__rfm_segment",
        "score__lifecycle_stage",
        "score__monetary",
    ]
    if sums_orders(rule) and sample_size > 0:
        rows = list(
            sample.annotate(matches=Window(Count("pk"))).values(*columns, "matches")[:sample_size]
        )
        count = rows[0]["matches"] if rows else 0
        return SegmentPreview(count=count, sample=[{c: row[c] for c in columns} for row in rows])
    count = matching.count()
    rows = list(sample.values(*columns)[:sample_size]) if count else []
    return SegmentPreview(count=count, sample=rows)


def segment_members(*, segment: Segment, as_of: date | None = None) -> QuerySet[Customer]:
    """A dynamic segment's customers by its rule now; a static one's frozen members."""
    if segment.kind == Segment.Kind.STATIC:
        return Customer.objects.filter(pk__in=segment.member_links.values("customer_id"))
    return customers_matching(segment.rule, as_of=as_of)


SCORE_EXPORT_COLUMNS = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "rfm_class",
    "lifecycle_stage",
    "historical_value",
    "p_alive",
    "predicted_purchases_90d",
    "predicted_value_90d",
]


def score_export_rows():
    """One row per scored customer in ``SCORE_EXPORT_COLUMNS`` order (customer_id is the
    platform's external id), streamed in chunks."""
    fields = ["customer__external_id", *SCORE_EXPORT_COLUMNS[1:]]
    rows = CustomerScore.objects.order_by("customer__external_id").values_list(*fields)
    return rows.iterator(chunk_size=5000)


def segments_for_list() -> QuerySet[Segment]:
    """Every segment for the segments page: the team's own first, then the built-in ones,
    each by name, with its cached member count."""
    return Segment.objects.order_by("is_builtin", "name")


MEMBER_FIELDS = [
    "id",
    "external_id",
    "name",
    "email",
    "phone",
    "city",
    "tier__name",
    "score__rfm_segment",
    "score__lifecycle_stage",
    "score__monetary",
    "score__recency_days",
]


def segment_member_rows(*, segment: Segment, as_of: date | None = None) -> QuerySet:
    """A segment's members as rows for a page or a CSV (``MEMBER_FIELDS``), by id: one
    query per page or per export chunk."""
    return segment_members(segment=segment, as_of=as_of).order_by("pk").values(*MEMBER_FIELDS)
