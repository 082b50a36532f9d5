"""``/reports/customers/``: RFM grid, segments with value and action, lifecycle and its
movement, tiers, predicted value — all from the stored scores, checked by hand."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import Segment
from analytics.selectors.customers import lifecycle_movement, rfm_grid, tier_distribution
from analytics.services.segments import segments_ensure_builtin
from tests.factories import CustomerFactory, CustomerScoreFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reports/customers/"


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def scores():
    """Six customers scored today:

    ====  =====  ==========  ================  ======  ====  =====  ==========  =========
    who   R, F   monetary    segment           stage   rec.  first  historical  predicted
    ====  =====  ==========  ================  ======  ====  =====  ==========  =========
    c1    5, 5   300         champions         active   10   200    1000        200
    c2    5, 5   100         champions         new       5     5     100         50
    c3    1, 2    50         hibernating       warning 100   300      50         —
    c4    —       0          —                 prospect  —     —       0         —
    c5    1, 1    20         lost              lost    190   400      20          5
    c6    3, 1    40         about_to_sleep    active   70    45      40         10
    ====  =====  ==========  ================  ======  ====  =====  ==========  =========
    """
    now = timezone.now()
    gold = TierFactory(name="Gold", rank=1)
    TierFactory(name="Regular", rank=0)
    rows = [
        ("c1", 5, 5, "300", "champions", "important_value", "active", 10, 200, "1000", "200"),
        ("c2", 5, 5, "100", "champions", "important_value", "new", 5, 5, "100", "50"),
        ("c3", 1, 2, "50", "hibernating", "general_win_back", "churn_warning", 100, 300, "50", None),
        ("c4", None, None, "0", "", "", "prospect", None, None, "0", None),
        ("c5", 1, 1, "20", "lost", "general_win_back", "lost", 190, 400, "20", "5"),
        ("c6", 3, 1, "40", "about_to_sleep", "general_develop", "active", 70, 45, "40", "10"),
    ]  # fmt: skip
    customers = {}
    for name, r, f, monetary, segment, klass, stage, recency, first, hist, pred in rows:
        customer = CustomerFactory(name=name, tier=gold if name == "c1" else None)
        customers[name] = customer
        CustomerScoreFactory(
            customer=customer,
            r_score=r,
            f_score=f,
            m_score=r,
            monetary=Decimal(monetary),
            rfm_segment=segment,
            rfm_class=klass,
            lifecycle_stage=stage,
            recency_days=recency,
            first_order_at=None if first is None else now - timedelta(days=first),
            last_order_at=None if recency is None else now - timedelta(days=recency),
            historical_value=Decimal(hist),
            predicted_value_90d=None if pred is None else Decimal(pred),
        )
    segments_ensure_builtin()
    return customers


def test_the_rfm_grid_counts_customers_and_sums_revenue_per_r_and_f(scores):
    assert rfm_grid() == [
        {"r": 5, "f": 5, "customers": 2, "revenue": Decimal("400.00")},
        {"r": 3, "f": 1, "customers": 1, "revenue": Decimal("40.00")},
        {"r": 1, "f": 1, "customers": 1, "revenue": Decimal("20.00")},
        {"r": 1, "f": 2, "customers": 1, "revenue": Decimal("50.00")},
    ]


def test_lifecycle_movement_counts_only_what_the_order_dates_determine(scores):
    m = lifecycle_movement(as_of=timezone.localdate())
    assert (m.became_customers, m.new_to_active, m.active_to_warning, m.warning_to_lost) == (
        1,  # c2: first order 5 days ago
        1,  # c6: first order 45 days ago, new until 15 days ago
        1,  # c3: last order 100 days ago, active until 10 days ago
        1,  # c5: last order 190 days ago
    )
    assert (m.won_back, m.active_at_risk, m.warning_at_risk) == (0, 1, 0)  # c6: 70 days


def test_tier_distribution_lists_every_tier_then_customers_without_one(scores):
    assert tier_distribution() == [
        {"tier": "Regular", "rank": 0, "customers": 0},
        {"tier": "Gold", "rank": 1, "customers": 1},
        {"tier": None, "rank": None, "customers": 5},
    ]


def test_the_page_shows_the_snapshot_and_the_hand_checked_numbers(scores, login_as):
    page = login_as("manager").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"as of {timezone.localdate():%Y-%m-%d}" in html
    assert "filters do not apply to this page" in html
    champions = html.split('data-segment="champions"')[1].split("</tr>")[0]
    assert ">2<" in champions and "1,100.00" in champions and "250.00" in champions
    assert "Reward them: VIP group" in champions
    # the heatmap: R5 × F5 holds 2 customers and 400.00
    assert "400.00" in html.split('data-heatmap="revenue"')[1]


def test_a_store_manager_sees_no_create_campaign_button(scores, login_as):
    html = login_as("manager").get(URL).content.decode()
    assert "Create campaign" not in html
    assert "/campaigns/new/" not in html


def test_ops_staff_get_a_create_campaign_button_per_segment(scores, login_as):
    html = login_as("ops").get(URL).content.decode()
    champions = Segment.objects.get(
        is_builtin=True, rule__field="rfm_segment", rule__value="champions"
    )
    row = html.split('data-segment="champions"')[1].split("</tr>")[0]
    assert f"/campaigns/new/?segment={champions.pk}" in row
    assert "Create campaign" in row
    empty_row = html.split('data-segment="loyal"')[1].split("</tr>")[0]
    assert "Create campaign" not in empty_row  # no customer: nothing to target


def test_the_8_class_scheme_is_shown_when_the_setting_says_so(scores, login_as, settings):
    settings.ANALYTICS = {**settings.ANALYTICS, "RFM_LABEL_SHOWN": "class"}
    html = login_as("manager").get(URL).content.decode()
    row = html.split('data-segment="important_value"')[1].split("</tr>")[0]
    assert "重要价值" in row and ">2<" in row
    assert 'data-segment="champions"' not in html


def test_each_table_exports_as_csv(scores, login_as):
    client = login_as("manager")
    grid = _csv(client.get(URL, {"export": "rfm_grid"}))
    assert grid[0] == "R score,F score,Customers,Net revenue in the RFM window"
    assert grid[1] == "5,5,2,400.00"
    segments = _csv(client.get(URL, {"export": "segments"}))
    assert segments[1].startswith('champions,2,1100.00,250.00,"Reward them: VIP group')
    stages = _csv(client.get(URL, {"export": "lifecycle"}))
    assert stages[1:] == [
        "prospect,1", "new,1", "active,2", "churn warning,1", "lost,1", "won back,0"
    ]  # fmt: skip
    movement = _csv(client.get(URL, {"export": "movement"}))
    assert movement[3].startswith("active → churn warning,1,")
    tiers = _csv(client.get(URL, {"export": "tiers"}))
    assert tiers[1:] == ["Regular,0", "Gold,1", "No tier,5"]
    clv = _csv(client.get(URL, {"export": "predicted_value"}))
    assert clv[1] == "0–50,2,15.00"  # c5 (5) and c6 (10)
    assert clv[2] == "50–100,1,50.00"
    assert clv[4] == "200–500,1,200.00"


def test_without_scores_the_page_says_how_to_get_them(login_as):
    html = login_as("manager").get(URL).content.decode()
    assert "No customer scores yet" in html
    assert "Recompute now" in html


def test_a_user_without_the_report_permission_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_the_page_reads_in_a_bounded_number_of_queries(
    scores, login_as, django_assert_max_num_queries
):
    client = login_as("ops")
    with django_assert_max_num_queries(16):
        assert client.get(URL).status_code == 200
