"""Customer report selectors: grouped reads over the stored scores (``CustomerScore``).

The scores are a snapshot taken by the last analytics run (its ``as_of``); nothing here
takes a date range. Each function is one grouped query (or two), never a row per customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext

from analytics.loaders import day_start
from analytics.models import CustomerScore, LifecycleStage, RfmClass, RfmSegment, Segment
from customers.models import Customer, MembershipTier

MOVEMENT_DAYS = 30
CENT = Decimal("0.01")


def _money(value) -> Decimal | None:
    """A summed amount with two decimals on every database (SQLite sums lose them)."""
    return None if value is None else Decimal(value).quantize(CENT)


@dataclass(frozen=True)
class ScoreSnapshot:
    as_of: date | None  # the as_of of the latest analytics run that scored customers
    computed_at: datetime | None
    customers: int  # scored customers
    scored: int  # customers with RFM scores (≥ 1 paid order in the window)


def score_snapshot() -> ScoreSnapshot:
    """When the stored scores were computed, and how many customers they cover."""
    row = CustomerScore.objects.aggregate(
        as_of=Max("as_of"),
        computed_at=Max("computed_at"),
        customers=Count("pk"),
        scored=Count("pk", filter=Q(r_score__isnull=False)),
    )
    return ScoreSnapshot(**row)


def rfm_grid() -> list[dict]:
    """Customers and their RFM-window net revenue (``monetary``) per (R, F) score pair:
    one row per pair that occurs, ``r``, ``f``, ``customers``, ``revenue`` (Decimal)."""
    rows = (
        CustomerScore.objects.filter(r_score__isnull=False, f_score__isnull=False)
        .values("r_score", "f_score")
        .annotate(customers=Count("pk"), revenue=Sum("monetary"))
        .order_by("-r_score", "f_score")
    )
    return [
        {
            "r": row["r_score"],
            "f": row["f_score"],
            "customers": row["customers"],
            "revenue": _money(row["revenue"]),
        }
        for row in rows
    ]


def rfm_label_field() -> str:
    """The score field of the RFM labels pages show: ``rfm_segment`` (11 segments) or
    ``rfm_class`` (8 classes), by ``ANALYTICS["RFM_LABEL_SHOWN"]``."""
    return "rfm_class" if settings.ANALYTICS["RFM_LABEL_SHOWN"] == "class" else "rfm_segment"


@dataclass(frozen=True)
class LabelSummary:
    code: str
    label: str
    customers: int
    historical_value: Decimal | None  # net revenue to date, summed
    predicted_value_90d: Decimal | None  # predicted 90-day value, summed (None: no model)
    builtin_segment_id: int | None  # the built-in segment selecting these customers
    recommended_action: str  # that segment's action text (ops may edit it)


def rfm_label_summary(field: str | None = None) -> list[LabelSummary]:
    """Every label of the shown RFM scheme (also those with no customer), in the scheme's
    order: size, summed historical and predicted value, and the built-in segment that
    selects it with its recommended action (``segments_ensure_builtin``). Two queries."""
    field = field or rfm_label_field()
    choices = RfmClass if field == "rfm_class" else RfmSegment
    sums = {
        row[field]: row
        for row in CustomerScore.objects.exclude(**{field: ""})
        .values(field)
        .annotate(
            customers=Count("pk"),
            historical=Sum("historical_value"),
            predicted=Sum("predicted_value_90d"),
        )
        .order_by()
    }
    builtin = _builtin_segments(field)
    result = []
    for code, label in choices.choices:
        row = sums.get(code, {})
        segment = builtin.get(code)
        result.append(
            LabelSummary(
                code=code,
                label=str(label),
                customers=row.get("customers", 0),
                historical_value=_money(row.get("historical")),
                predicted_value_90d=_money(row.get("predicted")),
                builtin_segment_id=segment[0] if segment else None,
                recommended_action=gettext(segment[1]) if segment and segment[1] else "",
            )
        )
    return result


def _builtin_segments(field: str) -> dict[str, tuple[int, str]]:
    """{code: (segment id, recommended action)} of the built-in segments on ``field``."""
    found = {}
    rows = Segment.objects.filter(is_builtin=True).values_list("pk", "rule", "recommended_action")
    for pk, rule, action in rows.order_by("pk"):
        if isinstance(rule, dict) and rule.get("field") == field and rule.get("op") == "=":
            found.setdefault(rule.get("value"), (pk, action))
    return found


def lifecycle_counts() -> dict[str, int]:
    """Customers per lifecycle stage now (every stage, 0 where empty)."""
    counts = dict(
        CustomerScore.objects.values_list("lifecycle_stage")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("lifecycle_stage", "n")
    )
    return {code: counts.get(code, 0) for code in LifecycleStage.values}


@dataclass(frozen=True)
class LifecycleMovement:
    """Moves between lifecycle stages that the stored first and last paid order dates
    determine exactly, around the snapshot's ``as_of`` (``days`` = 30 by default):

    - ``became_customers``: first paid order in the last ``days`` days (prospect → new);
    - ``new_to_active``: first paid order ``new_days``+1 … ``new_days``+``days`` days ago,
      active now (new at as_of − days, no longer new);
    - ``active_to_warning``: churn warning now, last paid order ``active_days``+1 …
      ``active_days``+``days`` days ago (active at as_of − days);
    - ``warning_to_lost``: lost now, last paid order ``warning_days``+1 … ``warning_days``
      +``days`` days ago (churn warning at as_of − days);
    - ``won_back``: in the won-back stage (a paid order after more than ``active_days``
      days without one, within the last ``won_back_days`` days);
    - ``active_at_risk`` / ``warning_at_risk``: active / churn warning now and, without a
      new order, past the active / warning threshold within the next ``days`` days.

    The scores keep no history, so moves that need the date of an earlier return order
    (won back → active) are not counted."""

    days: int
    became_customers: int
    new_to_active: int
    active_to_warning: int
    warning_to_lost: int
    won_back: int
    active_at_risk: int
    warning_at_risk: int


def lifecycle_movement(*, as_of: date, days: int = MOVEMENT_DAYS) -> LifecycleMovement:
    """The :class:`LifecycleMovement` of the scores as of ``as_of``: one grouped query."""
    a = settings.ANALYTICS
    new_days, active_days = a["LIFECYCLE_NEW_DAYS"], a["LIFECYCLE_ACTIVE_DAYS"]
    warning_days = a["LIFECYCLE_WARNING_DAYS"]
    stage = LifecycleStage

    def first_between(oldest: int, newest: int) -> Q:
        """First paid order between ``oldest`` and ``newest`` days before as_of."""
        return Q(
            first_order_at__gte=day_start(as_of - timedelta(days=oldest)),
            first_order_at__lt=day_start(as_of - timedelta(days=newest - 1)),
        )

    def recency(stage_code: str, low: int, high: int) -> Q:
        return Q(lifecycle_stage=stage_code, recency_days__gte=low, recency_days__lte=high)

    counts = CustomerScore.objects.aggregate(
        became_customers=Count("pk", filter=first_between(days - 1, 0)),
        new_to_active=Count(
            "pk",
            filter=Q(lifecycle_stage=stage.ACTIVE) & first_between(new_days + days, new_days + 1),
        ),
        active_to_warning=Count(
            "pk", filter=recency(stage.CHURN_WARNING, active_days + 1, active_days + days)
        ),
        warning_to_lost=Count(
            "pk", filter=recency(stage.LOST, warning_days + 1, warning_days + days)
        ),
        won_back=Count("pk", filter=Q(lifecycle_stage=stage.WON_BACK)),
        active_at_risk=Count(
            "pk", filter=recency(stage.ACTIVE, active_days - days + 1, active_days)
        ),
        warning_at_risk=Count(
            "pk", filter=recency(stage.CHURN_WARNING, warning_days - days + 1, warning_days)
        ),
    )
    return LifecycleMovement(days=days, **counts)


def tier_distribution() -> list[dict]:
    """Customers per membership tier now (lowest rank first, every tier), then those
    without a tier (``tier`` None): ``tier``, ``rank``, ``customers``. Two queries."""
    counts = dict(
        Customer.objects.values_list("tier_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("tier_id", "n")
    )
    rows = [
        {"tier": name, "rank": rank, "customers": counts.get(pk, 0)}
        for pk, name, rank in MembershipTier.objects.order_by("rank").values_list(
            "pk", "name", "rank"
        )
    ]
    if counts.get(None):
        rows.append({"tier": None, "rank": None, "customers": counts[None]})
    return rows
