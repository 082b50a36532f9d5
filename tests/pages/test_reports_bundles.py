"""``/reports/bundles/``: bought-together rules and bundle suggestions, checked by hand."""

import pytest

from tests.factories import ProductAffinityFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reports/bundles/"


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def rules():
    """Tea ↔ Cup: 10% of orders, Tea → Cup 50%, Cup → Tea 40%, lift 2.5 (a bundle, score
    0.25); Tea → Tray: 2%, 10%, lift 0.8 (no bundle)."""
    tea = ProductFactory(code="T1", name="Tea")
    cup = ProductFactory(code="C1", name="Cup")
    tray = ProductFactory(code="R1", name="Tray")
    ProductAffinityFactory(product_a=tea, product_b=cup, pair_count=10, support=0.1,
                           confidence=0.5, lift=2.5)  # fmt: skip
    ProductAffinityFactory(product_a=cup, product_b=tea, pair_count=10, support=0.1,
                           confidence=0.4, lift=2.5)  # fmt: skip
    ProductAffinityFactory(product_a=tea, product_b=tray, pair_count=2, support=0.02,
                           confidence=0.1, lift=0.8)  # fmt: skip


def test_the_page_lists_rules_and_bundles(rules, login_as):
    page = login_as("manager").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "filters do not apply to this page" in html
    bundles = html.split('id="table-bundles"')[1].split("</section>")[0]
    assert "Tea" in bundles and "Cup" in bundles and "Tray" not in bundles
    assert "50.0%" in bundles and "40.0%" in bundles and "2.50" in bundles


def test_each_table_exports_as_csv(rules, login_as):
    client = login_as("manager")
    bundles = _csv(client.get(URL, {"export": "bundles"}))
    assert bundles[1:] == ["T1,Tea,C1,Cup,10,0.1,0.5,0.4,2.5,0.25"]
    all_rules = _csv(client.get(URL, {"export": "rules"}))
    assert all_rules[1:] == [
        "T1,Tea,C1,Cup,10,0.1,0.5,2.5",
        "C1,Cup,T1,Tea,10,0.1,0.4,2.5",
        "T1,Tea,R1,Tray,2,0.02,0.1,0.8",
    ]


def test_the_chart_shows_the_bundle_lift(rules, login_as):
    chart = login_as("manager").get(URL).context["chart"]["bundles"].config
    assert chart["data"]["labels"] == ["Tea + Cup"]
    assert chart["data"]["datasets"][0]["data"] == [2.5]


def test_without_rules_the_page_says_how_to_get_them(login_as):
    html = login_as("manager").get(URL).content.decode()
    assert "No bought-together pairs yet" in html


def test_a_user_without_the_report_permission_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_the_page_reads_in_a_bounded_number_of_queries(
    rules, login_as, django_assert_max_num_queries
):
    client = login_as("manager")
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
