"""The channels page: visitors, conversion, AOV, revenue, gross profit, spend, new
customers, CAC and ROI per channel, checked by hand."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import DailyKPI, Event
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/reports/channels/"
PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


def _at(day: int):
    return timezone.make_aware(datetime(2026, 11, day, 12))


@pytest.fixture
def channels():
    """search: 4 visitors (3 customers, 1 anonymous), 2 paying, 4 orders, revenue 400,
    cost 160, 2 new customers, spend 100 → conversion 50 %, AOV 100, gross profit 240,
    CAC 50, ROI 140 %. live: 1 visitor, 1 order of 50 (cost 30), spend 200 → ROI −90 %."""
    search = f.ChannelFactory(code="search", name="Search")
    live = f.ChannelFactory(code="live", name="Live stream")
    f.ChannelFactory(code="idle", name="Idle")  # nothing in the period: not listed
    for code, values in (
        ("search", {"orders": 4, "net_revenue": 400, "cogs": 160, "new_customers": 2}),
        ("live", {"orders": 1, "net_revenue": 50, "cogs": 30, "new_customers": 0}),
    ):
        for metric, value in values.items():
            f.DailyKPIFactory(
                date=date(2026, 11, 5), metric=metric, dimension=DailyKPI.Dimension.CHANNEL,
                dimension_value=code, value=Decimal(value),
            )  # fmt: skip
    buyers = [f.CustomerFactory() for _ in range(3)]
    for customer in buyers:
        f.EventFactory(customer=customer, channel=search, type=Event.Type.VISIT, occurred_at=_at(3))
    f.EventFactory(customer=None, session_id="anon", channel=search, occurred_at=_at(4))
    f.EventFactory(customer=f.CustomerFactory(), channel=live, occurred_at=_at(4))
    for customer in buyers[:2]:
        f.OrderFactory(customer=customer, channel=search, created_at=_at(5))
    f.ChannelSpendFactory(channel=search, date=date(2026, 11, 5), spend=Decimal("100"))
    f.ChannelSpendFactory(channel=live, date=date(2026, 11, 6), spend=Decimal("200"))


def test_each_channel_shows_its_quality(channels, login_as):
    page = login_as("manager").get(URL, PERIOD)
    assert page.status_code == 200
    rows = {r["name"]: r for r in page.context["tables"][0].rows}
    assert set(rows) == {"Search", "Live stream"}
    search, live = rows["Search"], rows["Live stream"]
    assert (search["visitors"], search["paying_customers"], search["conversion_rate"]) == (
        4,
        2,
        0.5,
    )
    assert (search["aov"], search["gross_profit"], search["cac"], search["roi"]) == (
        100.0, 240.0, 50.0, 1.4,
    )  # fmt: skip
    assert (live["roi"], live["cac"]) == (-0.9, None)
    html = page.content.decode()
    for shown in ("140.0%", "-90.0%", "450.00", "150.00", "-13.3%"):  # blended figures too
        assert shown in html


def test_the_table_exports_as_csv(channels, login_as):
    response = login_as("manager").get(URL, {**PERIOD, "export": "channels"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Channel,Visitors,Paying customers,Conversion,Paid orders,AOV,Net revenue,"
        "Gross profit,Spend,New customers,CAC,ROI"
    )
    assert "Search,4,2,0.5,4,100.0,400.0,240.0,100.0,2,50.0,1.4" in lines


def test_the_channel_filter_keeps_one_channel_and_category_is_explained(channels, login_as):
    page = login_as("manager").get(URL, {**PERIOD, "channel": "live"})
    assert [r["name"] for r in page.context["tables"][0].rows] == ["Live stream"]
    html = page.content.decode()
    assert 'name="category"' not in html
    assert "The category filter does not apply" in html


def test_an_empty_period_says_what_to_do(channels, login_as):
    html = login_as("manager").get(URL, {"start": "2026-01-01", "end": "2026-01-31"}).content
    assert b"No channel had visitors, orders or spend in this period" in html


def test_permission_and_bounded_queries(channels, login_as, client, django_assert_max_num_queries):
    client.force_login(f.UserFactory())
    assert client.get(URL).status_code == 403
    client = login_as("manager")
    with django_assert_max_num_queries(12):
        assert client.get(URL, PERIOD).status_code == 200
