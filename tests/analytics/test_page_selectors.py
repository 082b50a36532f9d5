"""Selectors added for the inventory, channels, segments and runs pages."""

from datetime import date
from decimal import Decimal

import pytest

from analytics.models import AnalyticsRun, ForecastAccuracy
from analytics.selectors.channels import channel_names
from analytics.selectors.inventory import forecast_backtest_pooled, inventory_kpi_trend
from analytics.selectors.runs import run_state, runs_recent
from analytics.selectors.segments import segment_member_rows, segments_for_list
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_inventory_trend_has_a_row_per_snapshot_day_only(django_assert_num_queries):
    f.DailyKPIFactory(date=date(2026, 11, 3), metric="sku_sell_through", value=Decimal("0.5"))
    f.DailyKPIFactory(date=date(2026, 11, 3), metric="inventory_turnover", value=Decimal("1.25"))
    f.DailyKPIFactory(date=date(2026, 11, 9), metric="sku_sell_through", value=Decimal("0.6"))
    f.DailyKPIFactory(date=date(2026, 11, 9), metric="gmv", value=Decimal("99"))  # not inventory
    with django_assert_num_queries(1):
        trend = inventory_kpi_trend(start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert list(trend["date"]) == [date(2026, 11, 3), date(2026, 11, 9)]
    assert list(trend["sku_sell_through"]) == [0.5, 0.6]
    assert trend["inventory_turnover"].iloc[0] == 1.25
    assert trend["inventory_turnover"].isna().iloc[1]
    assert len(inventory_kpi_trend(start=date(2026, 10, 1), end=date(2026, 10, 2))) == 0


def test_the_backtest_error_is_pooled_not_averaged():
    for abs_error, actual, ape_sum, weeks in ((2, 20, 0.8, 4), (3, 10, 1.2, 2)):
        ForecastAccuracy.objects.create(
            product=f.ProductFactory(), mape=0, wape=0, abs_error=abs_error, actual_units=actual,
            ape_sum=ape_sum, nonzero_weeks=weeks, weeks_of_history=10,
        )  # fmt: skip
    pooled = forecast_backtest_pooled()
    assert pooled.products == 2
    assert pooled.wape == pytest.approx(5 / 30)
    assert pooled.mape == pytest.approx(2.0 / 6)


def test_no_backtest_gives_nan():
    pooled = forecast_backtest_pooled()
    assert pooled.products == 0 and pooled.wape != pooled.wape


def test_channel_names_by_code():
    f.ChannelFactory(code="search", name="Search")
    assert channel_names() == {"search": "Search"}


def test_run_state_reports_progress():
    run = AnalyticsRun.objects.create(
        as_of=date(2026, 11, 30), status="running", steps_done=1, steps_total=4
    )
    state = run_state(run)
    assert (state["percent"], state["done"], state["status_display"]) == (25, False, "running")
    assert list(runs_recent()) == [run]


def test_segments_list_own_first_and_member_rows_by_id():
    f.SegmentFactory(name="B builtin", is_builtin=True)
    f.SegmentFactory(name="Z mine")
    assert [s.name for s in segments_for_list()] == ["Z mine", "B builtin"]
    customers = [f.CustomerFactory(name=n) for n in ("x", "y")]
    segment = f.SegmentFactory(rule={})
    rows = list(segment_member_rows(segment=segment))
    assert [r["id"] for r in rows] == [c.pk for c in customers]
    assert rows[0]["name"] == "x" and "email" in rows[0]
