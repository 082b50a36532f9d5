"""Selectors of the people pages (members and community groups): the member search, the
customer 360 and a group's members and flow.

They live in campaigns because a customer's record reads all four apps (customers,
catalog orders, analytics events and scores, campaigns coupons and recipients), and only
campaigns may import them all (DESIGN §1). Every read is bounded: a page costs the same
for a customer with ten orders as for one with ten thousand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from analytics.loaders import day_end, day_start
from analytics.models import Event
from analytics.selectors.reports import customer_recommendations
from campaigns.models import CampaignRecipient, Coupon, Redemption
from catalog.models import Order
from customers.models import (
    AuditEntry,
    CommunityGroup,
    Customer,
    CustomerTag,
    GroupMembership,
    PointsEntry,
    TierChange,
)

# --- Member search ------------------------------------------------------------------------

# The largest code point: ``field >= term AND field < term + PREFIX_END`` is a prefix range
# a B-tree index answers (unlike ``LIKE 'term%'`` under most PostgreSQL collations, or any
# ``icontains``, which reads every row).
PREFIX_END = "\U0010ffff"
PHONE_NOISE = re.compile(r"[\s\-()]")
MIN_PREFIX = 2  # e-mail prefixes shorter than this match too much to be a search


def _prefix(field_name: str, term: str) -> Q:
    # The range finds the rows through the index; ``startswith`` keeps the answer exact
    # where a collation sorts some non-prefixed strings inside the range.
    return Q(
        **{
            f"{field_name}__gte": term,
            f"{field_name}__lt": term + PREFIX_END,
            f"{field_name}__startswith": term,
        }
    )


def customer_search_q(term: str, *, with_pii: bool) -> Q | None:
    """The condition of a member search: the external id exactly, the name exactly or by
    prefix (as typed, capitalised or in title case); with ``with_pii``, also the e-mail (exactly, or by
    prefix in lower case) and the phone (by prefix, spaces and dashes ignored). Every
    branch is an index lookup on an indexed column, so the search answers at once at 100k
    members. Users who may not see PII cannot search by it (it would reveal it). None
    for an empty term."""
    term = term.strip()
    if not term:
        return None
    # A name prefix of one character is a search too: a Chinese surname (周, 王).
    conditions = [Q(external_id=term)] + [
        _prefix("name", variant)
        for variant in dict.fromkeys([term, term[:1].upper() + term[1:], term.title()])
    ]
    if with_pii:
        lower = term.lower()
        if "@" in term:
            conditions += [Q(email=term), Q(email=lower)]
        elif len(term) >= MIN_PREFIX:
            conditions.append(_prefix("email", lower))
        digits = PHONE_NOISE.sub("", term)
        if len(digits) >= 3 and digits.lstrip("+").isdigit():
            conditions.append(_prefix("phone", digits))
    return reduce(or_, conditions)


@dataclass(frozen=True)
class CustomerQuery:
    """What the member list is filtered by (each part optional)."""

    term: str = ""
    tier: int | None = None
    lifecycle: str = ""
    segment: str = ""
    rfm_class: str = ""
    tag: int | None = None
    group: int | None = None


def customer_directory(query: CustomerQuery, *, with_pii: bool) -> QuerySet[Customer]:
    """Members matching the query, newest first, with tier and score joined (one query per
    page of results)."""
    customers = Customer.objects.select_related("tier", "score")
    condition = customer_search_q(query.term, with_pii=with_pii)
    if condition is not None:
        customers = customers.filter(condition)
    if query.tier:
        customers = customers.filter(tier_id=query.tier)
    if query.lifecycle:
        customers = customers.filter(score__lifecycle_stage=query.lifecycle)
    if query.segment:
        customers = customers.filter(score__rfm_segment=query.segment)
    if query.rfm_class:
        customers = customers.filter(score__rfm_class=query.rfm_class)
    if query.tag:
        customers = customers.filter(
            Exists(CustomerTag.objects.filter(customer=OuterRef("pk"), tag_id=query.tag))
        )
    if query.group:
        customers = customers.filter(
            Exists(
                GroupMembership.objects.filter(
                    customer=OuterRef("pk"), group_id=query.group, left_at__isnull=True
                )
            )
        )
    return customers.order_by("-registered_at", "-id")


# --- Customer 360 -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # order, event, coupon, redemption, points, group_join, group_leave, tier
    title: str
    detail: str = ""
    amount: object = None
    url: str = ""


@dataclass
class Customer360:
    customer: Customer
    tags: list[CustomerTag]
    memberships: list[GroupMembership]  # active ones
    timeline: list[TimelineEntry]
    complete_since: datetime | None  # older activity may be missing from the timeline
    orders: list[Order]
    coupons: list[Coupon]
    points: list[PointsEntry]
    campaigns: list[dict]
    recommendations: list[dict]
    changes: list[AuditEntry]
    counts: dict = field(default_factory=dict)


def _cut(rows: list, limit: int, moment) -> datetime | None:
    """The time from which a source fetched with ``limit`` is complete: None when it
    returned fewer rows (it holds everything)."""
    return moment(rows[-1]) if len(rows) >= limit else None


def customer_360(customer_id: int, *, limit: int = 20) -> Customer360:
    """Everything about one customer, each source read with one query of at most
    ``limit`` rows (the latest): profile, score, tier, tags, active groups, orders,
    events, coupons issued and redeemed, points entries, group joins and leaves, tier
    changes, campaigns that reached them (with arm and outcome), recommendations and the
    latest audit entries.

    The timeline merges the sources newest first. Each source is complete down to its
    oldest row read; ``complete_since`` is the newest of those among the sources that hit
    their limit: from then on nothing is missing, before it some kinds may be (behaviour
    events, the densest source, are usually the first to reach their limit, and cutting the
    whole timeline there would hide the orders of a month ago)."""
    customer = Customer.objects.select_related(
        "tier", "score", "score__preferred_category", "referred_by"
    ).get(pk=customer_id)
    tags = list(
        CustomerTag.objects.filter(customer_id=customer_id)
        .select_related("tag")
        .order_by("tag__name")
    )
    orders = list(
        Order.objects.filter(customer_id=customer_id)
        .select_related("channel")
        .order_by("-created_at", "-id")[:limit]
    )
    events = list(
        Event.objects.filter(customer_id=customer_id)
        .select_related("product")
        .order_by("-occurred_at", "-id")[:limit]
    )
    coupons = list(
        Coupon.objects.filter(customer_id=customer_id)
        .select_related("template")
        .order_by("-issued_at", "-id")[:limit]
    )
    redemptions = list(
        Redemption.objects.filter(customer_id=customer_id)
        .select_related("coupon__template", "order")
        .order_by("-redeemed_at", "-id")[:limit]
    )
    points = list(
        PointsEntry.objects.filter(customer_id=customer_id)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )
    stays = list(
        GroupMembership.objects.filter(customer_id=customer_id)
        .select_related("group")
        .annotate(last_change=Coalesce("left_at", "joined_at"))
        .order_by("-last_change", "-id")[:limit]
    )
    tier_changes = list(
        TierChange.objects.filter(customer_id=customer_id)
        .select_related("from_tier", "to_tier")
        .order_by("-changed_at", "-id")[:limit]
    )
    cuts = [
        _cut(orders, limit, lambda o: o.created_at),
        _cut(events, limit, lambda e: e.occurred_at),
        _cut(coupons, limit, lambda c: c.issued_at),
        _cut(redemptions, limit, lambda r: r.redeemed_at),
        _cut(points, limit, lambda p: p.created_at),
        _cut(stays, limit, lambda m: m.last_change),
        _cut(tier_changes, limit, lambda t: t.changed_at),
    ]
    complete_since = max((c for c in cuts if c is not None), default=None)
    timeline = _timeline(orders, events, coupons, redemptions, points, stays, tier_changes)
    memberships = sorted((m for m in stays if m.left_at is None), key=lambda m: m.group.name)
    if len(stays) >= limit:  # active stays may be older than the latest changes
        memberships = list(
            GroupMembership.objects.filter(customer_id=customer_id, left_at__isnull=True)
            .select_related("group")
            .order_by("group__name")
        )
    return Customer360(
        customer=customer,
        tags=tags,
        memberships=memberships,
        timeline=timeline,
        complete_since=complete_since,
        orders=orders,
        coupons=coupons,
        points=points,
        campaigns=customer_campaigns(customer_id, limit=limit),
        recommendations=customer_recommendations(customer_id),
        changes=list(
            AuditEntry.objects.filter(customer_id=customer_id).order_by("-at", "-id")[:10]
        ),
    )


def _timeline(orders, events, coupons, redemptions, points, stays, tier_changes):
    entries = [
        TimelineEntry(o.created_at, "order", o.external_id, o.get_status_display(), o.paid_total)
        for o in orders
    ]
    entries += [
        TimelineEntry(
            e.occurred_at, "event", e.get_type_display(), e.product.name if e.product else ""
        )
        for e in events
    ]
    entries += [TimelineEntry(c.issued_at, "coupon", c.template.name, c.code) for c in coupons]
    entries += [
        TimelineEntry(
            r.redeemed_at,
            "redemption",
            r.coupon.template.name,
            r.order.external_id + (" (reversed)" if r.reversed_at else ""),
            r.discount_amount,
        )
        for r in redemptions
    ]
    entries += [
        TimelineEntry(
            p.created_at, "points", p.get_reason_display(), p.note or p.reference, p.delta
        )
        for p in points
    ]
    for stay in stays:
        entries.append(TimelineEntry(stay.joined_at, "group_join", stay.group.name, stay.role))
        if stay.left_at:
            entries.append(TimelineEntry(stay.left_at, "group_leave", stay.group.name))
    entries += [
        TimelineEntry(
            t.changed_at,
            "tier",
            f"{t.from_tier or '—'} → {t.to_tier or '—'}",
            t.get_reason_display(),
        )
        for t in tier_changes
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def customer_campaigns(customer_id: int, *, limit: int = 20) -> list[dict]:
    """The latest campaigns that reached a customer: arm, contact, coupon and outcome
    (``redeemed`` the campaign coupon; ``converted``: a paid order in the attribution
    window). Two queries: the recipients, then the customer's paid order times within the
    windows."""
    recipients = list(
        CampaignRecipient.objects.filter(customer_id=customer_id)
        .select_related("campaign", "coupon")
        .annotate(
            redeemed=Exists(
                # as the campaign report counts them: kept, on a paid order
                Redemption.objects.filter(
                    coupon_id=OuterRef("coupon_id"),
                    reversed_at__isnull=True,
                    order__status__in=Order.PAID_STATUSES,
                )
            )
        )
        .order_by("-created_at", "-id")[:limit]
    )
    windows = {
        r.pk: (
            r.campaign.started_at,
            r.campaign.started_at + timedelta(days=r.campaign.attribution_days),
        )
        for r in recipients
        if r.campaign.started_at
    }
    paid_times: list[datetime] = []
    if windows:
        first = min(start for start, _ in windows.values())
        last = max(end for _, end in windows.values())
        paid_times = list(
            Order.objects.paid()
            .filter(customer_id=customer_id, paid_at__gte=first, paid_at__lt=last)
            .values_list("paid_at", flat=True)
        )
    now = timezone.now()
    rows = []
    for r in recipients:
        window = windows.get(r.pk)
        converted = bool(window and any(window[0] <= t < window[1] for t in paid_times))
        rows.append(
            {
                "recipient": r,
                "campaign": r.campaign,
                "arm": r.arm,
                "contacted_at": r.contacted_at,
                "coupon": r.coupon,
                "redeemed": r.redeemed,
                "converted": converted,
                "window_open": bool(window and window[1] > now),
                "outcome": _outcome(r, converted, window, now),
            }
        )
    return rows


def _outcome(recipient, converted: bool, window, now) -> str:
    """A machine code the page translates."""
    if recipient.is_control:
        return "control_converted" if converted else "control"
    if recipient.contacted_at is None:
        return "pending"
    if recipient.redeemed:
        return "redeemed"
    if converted:
        return "converted"
    return "open" if window and window[1] > now else "no_order"


# --- Community groups ---------------------------------------------------------------------


def group_members(group: CommunityGroup) -> QuerySet[GroupMembership]:
    """The group's current members, KOCs first, then by joining date (newest first), with
    the customer, tier and score joined."""
    return (
        GroupMembership.objects.filter(group=group, left_at__isnull=True)
        .select_related("customer", "customer__tier", "customer__score")
        .annotate(
            koc_first=Case(
                When(Q(role=GroupMembership.Role.KOC) | Q(customer__is_koc=True), then=Value(0)),
                default=Value(1),
            )
        )
        .order_by("koc_first", "-joined_at", "-id")
    )


def group_flow(group: CommunityGroup, *, start: date, end: date) -> list[dict]:
    """Joins and leaves per day of [start, end] (local dates, every day listed): two
    grouped queries."""
    since, until = day_start(start), day_end(end)
    memberships = GroupMembership.objects.filter(group=group)
    joined = dict(
        memberships.filter(joined_at__gte=since, joined_at__lt=until)
        .annotate(day=TruncDate("joined_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    left = dict(
        memberships.filter(left_at__gte=since, left_at__lt=until)
        .annotate(day=TruncDate("left_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [{"date": d, "joined": joined.get(d, 0), "left": left.get(d, 0)} for d in days]
