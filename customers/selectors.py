"""Reusable reads of the customers app."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from customers.models import CommunityGroup, Customer


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
