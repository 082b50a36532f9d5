"""The traffic page: funnel per channel with drop-offs, cart abandonment per day and the
weekday × hour heatmap, from stored daily funnels and activity cells checked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from analytics.models import ActivityCell, DailyKPI
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/reports/traffic/"
PERIOD = {"start": "2026-11-01", "end": "2026-11-02"}
STEPS = ["visit", "product_view", "add_to_cart", "order", "pay"]
# Sessions per step, per channel and day: all = search + live.
FUNNELS = {
    ("search", date(2026, 11, 1)): (60, 36, 12, 7, 6),
    ("search", date(2026, 11, 2)): (40, 24, 8, 5, 4),
    ("live", date(2026, 11, 1)): (40, 24, 8, 3, 2),
    ("live", date(2026, 11, 2)): (10, 6, 2, 1, 2),
}


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def traffic():
    f.ChannelFactory(code="search", name="Search")
    f.ChannelFactory(code="live", name="Live stream")
    totals: dict[date, list[int]] = {}
    for (code, day), counts in FUNNELS.items():
        for step, n in zip(STEPS, counts, strict=True):
            f.DailyKPIFactory(
                date=day,
                metric=f"funnel_{step}",
                dimension=DailyKPI.Dimension.CHANNEL,
                dimension_value=code,
                value=Decimal(n),
            )
        totals[day] = [a + b for a, b in zip(totals.get(day, [0] * 5), counts, strict=True)]
    for day, counts in totals.items():
        for step, n in zip(STEPS, counts, strict=True):
            f.DailyKPIFactory(date=day, metric=f"funnel_{step}", value=Decimal(n))
    category = f.CategoryFactory(name="Tea")
    # 2026-11-02 is a Monday.
    ActivityCell.objects.create(date=date(2026, 11, 2), hour=9, events=7, orders=2)
    ActivityCell.objects.create(date=date(2026, 11, 1), hour=21, events=3, orders=1)
    ActivityCell.objects.create(
        date=date(2026, 11, 2), hour=9, category=category, events=4, orders=1
    )
    return category


def test_the_funnel_sums_the_days_with_step_drop_offs(traffic, login_as):
    page = login_as("manager").get(URL, PERIOD)
    assert page.status_code == 200
    funnel = page.context["tables"][0]
    assert [(r["step"], r["count"]) for r in funnel.rows] == [
        ("Visit", 150), ("Product view", 90), ("Add to cart", 30), ("Order", 16), ("Pay", 14),
    ]  # fmt: skip
    cart = funnel.rows[2]
    assert (cart["step_conversion"], round(cart["dropoff"], 4)) == (30 / 90, round(1 - 30 / 90, 4))
    html = page.content.decode()
    assert "46.7%" in html  # cart abandonment 1 − 16/30
    assert "12.5%" in html  # payment drop-off 1 − 14/16


def test_the_funnel_by_channel_shows_each_channels_abandonment(traffic, login_as):
    page = login_as("manager").get(URL, PERIOD)
    by_channel = {r["channel"]: r for r in page.context["tables"][1].rows}
    assert set(by_channel) == {"Search", "Live stream"}
    search, live = by_channel["Search"], by_channel["Live stream"]
    assert (search["visit"], search["order"], search["pay"]) == (100, 12, 10)
    assert search["cart_abandonment"] == pytest.approx(0.4)  # 1 − 12/20
    assert live["cart_abandonment"] == pytest.approx(0.6)  # 1 − 4/10
    assert (search["conversion"], live["conversion"]) == (0.1, 0.08)
    rows = _csv(login_as("manager").get(URL, {**PERIOD, "export": "funnel_by_channel"}))
    assert rows[0].startswith("Channel,Visit,Product view,Add to cart,Order,Pay,")
    assert rows[1].startswith("Live stream,50,30,10,4,4,")


def test_cart_abandonment_per_day_and_the_channel_filter(traffic, login_as):
    client = login_as("manager")
    daily = client.get(URL, PERIOD).context["tables"][2]
    assert [(r["date"], r["abandonment"]) for r in daily.rows] == [
        (date(2026, 11, 1), 0.5),  # 1 − 10/20
        (date(2026, 11, 2), pytest.approx(0.4)),  # 1 − 6/10
    ]
    live = client.get(URL, {**PERIOD, "channel": "live"})
    assert [r["count"] for r in live.context["tables"][0].rows] == [50, 30, 10, 4, 4]
    assert [r["abandonment"] for r in live.context["tables"][2].rows] == [0.625, 0.5]
    assert 'value="live" selected' in live.content.decode()


def test_the_heatmap_counts_events_or_orders_by_weekday_and_hour(traffic, login_as):
    client = login_as("manager")
    page = client.get(URL, PERIOD)
    heat = {r["weekday"]: r for r in page.context["heatmap"].rows}
    assert (heat["Mon"]["h9"], heat["Sun"]["h21"], heat["Mon"]["h10"]) == (7, 3, 0)
    orders = client.get(URL, {**PERIOD, "measure": "orders"}).context["heatmap"]
    assert {r["weekday"]: r["h9"] for r in orders.rows}["Mon"] == 2
    tea = client.get(URL, {**PERIOD, "category": traffic.pk}).context["heatmap"]
    assert {r["weekday"]: r["h9"] for r in tea.rows}["Mon"] == 4
    assert sum(r["h21"] for r in tea.rows) == 0
    rows = _csv(client.get(URL, {**PERIOD, "export": "activity"}))
    assert rows[0] == "Weekday," + ",".join(f"{h:02d}" for h in range(24))
    assert rows[1] == "Mon," + ",".join("7" if h == 9 else "0" for h in range(24))


def test_an_empty_period_says_what_is_missing(traffic, login_as):
    html = login_as("manager").get(URL, {"start": "2026-10-01", "end": "2026-10-02"}).content
    assert b"No sessions in this period" in html
    assert b"No activity recorded in this period" in html


def test_permission_and_bounded_queries(traffic, login_as, client, django_assert_max_num_queries):
    client.force_login(f.UserFactory())
    assert client.get(URL).status_code == 403
    client = login_as("analyst")
    with django_assert_max_num_queries(14):
        assert (
            client.get(URL, {**PERIOD, "channel": "search", "category": traffic.pk}).status_code
            == 200
        )
