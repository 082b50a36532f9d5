"""The KPI cockpit at ``/``: cards with the change versus the previous period and the
target progress, daily trends, alerts; numbers set by hand in stored daily KPIs."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from analytics.models import DailyKPI
from tests.factories import DailyKPIFactory, KpiTargetFactory, UserFactory

pytestmark = pytest.mark.django_db

END = date(2026, 11, 30)
URL = "/?start=2026-11-24&end=2026-11-30"  # 7 days; the previous period is 17–23 Nov


def kpi(day: date, metric: str, value) -> None:
    DailyKPIFactory(date=day, metric=metric, value=Decimal(str(value)))


@pytest.fixture
def two_weeks():
    """GMV 100 a day and 5 orders a day in the week shown, 50 and 4 the week before;
    net revenue 80 a day now (so AOV = 560 / 35 = 16.00)."""
    for offset in range(7):
        kpi(END - timedelta(days=offset), "gmv", 100)
        kpi(END - timedelta(days=offset), "orders", 5)
        kpi(END - timedelta(days=offset), "net_revenue", 80)
        kpi(END - timedelta(days=7 + offset), "gmv", 50)
        kpi(END - timedelta(days=7 + offset), "orders", 4)
        kpi(END - timedelta(days=7 + offset), "net_revenue", 40)
    kpi(END, "churn_rate", "0.30")
    kpi(END - timedelta(days=7), "churn_rate", "0.20")


def card(page, metric: str) -> str:
    html = page.content.decode()
    start = html.index(f'data-metric="{metric}"')
    return html[start : html.index("</article>", start)]


def test_cards_show_the_period_and_its_change(login_as, two_weeks):
    page = login_as("manager").get(URL)
    assert page.status_code == 200
    gmv = card(page, "gmv")
    assert "700.00" in gmv  # 7 × 100
    assert "100.0%" in gmv  # 700 vs 350
    orders = card(page, "orders")
    assert ">35<" in orders and "25.0%" in orders  # 35 vs 28
    assert "16.00" in card(page, "aov")  # 560 / 35
    assert "no previous period" in card(page, "paying_customers")  # no orders at all: 0 vs 0


def test_churn_rising_is_an_alert(login_as, two_weeks):
    page = login_as("manager").get(URL)
    assert "Churn is rising" in page.content.decode()
    assert "50.0%" in card(page, "churn_rate")  # 0.30 vs 0.20


def test_a_target_shows_its_progress(login_as, two_weeks):
    KpiTargetFactory(
        metric="gmv", period_start=date(2026, 11, 1), period_end=END, target=Decimal("1000")
    )
    page = login_as("manager").get(URL)
    # 1 Nov – 30 Nov: 7 × 100 + 7 × 50 = 1,050 of 1,000; the whole period has elapsed.
    assert "105.0% of target 1,000.00 (pace 100.0%)" in card(page, "gmv")


def test_the_trend_table_exports_the_charted_numbers(login_as, two_weeks):
    client = login_as("analyst")
    page = client.get(URL)
    assert page.context["charts"][0].config["data"]["datasets"][0]["data"] == [100.0] * 7
    export = client.get(URL + "&export=trend")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Date", "GMV", "Net revenue", "Orders"]
    assert rows[1] == ["2026-11-24", "100.0", "80.0", "5.0"]
    assert len(rows) == 8


def test_an_unknown_export_is_not_found(login_as, two_weeks):
    assert login_as("manager").get(URL + "&export=nope").status_code == 404


def test_without_kpis_the_page_says_what_to_do(login_as):
    page = login_as("manager").get("/")
    assert page.status_code == 200
    assert "No KPIs have been computed yet" in page.content.decode()
    assert not DailyKPI.objects.exists()


def test_a_user_without_the_report_permission_is_refused(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get("/").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_dailykpi"))
    assert client.get("/").status_code == 200


def test_the_cockpit_runs_a_bounded_number_of_queries(
    login_as, two_weeks, django_assert_max_num_queries
):
    client = login_as("ops")
    with django_assert_max_num_queries(30):
        assert client.get(URL).status_code == 200
