"""Community groups: ``/groups/`` and ``/groups/<id>/`` over a date range in the URL, with
numbers checked on paper, masking, the ops actions and their refusal to other roles."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from campaigns.models import Redemption
from campaigns.selectors import group_report, group_reports
from customers.models import GroupMembership
from tests import factories as f

pytestmark = pytest.mark.django_db
START = timezone.make_aware(datetime(2026, 5, 1, 10))
PERIOD = "start=2026-05-01&end=2026-05-30"  # [START's day, START + 30 days)


def order(customer, total, *, days=1):
    at = START + timedelta(days=days)
    return f.OrderFactory(
        customer=customer, created_at=at, paid_at=at, paid_total=D(total), goods_total=D(total)
    )


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _csv(response) -> list[str]:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def club():
    """VIP Club (capacity 4) in May 2026: Ann (member since March) buys 100 and 50 (10
    refunded); Bo (KOC, joined on day 3) buys 70, and 30 with the club's exclusive coupon
    (12 off); Cy left on day 5 after buying 999 (not the club's: gone at the end); Ann's
    order of day 40 is after the period. Tea Circle: Ann too, nothing else.

    May: 2 members, 1 KOC, 1 joined, 1 left, 2 buyers, 4 orders, revenue
    100 + 50 − 10 + 70 + 30 = 240, 1 exclusive redemption for 12."""
    group = f.CommunityGroupFactory(name="VIP Club", kind="vip", capacity=4)
    tea = f.CommunityGroupFactory(name="Tea Circle", kind="interest", capacity=100)
    ann = f.CustomerFactory(
        external_id="C-ANN", name="Ann", email="ann@example.com", phone="13811112222"
    )
    bo = f.CustomerFactory(external_id="C-BO", name="Bo", email="bo@example.com", phone="")
    cy = f.CustomerFactory(external_id="C-CY", name="Cy")
    GroupMembership.objects.create(customer=ann, group=group, joined_at=START - timedelta(days=60))
    GroupMembership.objects.create(
        customer=bo, group=group, joined_at=START + timedelta(days=3), role="koc"
    )
    GroupMembership.objects.create(
        customer=cy, group=group, joined_at=START - timedelta(days=60),
        left_at=START + timedelta(days=5),
    )  # fmt: skip
    GroupMembership.objects.create(customer=ann, group=tea, joined_at=START - timedelta(days=90))
    order(ann, "100")
    refunded = order(ann, "50", days=2)
    f.ReturnFactory(
        order=refunded, order_line=f.OrderLineFactory(order=refunded), refund_amount=D("10")
    )
    order(bo, "70", days=10)
    order(cy, "999", days=1)
    order(ann, "40", days=40)
    template = f.CouponTemplateFactory(name="Club 30 off", group=group)
    Redemption.objects.create(
        coupon=f.CouponFactory(template=template, customer=bo), customer=bo,
        order=order(bo, "30", days=11), discount_amount=D("12"),
        redeemed_at=START + timedelta(days=11),
    )  # fmt: skip
    return {"group": group, "tea": tea, "ann": ann, "bo": bo, "cy": cy}


# --- The selector ----------------------------------------------------------------------------


def test_group_reports_for_many_groups_equal_each_groups_report(club):
    end = START + timedelta(days=30)
    both = group_reports([club["group"], club["tea"]], start=START, end=end)
    for group in (club["group"], club["tea"]):
        assert both[group.pk] == group_report(group, start=START, end=end)
    vip, tea = both[club["group"].pk], both[club["tea"].pk]
    assert (vip.members, vip.kocs, vip.joined, vip.left) == (2, 1, 1, 1)
    assert (vip.active_buyers, vip.orders, vip.revenue) == (2, 4, D("240"))
    assert (vip.redemptions, vip.exclusive_discount) == (1, D("12"))
    assert (tea.members, tea.active_buyers, tea.orders, tea.revenue) == (1, 1, 2, D("140"))
    assert (tea.redemptions, tea.exclusive_discount) == (0, D("0"))


# --- Roles -----------------------------------------------------------------------------------


def test_the_group_pages_need_the_view_communitygroup_permission(client, club):
    pk = club["group"].pk
    assert client.get("/groups/").status_code == 302
    nobody = f.UserFactory(username="nobody")
    nobody.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(nobody)
    assert client.get("/groups/").status_code == 403
    assert client.get(f"/groups/{pk}/").status_code == 403
    nobody.user_permissions.add(Permission.objects.get(codename="view_communitygroup"))
    client.force_login(nobody)
    assert client.get("/groups/").status_code == 200
    assert client.get(f"/groups/{pk}/").status_code == 200
    assert client.get("/groups/999999/").status_code == 404


# --- The list --------------------------------------------------------------------------------


def test_the_list_shows_each_groups_numbers_for_the_period_in_the_url(login_as, club):
    client = login_as("manager")
    page = _html(client.get(f"/groups/?{PERIOD}"))
    assert "Showing 2026-05-01 to 2026-05-30" in page
    assert "Channel and category do not apply to groups" in page
    rows = _csv(client.get(f"/groups/?{PERIOD}&export=groups"))
    assert rows[0] == (
        "Group,Kind,Platform,Active,Members at the end,Capacity,Filled,KOCs,Joined,Left,"
        "Members who bought,Share who bought,Orders,Net revenue,Exclusive offers used,"
        "Exclusive discount given"
    )
    assert rows[1:] == [
        "Tea Circle,interest,WeCom,yes,1,100,0.01,0,0,0,1,1.0,2,140.00,0,0.00",
        "VIP Club,VIP,WeCom,yes,2,4,0.5,1,1,1,2,1.0,4,240.00,1,12.00",
    ]
    assert "<canvas" in page  # the charts, next to the table of the same numbers


def test_another_period_gives_other_numbers(login_as, club):
    rows = _csv(login_as("manager").get("/groups/?start=2026-06-01&end=2026-06-30&export=groups"))
    # June: Ann's order of day 40 (June 10) only
    assert rows[2] == "VIP Club,VIP,WeCom,yes,2,4,0.5,1,0,0,1,0.5,1,40.00,0,0.00"


def test_the_list_costs_the_same_queries_for_8_groups_as_for_2(
    login_as, club, django_assert_max_num_queries
):
    client = login_as("manager")
    client.get(f"/groups/?{PERIOD}")
    with django_assert_max_num_queries(12):
        _html(client.get(f"/groups/?{PERIOD}"))
    for _ in range(6):
        f.GroupMembershipFactory(group=f.CommunityGroupFactory(), customer=club["ann"])
    with django_assert_max_num_queries(12):
        _html(client.get(f"/groups/?{PERIOD}"))


def test_no_group_yet_says_how_to_start(login_as):
    assert "No community group yet" in _html(login_as("manager").get("/groups/"))


# --- One group -------------------------------------------------------------------------------


def test_the_group_page_shows_the_report_flow_members_and_offers(login_as, club):
    group = club["group"]
    page = _html(login_as("ops").get(f"/groups/{group.pk}/?{PERIOD}"))
    assert 'data-figure="members">2 / 4<' in page
    assert 'data-figure="kocs">1<' in page
    assert "0 current members are flagged KOC" in page  # the role counts, not the flag
    assert 'data-figure="flow">+1 / −1<' in page
    assert 'data-figure="revenue">240.00<' in page
    assert 'data-figure="redemptions">1<' in page and "12.00 discount given" in page
    assert "2 current members" in page
    members = page[page.index('id="table-members"') :]
    # KOCs first: Bo, then Ann
    assert members.index("C-BO") < members.index("C-ANN")
    bo_row = members[members.index(f'data-customer="{club["bo"].pk}"') :]
    assert "KOC</span>" in bo_row[: bo_row.index("</tr>")]
    assert "C-CY" not in members  # left
    assert "ann@example.com" in page  # ops see PII
    assert "Club 30 off" in page
    flow = _csv(login_as("ops").get(f"/groups/{group.pk}/?{PERIOD}&export=flow"))
    assert "2026-05-04,1,0" in flow and "2026-05-06,0,1" in flow
    assert len(flow) == 1 + 30


def test_managers_see_members_masked_and_no_action_buttons(login_as, club):
    group = club["group"]
    for role in ("manager", "analyst"):
        client = login_as(role)
        page = _html(client.get(f"/groups/{group.pk}/?{PERIOD}"))
        assert "ann@example.com" not in page and "13811112222" not in page
        assert "a***@example.com" in page and "138****2222" in page
        assert "data-action=" not in page
        rows = _csv(client.get(f"/groups/{group.pk}/?{PERIOD}&export=members"))
        assert rows[0] == (
            "External id,Name,E-mail,Phone,Role,KOC,Joined,Tier,Points,Lifecycle stage"
        )
        assert rows[2].startswith("C-ANN,Ann,a***@example.com,138****2222,member,,2026-03-02")
    ops_rows = _csv(login_as("ops").get(f"/groups/{group.pk}/?{PERIOD}&export=members"))
    assert ops_rows[2].startswith("C-ANN,Ann,ann@example.com,13811112222,member,")
    assert ops_rows[1].startswith("C-BO,Bo,bo@example.com,,KOC,yes,")


@pytest.mark.parametrize("role", ["manager", "analyst"])
@pytest.mark.parametrize("action", ["mark_koc", "unmark_koc", "remove"])
def test_managers_and_analysts_cannot_act_on_members(login_as, club, role, action):
    group, ann = club["group"], club["ann"]
    response = login_as(role).post(f"/groups/{group.pk}/", {"action": action, "customer": ann.pk})
    assert response.status_code == 403
    ann.refresh_from_db()
    assert not ann.is_koc
    assert GroupMembership.objects.get(group=group, customer=ann).left_at is None


def test_ops_mark_a_koc_and_remove_a_member(login_as, club):
    group, ann = club["group"], club["ann"]
    client = login_as("ops")
    page = _html(client.get(f"/groups/{group.pk}/?{PERIOD}"))
    assert 'data-action="mark_koc"' in page and 'data-action="remove"' in page
    url = f"/groups/{group.pk}/?{PERIOD}"
    response = client.post(url, {"action": "mark_koc", "customer": ann.pk})
    assert response.status_code == 302 and response["Location"] == url
    ann.refresh_from_db()
    assert ann.is_koc
    page = _html(client.get(url))
    assert "Ann is now marked as a KOC." in page
    assert "1 current member is flagged KOC" in page
    client.post(url, {"action": "remove", "customer": ann.pk})
    assert GroupMembership.objects.get(group=group, customer=ann).left_at is not None
    assert "1 current member" in _html(client.get(url))


def test_the_group_page_costs_the_same_queries_for_more_members(
    login_as, club, django_assert_max_num_queries
):
    group = club["group"]
    group.capacity = 200
    group.save()
    client = login_as("ops")
    client.get(f"/groups/{group.pk}/?{PERIOD}")
    with django_assert_max_num_queries(18):
        _html(client.get(f"/groups/{group.pk}/?{PERIOD}"))
    for _ in range(60):
        f.GroupMembershipFactory(group=group, joined_at=START)
    with django_assert_max_num_queries(18):
        page = _html(client.get(f"/groups/{group.pk}/?{PERIOD}"))
    assert "Page 1 of 2" in page
