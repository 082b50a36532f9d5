"""Report pages compute once per filter, role and language, and again after the data
changes (an analytics run, an orders import, a KPI target)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.services.run import analytics_run
from catalog.signals import orders_changed
from tests.factories import DailyKPIFactory, KpiTargetFactory

pytestmark = pytest.mark.django_db

URL = "/?start=2026-11-24&end=2026-11-30"


@pytest.fixture(autouse=True)
def report_cache(settings):
    settings.PAGES_REPORT_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def gmv(day: date, value: str) -> None:
    DailyKPIFactory(date=day, metric="gmv", value=Decimal(value))


def queries(client, url=URL) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    return len(captured), html


def test_a_second_view_reads_the_cached_report_until_the_data_changes(login_as):
    client = login_as("manager")
    gmv(date(2026, 11, 30), "100")
    first, html = queries(client)
    assert "100.00" in html
    gmv(date(2026, 11, 29), "50")  # written without telling anyone: not seen yet
    second, html = queries(client)
    assert second < first / 2
    assert "150.00" not in html
    orders_changed.send(sender=None, since=timezone.now(), kind="orders")  # an import committed
    third, html = queries(client)
    assert third >= first - 2
    assert "150.00" in html


def test_a_kpi_target_or_an_analytics_run_renews_the_data(
    login_as, django_capture_on_commit_callbacks
):
    client = login_as("manager")
    gmv(date(2026, 11, 30), "100")
    client.get(URL)
    KpiTargetFactory(metric="gmv", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))
    assert "of target" in client.get(URL).content.decode()
    gmv(date(2026, 11, 28), "5")
    with django_capture_on_commit_callbacks(execute=True):
        analytics_run(as_of=date(2026, 11, 30), only=["segments"])
    assert "105.00" in client.get(URL).content.decode()


def test_roles_languages_and_filters_have_their_own_cached_results(login_as, client):
    gmv(date(2026, 11, 30), "100")
    manager = login_as("manager")
    first, _ = queries(manager)
    assert queries(manager)[0] < first / 2  # cached
    assert queries(manager, URL.replace("24", "23"))[0] >= first - 2  # another period
    assert queries(login_as("ops"))[0] >= first - 2  # another role
    manager = login_as("manager")
    manager.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    response = manager.get(URL)
    assert response.context["LANGUAGE_CODE"] == "zh-hans"
    assert response.context["charts"][0].datasets[1]["label"] == "净销售额"


def test_an_export_is_cached_apart_from_the_page(login_as):
    client = login_as("analyst")
    gmv(date(2026, 11, 30), "100")
    client.get(URL)

    def export() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            body = b"".join(client.get(URL + "&export=trend").streaming_content)
        return len(captured), body.decode("utf-8-sig")

    first, body = export()  # pages may list more rows in an export: computed for it
    again, same = export()
    assert "2026-11-30,100.0" in body and same == body
    assert again < first / 2
