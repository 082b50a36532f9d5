"""Members: the search and filters of ``/customers/``, the customer 360 at
``/customers/<id>/``, PII masking, the ops actions and their refusal to other roles."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from analytics.models import Recommendation
from campaigns import people
from campaigns.models import CampaignRecipient
from customers.models import AuditEntry, GroupMembership, PointsEntry
from customers.services import group_members_add, points_award
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _csv(response) -> list[str]:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def shop():
    """Zhang Wei (Gold, 120 points, champion, active, tag "VIP", in "VIP Club") and Li Na
    (no tier, 0 points, hibernating, in no group), plus a third customer, Wang Fang."""
    gold = f.TierFactory(name="Gold", rank=3)
    vip_tag = f.TagFactory(name="VIP")
    club = f.CommunityGroupFactory(name="VIP Club", kind="vip", capacity=10)
    zhang = f.CustomerFactory(
        external_id="C-ZW", name="Zhang Wei", email="zhang.wei@example.com",
        phone="13812341234", tier=gold, birthday=datetime(1990, 5, 17).date(),
    )  # fmt: skip
    li = f.CustomerFactory(
        external_id="C-LN", name="Li Na", email="li.na@example.com", phone="13900001111"
    )
    wang = f.CustomerFactory(external_id="C-WF", name="Wang Fang", phone="15000002222")
    points_award(
        customer=zhang, points=120, reason="order", idempotency_key="zw-1",
        at=NOW - timedelta(days=30),
    )  # fmt: skip
    f.CustomerScoreFactory(
        customer=zhang, lifecycle_stage="active", rfm_segment="champions",
        rfm_class="important_value", r_score=5, f_score=4, m_score=5, p_alive=0.8,
        predicted_value_90d=D("300.00"), historical_value=D("1234.50"),
        last_order_at=NOW - timedelta(days=3),
    )  # fmt: skip
    f.CustomerScoreFactory(customer=li, lifecycle_stage="lost", rfm_segment="hibernating")
    f.CustomerTagFactory(customer=zhang, tag=vip_tag)
    group_members_add(group=club, customers=[zhang], at=NOW - timedelta(days=31))
    return {"zhang": zhang, "li": li, "wang": wang, "gold": gold, "tag": vip_tag, "club": club}


# --- Roles ---------------------------------------------------------------------------------


def test_the_member_pages_need_the_view_customer_permission(client, shop):
    zhang = shop["zhang"]
    assert client.get("/customers/").status_code == 302  # to the login page
    nobody = f.UserFactory(username="nobody")
    client.force_login(nobody)
    assert client.get("/customers/").status_code == 403
    assert client.get(f"/customers/{zhang.pk}/").status_code == 403
    nobody.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(nobody)
    assert client.get("/customers/").status_code == 200
    assert client.get(f"/customers/{zhang.pk}/").status_code == 200
    assert client.get("/customers/999999/").status_code == 404


# --- Search --------------------------------------------------------------------------------


def _found(term: str, *, with_pii: bool) -> set[str]:
    query = people.CustomerQuery(term=term)
    return set(
        people.customer_directory(query, with_pii=with_pii).values_list("external_id", flat=True)
    )


class TestMemberSearch:
    def test_finds_by_exact_external_id(self, shop):
        assert _found("C-LN", with_pii=False) == {"C-LN"}
        assert _found("C-L", with_pii=False) == set()  # external ids are exact

    def test_finds_by_the_start_of_the_name_as_typed_or_capitalised(self, shop):
        assert _found("Zhang", with_pii=False) == {"C-ZW"}
        assert _found("zhang w", with_pii=False) == {"C-ZW"}
        assert _found("Wei", with_pii=False) == set()  # a prefix, not a substring

    def test_finds_a_chinese_surname_from_one_character(self, shop):
        f.CustomerFactory(external_id="C-ZL", name="周丽")
        assert _found("周", with_pii=False) == {"C-ZL"}

    def test_email_and_phone_only_for_users_who_may_see_them(self, shop):
        assert _found("zhang.wei@example.com", with_pii=True) == {"C-ZW"}
        assert _found("ZHANG.WEI@example.com", with_pii=True) == {"C-ZW"}
        assert _found("li.n", with_pii=True) == {"C-LN"}
        assert _found("139 0000", with_pii=True) == {"C-LN"}
        assert _found("zhang.wei@example.com", with_pii=False) == set()
        assert _found("1390000", with_pii=False) == set()

    def test_every_branch_is_an_index_lookup(self, shop):
        """At 100k members the search must not read the whole table: SQLite's plan for
        each branch of the OR is a SEARCH through an index, never a SCAN."""
        if connection.vendor != "sqlite":
            pytest.skip("the plan is checked on SQLite")
        for term in ("Zhang", "C-ZW", "138123", "zhang.wei@example.com", "周"):
            queryset = people.customer_directory(people.CustomerQuery(term=term), with_pii=True)
            sql, params = queryset.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                plan = [row[-1] for row in cursor.fetchall()]
            customer_steps = [step for step in plan if "customers_customer " in step]
            assert customer_steps and all("USING INDEX" in s for s in customer_steps), plan
            assert not any(s.startswith("SCAN customers_customer") for s in plan), plan


# --- The list --------------------------------------------------------------------------------


def test_the_list_shows_tier_points_lifecycle_segment_and_last_order(login_as, shop):
    page = _html(login_as("ops").get("/customers/?q=Zhang"))
    assert "1 member" in page
    row = page[page.index(f'data-customer="{shop["zhang"].pk}"') :]
    row = row[: row.index("</tr>")]
    for shown in ("Zhang Wei", "Gold", ">120<", "active", "champions", "1,234.50", "VIP Club"):
        assert shown in row, shown
    assert (NOW - timedelta(days=3)).date().isoformat() in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tier={gold}", {"C-ZW"}),
        ("lifecycle=lost", {"C-LN"}),
        ("segment=champions", {"C-ZW"}),
        ("rfm_class=important_value", {"C-ZW"}),
        ("tag={tag}", {"C-ZW"}),
        ("group={club}", {"C-ZW"}),
        ("", {"C-ZW", "C-LN", "C-WF"}),
    ],
)
def test_filters_narrow_the_list(login_as, shop, query, expected):
    ids = {"gold": shop["gold"].pk, "tag": shop["tag"].pk, "club": shop["club"].pk}
    page = _html(login_as("manager").get("/customers/?" + query.format(**ids)))
    shown = {c for c in ("C-ZW", "C-LN", "C-WF") if f"<td>{c}</td>" in page}
    assert shown == expected


def test_a_bad_filter_value_is_named_and_ignored(login_as, shop):
    page = _html(login_as("manager").get("/customers/?lifecycle=asleep"))
    assert 'role="alert"' in page
    assert "<td>C-LN</td>" in page and "<td>C-WF</td>" in page


def test_no_match_says_what_to_try(login_as, shop):
    page = _html(login_as("manager").get("/customers/?q=Nobody"))
    assert "No member matches" in page


def test_pii_is_masked_for_store_managers_and_analysts_in_the_list_and_csv(login_as, shop):
    for role in ("manager", "analyst"):
        client = login_as(role)
        page = _html(client.get("/customers/?q=Zhang"))
        assert "zhang.wei@example.com" not in page and "13812341234" not in page
        assert "z***@example.com" in page and "138****1234" in page
        rows = _csv(client.get("/customers/?q=Zhang&export=customers"))
        assert rows[0].startswith("External id,Name,E-mail,Phone,Tier,Points")
        assert rows[1].startswith("C-ZW,Zhang Wei,z***@example.com,138****1234,Gold,120,")
        assert rows[1].endswith(f",active,champions,{(NOW - timedelta(days=3)).date()},1234.50")
    ops_rows = _csv(login_as("ops").get("/customers/?q=Zhang&export=customers"))
    assert ops_rows[1].startswith("C-ZW,Zhang Wei,zhang.wei@example.com,13812341234,Gold,120,")


def test_the_export_follows_the_filters(login_as, shop):
    rows = _csv(login_as("ops").get(f"/customers/?tier={shop['gold'].pk}&export=customers"))
    assert len(rows) == 2 and rows[1].startswith("C-ZW,")


def test_the_list_costs_the_same_queries_for_50_members_as_for_3(
    login_as, shop, django_assert_max_num_queries
):
    client = login_as("ops")
    client.get("/customers/")  # session and permission caches warm
    with django_assert_max_num_queries(14):
        _html(client.get("/customers/"))
    for _ in range(60):
        customer = f.CustomerFactory()
        f.CustomerScoreFactory(customer=customer)
        f.CustomerTagFactory(customer=customer, tag=shop["tag"])
    with django_assert_max_num_queries(14):
        page = _html(client.get("/customers/"))
    assert "63 members" in page and "Page 1 of 2" in page


def test_an_empty_shop_says_how_to_get_members(login_as):
    page = _html(login_as("ops").get("/customers/"))
    assert "No members yet" in page


# --- The customer 360 ------------------------------------------------------------------------


@pytest.fixture
def history(shop):
    """Zhang Wei's history: 2 orders (199.00 completed, 59.90 pending), a visit, a coupon
    from a campaign that he redeemed, a left group, a recommendation."""
    zhang = shop["zhang"]
    first = f.OrderFactory(
        customer=zhang, external_id="SO-1", paid_total=D("199.00"),
        created_at=NOW - timedelta(days=10),
    )  # fmt: skip
    f.OrderFactory(
        customer=zhang, external_id="SO-2", status="pending", paid_total=D("59.90"),
        created_at=NOW - timedelta(days=1),
    )  # fmt: skip
    f.EventFactory(customer=zhang, type="visit", occurred_at=NOW - timedelta(hours=5))
    campaign = f.CampaignFactory(
        name="Spring win-back", started_at=NOW - timedelta(days=12), attribution_days=14
    )
    coupon = f.CouponFactory(customer=zhang, code="SPRING30", issued_at=NOW - timedelta(days=12))
    CampaignRecipient.objects.create(
        campaign=campaign, customer=zhang, arm="treatment", coupon=coupon,
        contacted_at=NOW - timedelta(days=12),
    )  # fmt: skip
    f.RedemptionFactory(
        coupon=coupon, order=first, discount_amount=D("30.00"), redeemed_at=first.created_at
    )
    held_out = f.CampaignFactory(name="Autumn test", started_at=NOW - timedelta(days=40))
    CampaignRecipient.objects.create(campaign=held_out, customer=zhang, arm="control")
    old = f.CommunityGroupFactory(name="Snack Hunters")
    GroupMembership.objects.create(
        customer=zhang, group=old, joined_at=NOW - timedelta(days=50),
        left_at=NOW - timedelta(days=20),
    )  # fmt: skip
    product = f.ProductFactory(name="Silk Scarf")
    Recommendation.objects.create(customer=zhang, product=product, rank=1, score=0.42)
    return zhang


def test_the_360_shows_profile_scores_timeline_campaigns_and_recommendations(login_as, history):
    page = _html(login_as("ops").get(f"/customers/{history.pk}/"))
    assert 'data-figure="points">120<' in page
    assert 'data-figure="historical_value">1,234.50<' in page
    assert 'data-figure="predicted_value">300.00<' in page
    assert 'data-figure="churn_risk">20.0%<' in page  # 1 − p_alive 0.8
    assert "5 / 4 / 5" in page and "重要价值 important value" in page
    assert "zhang.wei@example.com" in page and "1990-05-17" in page  # ops see PII
    assert ">VIP<" in page and "VIP Club" in page
    timeline = page[page.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</table>")]
    kinds = [k[: k.index('"')] for k in timeline.split('data-kind="')[1:]]
    assert kinds == [
        "event",  # the visit, 5 hours ago
        "order",  # SO-2, 1 day ago
        "order",  # SO-1, 10 days ago, and the coupon redeemed on it
        "redemption",
        "coupon",  # issued 12 days ago
        "group_leave",  # Snack Hunters, 20 days ago
        "points",  # +120, 30 days ago
        "group_join",  # VIP Club, 31 days ago
        "group_join",  # Snack Hunters, 50 days ago
    ]
    assert "SO-1" in timeline and "199.00" in timeline and "SPRING30" in timeline
    assert "+120" in timeline and "Snack Hunters" in timeline
    campaigns = page[page.index('id="campaigns"') :]
    assert "Spring win-back" in campaigns and 'data-outcome="redeemed"' in campaigns
    assert "Autumn test" in campaigns and 'data-outcome="control"' in campaigns
    assert "Silk Scarf" in page and "0.42" in page


def test_the_timeline_is_newest_first(history):
    view = people.customer_360(history.pk)
    moments = [entry.at for entry in view.timeline]
    assert moments == sorted(moments, reverse=True)
    assert view.complete_since is None  # every source fits under its limit


def test_each_timeline_source_is_limited_and_the_page_says_from_when_it_is_complete(login_as, shop):
    zhang = shop["zhang"]
    for hour in range(25):
        f.EventFactory(customer=zhang, occurred_at=NOW - timedelta(hours=hour))
    view = people.customer_360(zhang.pk, limit=20)
    assert sum(1 for e in view.timeline if e.kind == "event") == 20
    assert view.complete_since == NOW - timedelta(hours=19)
    page = _html(login_as("ops").get(f"/customers/{zhang.pk}/"))
    assert "complete since" in page


def test_the_360_costs_the_same_queries_for_a_long_history(
    login_as, history, django_assert_max_num_queries
):
    client = login_as("ops")
    client.get(f"/customers/{history.pk}/")
    with django_assert_max_num_queries(24):
        _html(client.get(f"/customers/{history.pk}/"))
    for day in range(40):
        f.OrderFactory(customer=history, created_at=NOW - timedelta(days=day, hours=1))
        f.EventFactory(customer=history, occurred_at=NOW - timedelta(days=day))
        points_award(customer=history, points=1, reason="review", idempotency_key=f"r{day}")
    with django_assert_max_num_queries(24):
        _html(client.get(f"/customers/{history.pk}/"))


def test_the_360_masks_pii_and_hides_actions_for_managers_and_analysts(login_as, history):
    for role in ("manager", "analyst"):
        page = _html(login_as(role).get(f"/customers/{history.pk}/"))
        assert "zhang.wei@example.com" not in page and "13812341234" not in page
        assert "1990-05-17" not in page
        assert "z***@example.com" in page and "138****1234" in page and "****-**-**" in page
        assert "data-action=" not in page
    page = _html(login_as("ops").get(f"/customers/{history.pk}/"))
    for action in ("points", "group_add", "group_remove"):
        assert f'data-action="{action}"' in page


def test_the_360_exports_its_tables_masked_or_not(login_as, history):
    rows = _csv(login_as("manager").get(f"/customers/{history.pk}/?export=orders"))
    assert rows[0] == "Order,Placed,Status,Channel,Paid"
    assert rows[1:] == [
        f"SO-2,{(NOW - timedelta(days=1)).date()},pending,,59.90",
        f"SO-1,{(NOW - timedelta(days=10)).date()},completed,,199.00",
    ]
    assert login_as("manager").get(f"/customers/{history.pk}/?export=nope").status_code == 404


# --- Actions -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "analyst"])
@pytest.mark.parametrize(
    "data",
    [
        {"action": "points", "delta": "50", "note": "goodwill", "key": "k1"},
        {"action": "group_add", "group": "GROUP"},
        {"action": "group_remove", "group": "GROUP"},
    ],
)
def test_managers_and_analysts_cannot_act(login_as, shop, role, data):
    zhang, club = shop["zhang"], shop["club"]
    data = {k: (str(club.pk) if v == "GROUP" else v) for k, v in data.items()}
    response = login_as(role).post(f"/customers/{zhang.pk}/", data)
    assert response.status_code == 403
    zhang.refresh_from_db()
    assert zhang.points_balance == 120
    assert GroupMembership.objects.filter(group=club, left_at__isnull=True).count() == 1


def test_ops_adjust_points_with_a_reason_once_per_form(login_as, shop):
    zhang = shop["zhang"]
    client = login_as("ops")
    data = {"action": "points", "delta": "-20", "note": "damaged parcel", "key": "form-1"}
    response = client.post(f"/customers/{zhang.pk}/", data)
    assert response.status_code == 302
    assert client.post(f"/customers/{zhang.pk}/", data).status_code == 302  # double click
    zhang.refresh_from_db()
    assert zhang.points_balance == 100
    entry = PointsEntry.objects.get(customer=zhang, reason="adjustment")
    assert (entry.delta, entry.balance_after, entry.note) == (-20, 100, "damaged parcel")
    assert entry.created_by.username == "ops"
    assert AuditEntry.objects.filter(customer_id=zhang.pk, action="points_adjust").count() == 1
    page = _html(client.get(f"/customers/{zhang.pk}/"))
    assert "Points adjusted by -20; the balance is now 100." in page


def test_points_below_zero_or_without_reason_are_refused_with_a_message(login_as, shop):
    zhang = shop["zhang"]
    client = login_as("ops")
    too_many = {"action": "points", "delta": "-500", "note": "oops", "key": "form-2"}
    response = client.post(f"/customers/{zhang.pk}/", too_many)
    assert response.status_code == 400
    assert "the balance is 120 points, 500 are needed" in response.content.decode()
    no_reason = {"action": "points", "delta": "10", "note": "", "key": "form-3"}
    response = client.post(f"/customers/{zhang.pk}/", no_reason)
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    zhang.refresh_from_db()
    assert zhang.points_balance == 120


def test_ops_add_to_and_remove_from_a_group(login_as, shop):
    li, club = shop["li"], shop["club"]
    client = login_as("ops")
    response = client.post(f"/customers/{li.pk}/", {"action": "group_add", "group": club.pk})
    assert response.status_code == 302
    assert GroupMembership.objects.filter(customer=li, group=club, left_at__isnull=True).exists()
    assert "Added to VIP Club." in _html(client.get(f"/customers/{li.pk}/"))
    client.post(f"/customers/{li.pk}/", {"action": "group_remove", "group": club.pk})
    stay = GroupMembership.objects.get(customer=li, group=club)
    assert stay.left_at is not None
    assert "Removed from VIP Club." in _html(client.get(f"/customers/{li.pk}/"))


def test_a_full_group_refuses_with_a_message(login_as, shop):
    club = shop["club"]
    club.capacity = 1
    club.save()
    client = login_as("ops")
    client.post(f"/customers/{shop['li'].pk}/", {"action": "group_add", "group": club.pk})
    assert not GroupMembership.objects.filter(customer=shop["li"]).exists()
    assert "VIP Club is full" in _html(client.get(f"/customers/{shop['li'].pk}/"))
