"""``/reports/products/``: the product matrix with its quadrants and the quality flags,
from stored daily product sales checked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from analytics.models import ProductReviews, ProductSales
from tests.factories import ChannelFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reports/products/"
PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def sales():
    """units / revenue / cost → gross profit, margin; medians 45 units and 35% margin:

    P1 100 / 1000 / 400 → 600, 60% star            (5 returned; 9 of 10 reviews positive)
    P2  80 /  800 / 720 →  80, 10% traffic driver  (20 returned = 25%; 5 of 10 positive: flagged)
    P3  10 /  500 / 150 → 350, 70% profit contributor (sold on the search channel)
    P4   5 /   50 /  45 →   5, 10% long tail
    """
    live, search = ChannelFactory(code="live"), ChannelFactory(code="search")
    day = date(2026, 11, 10)
    rows = [
        ("P1", "Tea", live, 100, "1000", "400", 5),
        ("P2", "Cup", live, 80, "800", "720", 20),
        ("P3", "Pot", search, 10, "500", "150", 0),
        ("P4", "Tray", live, 5, "50", "45", 0),
    ]
    products = {}
    for code, name, channel, units, revenue, cost, returned in rows:
        product = ProductFactory(code=code, name=name)
        products[code] = product
        ProductSales.objects.create(
            date=day, product=product, channel=channel, units=units, orders=units,
            revenue=Decimal(revenue), cost=Decimal(cost), returned_units=returned,
        )  # fmt: skip
    ProductReviews.objects.create(date=day, product=products["P1"], reviews=10, positive_reviews=9)
    ProductReviews.objects.create(date=day, product=products["P2"], reviews=10, positive_reviews=5)
    return products


def test_the_quadrants_split_at_the_medians(sales, login_as):
    page = login_as("manager").get(URL, PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "45.00 units and 35.0% gross margin" in html
    for quadrant in ("star", "traffic_driver", "profit_contributor", "long_tail"):
        card = html.split(f'data-quadrant="{quadrant}"')[1].split("</article>")[0]
        assert '<div class="value">1</div>' in card
    assert "1 product flagged" in html


def test_each_table_exports_as_csv(sales, login_as):
    client = login_as("manager")
    matrix = _csv(client.get(URL, {**PERIOD, "export": "matrix"}))
    assert matrix[0] == "Code,Product,Quadrant,Units,Revenue,Gross profit,Gross margin"
    assert matrix[1] == 'P1,Tea,"star (high volume, high margin)",100,1000.0,600.0,0.6'
    assert [line.split(",")[0] for line in matrix[1:]] == ["P1", "P2", "P3", "P4"]
    bottom = _csv(client.get(URL, {**PERIOD, "export": "bottom_margin"}))
    assert [line.split(",")[0] for line in bottom[1:]] == ["P2", "P4", "P1", "P3"]
    top_profit = _csv(client.get(URL, {**PERIOD, "export": "top_profit"}))
    assert [line.split(",")[0] for line in top_profit[1:]] == ["P1", "P3", "P2", "P4"]
    quality = _csv(client.get(URL, {**PERIOD, "export": "quality"}))
    assert quality[1] == "P2,Cup,80,20,0.25,10,0.5,yes"


def test_the_channel_filter_applies(sales, login_as):
    client = login_as("manager")
    matrix = _csv(client.get(URL, {**PERIOD, "channel": "search", "export": "matrix"}))
    assert [line.split(",")[0] for line in matrix[1:]] == ["P3"]


def test_the_charts_carry_the_split_lines(sales, login_as):
    page = login_as("manager").get(URL, PERIOD)
    matrix_chart = page.context["chart"]["matrix"].config
    labels = [d["label"] for d in matrix_chart["data"]["datasets"]]
    assert "volume split" in labels and "margin split" in labels
    quality_chart = page.context["chart"]["quality"].config
    flagged = quality_chart["data"]["datasets"][0]
    assert flagged["data"] == [{"x": 0.5, "y": 0.25}]


def test_an_empty_period_says_what_to_do(login_as):
    html = login_as("manager").get(URL, PERIOD).content.decode()
    assert "No product sold in this period" in html


def test_a_user_without_the_report_permission_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_the_page_reads_in_a_bounded_number_of_queries(
    sales, login_as, django_assert_max_num_queries
):
    client = login_as("manager")
    with django_assert_max_num_queries(12):
        assert client.get(URL, PERIOD).status_code == 200
