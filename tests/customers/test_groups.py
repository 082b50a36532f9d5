"""Community groups: bulk adds within capacity, removals keep history, KOC marking, all
in the audit trail."""

import pytest

from customers.models import AuditEntry, GroupMembership
from customers.services import (
    GroupError,
    customers_mark_koc,
    group_members_add,
    group_members_remove,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_adding_respects_capacity_and_skips_members():
    group = f.CommunityGroupFactory(capacity=5)
    existing = f.GroupMembershipFactory(group=group).customer
    people = [f.CustomerFactory() for _ in range(6)]
    result = group_members_add(group=group, customers=[existing, *people])
    assert result == {"added": 4, "already": 1, "full": 2}
    active = GroupMembership.objects.filter(group=group, left_at__isnull=True)
    assert active.count() == 5
    assert set(active.values_list("customer_id", flat=True)) == {existing.pk} | {
        c.pk for c in people[:4]
    }
    assert AuditEntry.objects.filter(action="group_join").count() == 4


def test_removal_closes_the_membership_and_a_customer_can_rejoin():
    group = f.CommunityGroupFactory(capacity=10)
    customer = f.CustomerFactory()
    group_members_add(group=group, customers=[customer])
    assert group_members_remove(group=group, customers=[customer]) == 1
    assert group_members_remove(group=group, customers=[customer]) == 0
    assert group_members_add(group=group, customers=[customer])["added"] == 1
    assert GroupMembership.objects.filter(group=group, customer=customer).count() == 2


def test_an_inactive_group_takes_nobody():
    group = f.CommunityGroupFactory(active=False)
    with pytest.raises(GroupError, match="not active"):
        group_members_add(group=group, customers=[f.CustomerFactory()])


def test_koc_marking_changes_only_who_changes():
    a, b = f.CustomerFactory(), f.CustomerFactory(is_koc=True)
    assert customers_mark_koc(customers=[a, b]) == 1
    a.refresh_from_db()
    assert a.is_koc
    entry = AuditEntry.objects.get(action="koc")
    assert (entry.customer_id, entry.before, entry.after) == (
        a.pk,
        {"is_koc": False},
        {"is_koc": True},
    )
