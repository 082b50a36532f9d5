"""The inventory page: sell-through, turnover trend, low stock, slow movers and the
forecast with its backtest error, from small stored snapshots checked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from analytics.models import ForecastAccuracy, InventorySnapshot, ProductForecast
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/reports/inventory/"
PERIOD = {"start": "2026-11-01", "end": "2026-11-20"}


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def stock():
    """Two snapshots (11-10 and 11-20); on 11-20 the tee is low (3 in stock, 6 days of
    cover, lead time 10) and the mug a slow mover (40 in stock, never sold).
    Backtests: tee |error| 2 of 20 units, APE sum 0.8 over 4 weeks; mug 3 of 10, 1.2 over
    2 weeks → pooled WAPE 5/30 = 16.7 %, MAPE 2.0/6 = 33.3 %."""
    tee = f.SKUFactory(code="TEE-S", product=f.ProductFactory(code="TEE", name="Cotton tee"))
    mug = f.SKUFactory(code="MUG-1", product=f.ProductFactory(code="MUG", name="Clay mug"))
    for day, sku_st, unit_st, turnover in (
        (date(2026, 11, 10), "0.5", "0.2", "1.5"),
        (date(2026, 11, 20), "0.75", "0.25", "2.0"),
    ):
        for metric, value in (
            ("sku_sell_through", sku_st),
            ("unit_sell_through", unit_st),
            ("inventory_turnover", turnover),
            ("low_stock_skus", "1"),
            ("slow_mover_skus", "1"),
        ):
            f.DailyKPIFactory(date=day, metric=metric, value=Decimal(value))
    common = {"date": date(2026, 11, 20), "units_sold": 0}
    InventorySnapshot.objects.create(
        sku=tee, stock=3, daily_units=0.5, days_of_cover=6.0, lead_time_days=10,
        low_stock=True, last_sale=date(2026, 11, 19), slow_mover=False, **common,
    )  # fmt: skip
    InventorySnapshot.objects.create(
        sku=mug, stock=40, daily_units=0.0, days_of_cover=None, lead_time_days=7,
        low_stock=False, last_sale=None, slow_mover=True, **common,
    )  # fmt: skip
    weeks = [date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)]
    for week, units in zip(weeks, (3.5, 4.0, 4.5, 5.0), strict=True):
        ProductForecast.objects.create(product=tee.product, week_start=week, units=units)
        ProductForecast.objects.create(product=mug.product, week_start=week, units=1.0)
    ForecastAccuracy.objects.create(
        product=tee.product, mape=0.2, wape=0.1, abs_error=2, actual_units=20, ape_sum=0.8,
        nonzero_weeks=4, weeks_of_history=20,
    )  # fmt: skip
    ForecastAccuracy.objects.create(
        product=mug.product, mape=0.6, wape=0.3, abs_error=3, actual_units=10, ape_sum=1.2,
        nonzero_weeks=2, weeks_of_history=20,
    )  # fmt: skip


def test_the_page_shows_the_snapshot_of_the_periods_last_day(stock, login_as):
    page = login_as("manager").get(URL, PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    cards = [(c.label, c.value) for c in page.context["cards"]]
    assert [round(v, 4) for _, v in cards[:5]] == [0.75, 0.25, 2.0, 1, 1]
    for shown in ("75.0%", "25.0%", "2.00", "16.7%", "MAPE 33.3% over 2 products"):
        assert shown in html
    low, slow = page.context["tables"][1], page.context["tables"][2]
    assert [(r["sku"], r["stock"], r["days_of_cover"]) for r in low.rows] == [("TEE-S", 3, 6.0)]
    assert [(r["sku"], r["stock"], r["last_sale"]) for r in slow.rows] == [("MUG-1", 40, None)]
    assert "the channel and category filters do not apply" in html


def test_the_trend_has_one_row_per_snapshot_in_the_period(stock, login_as):
    page = login_as("manager").get(URL, PERIOD)
    trend = page.context["tables"][0]
    assert [(r["date"], r["sku_sell_through"], r["inventory_turnover"]) for r in trend.rows] == [
        ("2026-11-10", 0.5, 1.5),
        ("2026-11-20", 0.75, 2.0),
    ]
    chart = page.context["charts"][0]
    assert chart.config["data"]["labels"] == ["2026-11-10", "2026-11-20"]
    assert chart.config["data"]["datasets"][1]["data"] == [0.2, 0.25]


def test_the_forecast_puts_four_weeks_side_by_side_with_the_backtest(stock, login_as):
    page = login_as("manager").get(URL, PERIOD)
    forecast = page.context["tables"][3]
    tee = next(r for r in forecast.rows if r["code"] == "TEE")
    assert [tee[f"week_{i}"] for i in range(4)] == [3.5, 4.0, 4.5, 5.0]
    assert (tee["total"], tee["mape"], tee["wape"]) == (17.0, 0.2, 0.1)
    assert str(forecast.columns[2].label) == "Week of 2026-11-23"


def test_each_table_exports_as_csv(stock, login_as):
    client = login_as("manager")
    low = _csv(client.get(URL, {**PERIOD, "export": "low_stock"}))
    assert low == [
        "SKU,Product,Stock,Units per day (28 days),Days of cover,Lead time (days),Last sale",
        "TEE-S,Cotton tee,3,0.5,6.0,10,2026-11-19",
    ]
    trend = _csv(client.get(URL, {**PERIOD, "export": "trend"}))
    assert trend[1:] == ["2026-11-10,0.5,0.2,1.5,1.0,1.0", "2026-11-20,0.75,0.25,2.0,1.0,1.0"]
    forecast = _csv(client.get(URL, {**PERIOD, "export": "forecast"}))
    assert "MUG,Clay mug,1.0,1.0,1.0,1.0,4.0,0.6,0.3" in forecast
    assert client.get(URL, {**PERIOD, "export": "nope"}).status_code == 404


def test_a_period_before_any_snapshot_says_what_to_do(stock, login_as):
    page = login_as("ops").get(URL, {"start": "2026-10-01", "end": "2026-10-31"})
    html = page.content.decode()
    assert "No inventory snapshot yet" in html
    assert 'href="/analytics/runs/"' in html  # ops may recompute


def test_permissions_and_the_recompute_button(stock, login_as, client):
    assert client.get(URL).status_code == 302  # anonymous: to the login page
    client.force_login(f.UserFactory())
    assert client.get(URL).status_code == 403
    manager = login_as("manager").get(URL, PERIOD).content.decode()
    assert "Recompute now" not in manager
    ops = login_as("ops").get(URL, PERIOD).content.decode()
    assert 'href="/analytics/runs/">Recompute now' in ops


def test_the_page_takes_a_bounded_number_of_queries(stock, login_as, django_assert_max_num_queries):
    client = login_as("manager")
    for i in range(20):
        sku = f.SKUFactory(code=f"X{i}")
        InventorySnapshot.objects.create(
            sku=sku, date=date(2026, 11, 20), stock=1, units_sold=0, daily_units=0.1,
            days_of_cover=1.0, lead_time_days=5, low_stock=True, last_sale=None, slow_mover=True,
        )  # fmt: skip
    with django_assert_max_num_queries(12):
        assert client.get(URL, PERIOD).status_code == 200
