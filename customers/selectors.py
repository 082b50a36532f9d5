"""Reusable reads of the customers app."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from customers.models import CommunityGroup, Customer, CustomerTag, GroupMembership


def customers_by_external_id(external_ids) -> tuple[list[int], list[str]]:
    """The ids of the customers with these external ids, and the external ids unknown."""
    wanted = list(dict.fromkeys(str(e) for e in external_ids))
    found = dict(Customer.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    return [found[e] for e in wanted if e in found], [e for e in wanted if e not in found]


def groups_with_counts() -> QuerySet[CommunityGroup]:
    """Groups, each with ``members`` = its active members."""
    return CommunityGroup.objects.annotate(
        members=Count("memberships", filter=Q(memberships__left_at__isnull=True))
    ).order_by("name")


def customers_label(rows: list[dict]) -> None:
    """Set ``row["labels"]`` = (tag names, active group names), sorted, on each customer
    row (a dict with ``id``): two queries for the lot (a list page's tags and groups)."""
    ids = [row["id"] for row in rows]
    tags: dict[int, list[str]] = {pk: [] for pk in ids}
    groups: dict[int, list[str]] = {pk: [] for pk in ids}
    links = CustomerTag.objects.filter(customer_id__in=ids).values_list("customer_id", "tag__name")
    for pk, name in links:
        tags[pk].append(name)
    active = GroupMembership.objects.filter(customer_id__in=ids, left_at__isnull=True)
    for pk, name in active.values_list("customer_id", "group__name"):
        groups[pk].append(name)
    for row in rows:
        row["labels"] = (sorted(tags[row["id"]]), sorted(groups[row["id"]]))
