"""Segment writes: create, update, delete, snapshot, refresh the member count."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from analytics.metrics.rfm import RECOMMENDED_ACTIONS
from analytics.models import BUILTIN_SEGMENT_FIELDS, LifecycleStage, Segment, SegmentMember
from analytics.selectors import segment_members
from customers.errors import ServiceError
from customers.models import Customer

SNAPSHOT_BATCH_SIZE = 5000


class SegmentError(ServiceError):
    pass


@transaction.atomic
def segment_create(
    *,
    name: str,
    rule: dict,
    kind: str = Segment.Kind.DYNAMIC,
    description: str = "",
    recommended_action: str = "",
    created_by: AbstractBaseUser | None = None,
    as_of: date | None = None,
) -> Segment:
    """Validate and save a segment; a static one snapshots its members now.

    A bad rule raises ``ValidationError`` on ``rule`` naming the place (see segment_rules).
    """
    segment = Segment(
        name=name,
        rule=rule,
        kind=kind,
        description=description,
        recommended_action=recommended_action,
        created_by=created_by,
    )
    segment.full_clean()
    segment.save()
    if kind == Segment.Kind.STATIC:
        segment_snapshot(segment=segment, as_of=as_of)
    else:
        segment_refresh_count(segment=segment, as_of=as_of)
    return segment


def segment_update(*, segment: Segment, as_of: date | None = None, **changes) -> Segment:
    """Change a segment's name, description, rule, kind or action text; validated like a
    new one. A built-in segment's rule and kind stay as shipped. A static segment
    re-snapshots when its rule or kind changes."""
    if segment.is_builtin and ({"rule", "kind"} & set(changes)):
        raise SegmentError("builtin", "a built-in segment's rule and kind cannot change")
    for name, value in changes.items():
        setattr(segment, name, value)
    segment.full_clean()
    segment.save()
    if segment.kind == Segment.Kind.STATIC and ({"rule", "kind"} & set(changes)):
        segment_snapshot(segment=segment, as_of=as_of)
    else:
        segment_refresh_count(segment=segment, as_of=as_of)
    return segment


def segment_delete(*, segment: Segment) -> None:
    """Delete a segment nobody relies on: built-in ones and those a campaign targeted are
    kept (the campaign's report needs its audience)."""
    if segment.is_builtin:
        raise SegmentError("builtin", "built-in segments cannot be deleted")
    if segment.campaigns.exists():
        raise SegmentError("in_use", "a campaign targeted this segment; it is kept for its report")
    segment.delete()


@transaction.atomic
def segment_snapshot(*, segment: Segment, as_of: date | None = None) -> int:
    """Freeze the rule's current customers as the members of a static segment."""
    rule_matches = segment_members(
        segment=Segment(rule=segment.rule, kind=Segment.Kind.DYNAMIC), as_of=as_of
    )
    SegmentMember.objects.filter(segment=segment).delete()
    ids = rule_matches.values_list("pk", flat=True).order_by("pk")
    _add_members(segment, ids.iterator(chunk_size=SNAPSHOT_BATCH_SIZE))
    return segment_refresh_count(segment=segment, as_of=as_of)


def _add_members(segment: Segment, customer_ids) -> None:
    now = timezone.now()
    batch: list[SegmentMember] = []
    for customer_id in customer_ids:
        batch.append(SegmentMember(segment=segment, customer_id=customer_id, added_at=now))
        if len(batch) >= SNAPSHOT_BATCH_SIZE:
            SegmentMember.objects.bulk_create(batch)
            batch = []
    SegmentMember.objects.bulk_create(batch)


@transaction.atomic
def segment_create_from_list(
    *,
    name: str,
    external_ids: list[str],
    description: str = "",
    created_by: AbstractBaseUser | None = None,
) -> tuple[Segment, list[str]]:
    """A static segment of the customers an uploaded list names by external id.

    Returns the segment and the ids that matched no customer (reported, not invented)."""
    wanted = list(dict.fromkeys(x.strip() for x in external_ids if x and x.strip()))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), SNAPSHOT_BATCH_SIZE):
        part = wanted[start : start + SNAPSHOT_BATCH_SIZE]
        found.update(Customer.objects.filter(external_id__in=part).values_list("external_id", "pk"))
    segment = Segment(
        name=name,
        rule={"all": []},
        kind=Segment.Kind.STATIC,
        description=description or f"Uploaded list of {len(found):,} customers",
        created_by=created_by,
    )
    segment.full_clean()
    segment.save()
    _add_members(segment, sorted(found.values()))
    segment_refresh_count(segment=segment)
    return segment, [x for x in wanted if x not in found]


def segment_refresh_count(*, segment: Segment, as_of: date | None = None) -> int:
    """Store the member count cache of a segment."""
    count = segment_members(segment=segment, as_of=as_of).count()
    Segment.objects.filter(pk=segment.pk).update(member_count=count, member_count_at=timezone.now())
    segment.member_count = count
    return count


LIFECYCLE_ACTIONS = {
    LifecycleStage.PROSPECT: gettext_noop(
        "New-user activation: a first-order threshold coupon within 24 hours of sign-up."
    ),
    LifecycleStage.NEW: gettext_noop(
        "Second-order coupon and an invitation to the welfare group within 30 days."
    ),
    LifecycleStage.ACTIVE: gettext_noop(
        "Keep them engaged: recommendations, points, community content; no discount needed."
    ),
    LifecycleStage.CHURN_WARNING: gettext_noop(
        "Win-back before it is too late: limited-time discount with personalised picks."
    ),
    LifecycleStage.LOST: gettext_noop("Last-chance reactivation offer; then stop paid contact."),
    LifecycleStage.WON_BACK: gettext_noop(
        "Consolidate the return: thank-you points and a follow-up offer within 30 days."
    ),
}


def segments_ensure_builtin() -> int:
    """Create or refresh the built-in segments: one per RFM segment, RFM class and
    lifecycle stage, each with its recommended action. Returns how many exist."""
    actions = {
        "rfm_segment": RECOMMENDED_ACTIONS,
        "rfm_class": RECOMMENDED_ACTIONS,
        "lifecycle_stage": LIFECYCLE_ACTIONS,
    }
    count = 0
    # Stored in English (the name is the segment's key); pages show Segment.label.
    with translation.override("en"):
        for field, (pattern, choices) in BUILTIN_SEGMENT_FIELDS.items():
            for code, label in choices.choices:
                Segment.objects.update_or_create(
                    name=pattern % {"label": label},
                    defaults={
                        "rule": {"field": field, "op": "=", "value": code},
                        "kind": Segment.Kind.DYNAMIC,
                        "is_builtin": True,
                        "recommended_action": actions[field][code],
                        "description": f"Customers whose {field.replace('_', ' ')} is {label}.",
                    },
                )
                count += 1
    return count


def segments_refresh_counts(*, as_of: date | None = None) -> int:
    """Refresh every segment's member count; returns how many segments were counted."""
    segments = list(Segment.objects.all())
    for segment in segments:
        segment_refresh_count(segment=segment, as_of=as_of)
    return len(segments)
