"""``/reports/cohorts/``: retention by first-purchase month, 30-day repurchase and the
repurchase interval, from stored cohort facts checked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from analytics.models import Cohort, CohortCell
from tests.factories import ChannelFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/reports/cohorts/"
PERIOD = {"start": "2026-09-01", "end": "2026-11-30"}


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def cohorts():
    """Sep (live): 10 customers, 1000.00 in month 0; 4 back in Oct (300.00), 2 in Nov
    (200.00); 3 of 10 reordered within 30 days; intervals 10 days (a second order in
    September), 10 (in October), 40 (in November).
    Oct (search): 5 customers, 500.00; 1 back in Nov (50.00); 1 of 5; interval 20 days.
    Nov (live): 2 customers, 100.00; none matured yet."""
    live, search = ChannelFactory(code="live"), ChannelFactory(code="search")
    cells = [
        (date(2026, 9, 1), live, 0, 10, "1000", {"10": 1}),
        (date(2026, 9, 1), live, 1, 4, "300", {"10": 1}),
        (date(2026, 9, 1), live, 2, 2, "200", {"40": 1}),
        (date(2026, 10, 1), search, 0, 5, "500", {}),
        (date(2026, 10, 1), search, 1, 1, "50", {"20": 1}),
        (date(2026, 11, 1), live, 0, 2, "100", {}),
    ]
    for month, channel, k, customers, revenue, intervals in cells:
        CohortCell.objects.create(
            month=month, channel=channel, months_since=k, customers=customers,
            orders=customers, revenue=Decimal(revenue), intervals=intervals,
        )  # fmt: skip
    Cohort.objects.create(month=date(2026, 9, 1), channel=live, customers=10, matured_30d=10,
                          repurchased_30d=3)  # fmt: skip
    Cohort.objects.create(month=date(2026, 10, 1), channel=search, customers=5, matured_30d=5,
                          repurchased_30d=1)  # fmt: skip
    Cohort.objects.create(month=date(2026, 11, 1), channel=live, customers=2, matured_30d=0,
                          repurchased_30d=0)  # fmt: skip


def test_the_heatmap_shows_customer_and_revenue_retention(cohorts, login_as):
    page = login_as("manager").get(URL, PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    customers = html.split('data-heatmap="retention"')[1].split("</table>")[0]
    september = customers.split("2026-09")[1].split("</tr>")[0]
    assert [v for v in ("100.0%", "40.0%", "20.0%") if v in september] == [
        "100.0%",
        "40.0%",
        "20.0%",
    ]
    revenue = html.split('data-heatmap="revenue"')[1].split("</table>")[0]
    assert "30.0%" in revenue.split("2026-09")[1].split("</tr>")[0]  # 300 / 1000
    assert "10.0%" in revenue.split("2026-10")[1].split("</tr>")[0]  # 50 / 500


def test_the_median_interval_comes_from_the_stored_histograms(cohorts, login_as):
    html = login_as("manager").get(URL, PERIOD).content.decode()
    assert "<dd data-median>15.00</dd>" in html  # 10, 10, 20, 40


def test_each_table_exports_as_csv(cohorts, login_as):
    client = login_as("manager")
    retention = _csv(client.get(URL, {**PERIOD, "export": "retention"}))
    assert retention[0].startswith("Cohort (first paid order),Months since")
    assert retention[1:4] == [
        "2026-09,0,10,10,1.0,1000.0,1.0",
        "2026-09,1,10,4,0.4,300.0,0.3",
        "2026-09,2,10,2,0.2,200.0,0.2",
    ]
    repurchase = _csv(client.get(URL, {**PERIOD, "export": "repurchase_30d"}))
    assert repurchase[1:] == ["2026-09,10,3,0.3", "2026-10,5,1,0.2", "2026-11,0,0,"]
    intervals = _csv(client.get(URL, {**PERIOD, "export": "intervals"}))
    assert intervals[1:5] == ["0–7,0", "8–14,2", "15–30,1", "31–60,1"]


def test_the_channel_filter_keeps_the_cohorts_of_that_first_order_channel(cohorts, login_as):
    html = login_as("manager").get(URL, {**PERIOD, "channel": "live"}).content.decode()
    heatmap = html.split('data-heatmap="retention"')[1].split("</table>")[0]
    assert "2026-09" in heatmap and "2026-11" in heatmap and "2026-10" not in heatmap
    assert "category filter does not apply" in html


def test_without_dates_the_page_covers_the_last_12_months(login_as):
    page = login_as("manager").get(URL, {"end": "2026-11-30"})
    assert page.context["filter"].start == date(2025, 12, 1)


def test_an_empty_period_says_what_to_do(login_as):
    html = login_as("manager").get(URL, PERIOD).content.decode()
    assert "No cohort in this period" in html and "Widen the dates" in html


def test_a_user_without_the_report_permission_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_the_page_reads_in_a_bounded_number_of_queries(
    cohorts, login_as, django_assert_max_num_queries
):
    client = login_as("manager")
    with django_assert_max_num_queries(12):
        assert client.get(URL, PERIOD).status_code == 200


def test_a_month_counted_to_date_is_marked_and_left_out_of_the_curves(cohorts, login_as):
    page = login_as("manager").get(URL, {"start": "2026-09-01", "end": "2026-11-15"})
    html = page.content.decode()
    assert "2026-11 is counted to date" in html
    september = html.split('data-heatmap="retention"')[1].split("2026-09")[1].split("</tr>")[0]
    assert "<em>20.0%*</em>" in september  # November, month 2 of September's cohort
    curves = page.context["chart"]["retention"].config["data"]["datasets"]
    assert curves[0]["label"] == "2026-09" and curves[0]["data"] == [1.0, 0.4, None]
