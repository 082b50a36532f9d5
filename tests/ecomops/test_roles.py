from django.contrib.auth.models import Group

from ecomops.roles import ROLE_PERMISSIONS, roles_sync
from tests.factories import UserFactory


def perms_of(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_migration_created_the_three_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_PERMISSIONS)


def test_only_ops_staff_may_view_pii(db):
    assert "customers.view_pii" in perms_of("Ops staff")
    assert "customers.view_pii" not in perms_of("Store manager")
    assert "customers.view_pii" not in perms_of("Analyst")


def test_ops_staff_manage_members_and_campaigns_but_cannot_edit_the_ledger(db):
    ops = perms_of("Ops staff")
    assert {
        "customers.change_customer",
        "customers.add_communitygroup",
        "campaigns.add_campaign",
    } <= ops
    assert "customers.change_pointsentry" not in ops
    assert "customers.delete_pointsentry" not in ops
    assert "campaigns.change_redemption" not in ops
    assert "catalog.change_order" not in ops


def test_store_managers_read_everything_and_set_targets_only(db):
    manager = perms_of("Store manager")
    assert {"catalog.view_order", "analytics.view_dailykpi", "campaigns.view_campaign"} <= manager
    assert "analytics.change_kpitarget" in manager
    writes = {p for p in manager if not p.split(".")[1].startswith("view_")}
    assert {p.split(".")[1].split("_", 1)[1] for p in writes} == {"kpitarget"}


def test_analysts_build_segments_but_change_nothing_else(db):
    analyst = perms_of("Analyst")
    writes = {
        p.split(".")[1].split("_", 1)[1] for p in analyst if not p.split(".")[1].startswith("view_")
    }
    # run_analytics: "Recompute now", which writes nothing but computed results
    assert writes == {"segment", "segmentmember", "analytics"}
    assert "analytics.run_analytics" in analyst
    assert "analytics.run_analytics" not in perms_of("Store manager")


def test_user_in_role_gets_its_permissions(db):
    user = UserFactory(username="olivia")
    user.groups.add(Group.objects.get(name="Ops staff"))
    assert user.has_perm("customers.view_pii")
    assert user.has_perm("campaigns.add_coupontemplate")
    assert not user.has_perm("customers.change_pointsentry")


def test_roles_sync_is_idempotent_and_restores_removed_permissions(db):
    group = Group.objects.get(name="Analyst")
    before = perms_of("Analyst")
    group.permissions.clear()
    counts = roles_sync()
    assert perms_of("Analyst") == before
    assert counts["Analyst"] == len(before)
    assert roles_sync() == counts
