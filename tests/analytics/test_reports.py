"""Report selectors read stored facts; their answers equal the pure metric functions run on
the raw rows (the definitions of DESIGN §3), and a few are checked on paper."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from analytics import loaders
from analytics.metrics import activity, cohorts, funnel, products, repurchase
from analytics.models import ActivityCell, CohortCell, ProductSales
from analytics.selectors import (
    ReportFilter,
    activity_report,
    clv_distribution,
    cohort_report,
    funnel_report,
    kpi_summary,
    kpi_target_progress,
    product_report,
)
from analytics.selectors.reports import ReportFilterError, _histogram_median
from analytics.services import kpis_compute
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def shop():
    rng = random.Random(3)
    channels = [f.ChannelFactory(code="search"), f.ChannelFactory(code="live")]
    home = f.CategoryFactory(name="Home")
    kitchen = f.CategoryFactory(name="Kitchen", parent=home)
    toys = f.CategoryFactory(name="Toys")
    skus = [
        f.SKUFactory(product=f.ProductFactory(category=category), unit_cost=Decimal(cost))
        for category, cost in ((home, "30"), (kitchen, "10"), (kitchen, "45"), (toys, "20"))
    ]
    customers = [f.CustomerFactory() for _ in range(30)]
    session = 0
    for customer in customers:
        day = AS_OF - timedelta(days=rng.randrange(0, 200))
        while day <= AS_OF:
            channel = rng.choice(channels)
            when = at(day, rng.randrange(8, 23), rng.randrange(0, 30))
            order = f.OrderFactory(
                customer=customer, channel=channel, created_at=when, paid_total=Decimal(0)
            )
            total = Decimal(0)
            for sku in rng.sample(skus, rng.randrange(1, 3)):
                quantity = rng.randrange(1, 4)
                line = f.OrderLineFactory(
                    order=order, sku=sku, quantity=quantity, unit_price=Decimal("50"),
                    unit_cost=sku.unit_cost,
                )  # fmt: skip
                total += 50 * quantity
                if rng.random() < 0.2:
                    f.ReturnFactory(order_line=line, quantity=1, refund_amount=Decimal("50"))
                if rng.random() < 0.5:
                    f.ReviewFactory(
                        order_line=line,
                        rating=rng.randrange(1, 6),
                        created_at=when + timedelta(days=2),
                    )
            order.paid_total = order.goods_total = total
            order.save(update_fields=["paid_total", "goods_total"])
            session += 1
            steps = ["visit", "product_view", "add_to_cart", "order", "pay"]
            stop = rng.choice([2, 3, 5, 5])  # some sessions leak before ordering
            for i, step in enumerate(steps[:stop]):
                f.EventFactory(
                    customer=customer, session_id=f"s{session}", type=step, channel=channel,
                    occurred_at=when - timedelta(minutes=5 - i), product=skus[0].product,
                )  # fmt: skip
            day += timedelta(days=rng.randrange(5, 90))
    kpis_compute(as_of=AS_OF)
    return {"channels": channels, "home": home, "kitchen": kitchen}


def assert_frames_equal(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]):
    pd.testing.assert_frame_equal(
        left[columns].reset_index(drop=True).astype("float64"),
        right[columns].reset_index(drop=True).astype("float64"),
        check_exact=False,
        rtol=1e-9,
    )


PERIOD = ReportFilter(AS_OF - timedelta(days=89), AS_OF)


def test_the_product_report_equals_the_matrix_and_flags_of_the_raw_lines(shop):
    report = product_report(PERIOD)
    lines = loaders.paid_lines(as_of=AS_OF)
    matrix = products.product_matrix(lines, start=PERIOD.start, end=PERIOD.end)
    assert len(matrix) >= 3
    columns = ["product_id", "units", "revenue", "cost", "gross_profit", "margin"]
    assert_frames_equal(report.matrix, matrix, columns)
    assert report.matrix["quadrant"].tolist() == matrix["quadrant"].tolist()
    flags = products.quality_flags(
        lines, loaders.reviews(start=PERIOD.start, end=PERIOD.end), start=PERIOD.start,
        end=PERIOD.end,
    )  # fmt: skip
    assert_frames_equal(
        report.flags,
        flags,
        ["product_id", "units_sold", "returned_units", "reviews", "positive_reviews"],
    )


def test_the_product_report_filters_channel_and_category_subtree(shop):
    live = shop["channels"][1]
    lines = loaders.paid_lines(as_of=AS_OF)
    in_live = lines[lines["channel_id"] == live.pk]
    expected = products.product_matrix(in_live, start=PERIOD.start, end=PERIOD.end)
    got = product_report(ReportFilter(PERIOD.start, PERIOD.end, channel=live)).matrix
    assert_frames_equal(got, expected, ["product_id", "units", "revenue", "cost"])
    home = ReportFilter(PERIOD.start, PERIOD.end, category=shop["home"])
    # Home and its child Kitchen: three products, the toy is left out
    assert len(product_report(home).matrix) == 3


def test_the_cohort_report_equals_the_retention_of_the_raw_orders(shop):
    everything = ReportFilter(date(2025, 1, 1), AS_OF)
    report = cohort_report(everything)
    orders = loaders.paid_orders(as_of=AS_OF)
    expected = cohorts.cohort_retention(orders, as_of=AS_OF)
    assert len(expected) > 6
    assert report.retention["cohort"].tolist() == expected["cohort"].tolist()
    assert_frames_equal(
        report.retention, expected,
        ["months_since", "customers", "active_customers", "retention", "revenue"],
    )  # fmt: skip
    interval = repurchase.repurchase_interval(orders, as_of=AS_OF)
    assert report.interval_median_days == interval.median_days
    assert report.interval_pairs == interval.pairs
    first = report.repurchase_30d.iloc[0]
    month = first["cohort"]
    rate = repurchase.repurchase_rate_30d(
        orders, cohort_start=month.start_time.date(), cohort_end=month.end_time.date(), as_of=AS_OF
    )
    assert (first["repurchased"], first["matured"]) == (rate.numerator, rate.denominator)


def test_the_funnel_report_equals_the_funnel_of_the_raw_events(shop):
    report = funnel_report(PERIOD)
    events = loaders.events(start=PERIOD.start, end=PERIOD.end)
    expected = funnel.funnel_steps(events, start=PERIOD.start, end=PERIOD.end)
    assert report.steps["count"].tolist() == expected["count"].tolist()
    counts = dict(zip(expected["step"], expected["count"], strict=True))
    assert counts["visit"] > counts["add_to_cart"] > counts["pay"] > 0
    assert report.cart_abandonment == pytest.approx(1 - counts["order"] / counts["add_to_cart"])
    by_channel = funnel_report(PERIOD, by_channel=True).steps
    visits = by_channel[by_channel["step"] == "visit"]["count"].sum()
    assert visits == counts["visit"]


def test_the_activity_report_equals_the_weekday_hour_matrix(shop):
    events = loaders.events(start=PERIOD.start, end=PERIOD.end)
    expected = activity.weekday_hour_matrix(
        events, time_column="occurred_at", start=PERIOD.start, end=PERIOD.end
    )
    got = activity_report(PERIOD)
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    lines = loaders.paid_lines(as_of=AS_OF)
    orders = activity.weekday_hour_matrix(
        lines, time_column="paid_at", start=PERIOD.start, end=PERIOD.end, distinct_column="order_id"
    )
    pd.testing.assert_frame_equal(
        activity_report(PERIOD, measure="orders"), orders, check_names=False
    )


def test_the_kpi_summary_sums_days_and_divides_sums(shop):
    summary = kpi_summary(PERIOD)
    orders = loaders.paid_orders(as_of=AS_OF)
    day = orders["paid_at"].dt.normalize()
    in_period = orders[(day >= pd.Timestamp(PERIOD.start)) & (day <= pd.Timestamp(PERIOD.end))]
    assert summary.current["gmv"] == pytest.approx(in_period["paid_total"].sum())
    assert summary.current["orders"] == len(in_period)
    assert summary.current["aov"] == pytest.approx(in_period["net_amount"].sum() / len(in_period))
    assert summary.current["paying_customers"] == in_period["customer_id"].nunique()
    before = summary.previous["orders"]
    assert summary.change["orders"] == pytest.approx((len(in_period) - before) / before)


def test_target_progress_against_the_period_to_date(shop):
    orders = loaders.paid_orders(as_of=AS_OF)
    june = orders[orders["paid_at"] >= pd.Timestamp("2026-06-01")]
    target = f.KpiTargetFactory(
        metric="gmv", period_start=date(2026, 6, 1), period_end=date(2026, 7, 30),
        target=Decimal("10000"),
    )  # fmt: skip
    f.KpiTargetFactory(metric="gmv", period_start=date(2026, 8, 1), period_end=date(2026, 8, 31))
    [progress] = kpi_target_progress(as_of=AS_OF)
    assert progress.target == target
    assert progress.actual == pytest.approx(june["paid_total"].sum())
    assert progress.progress == pytest.approx(june["paid_total"].sum() / 10000)
    assert progress.expected == pytest.approx(30 / 60)


def test_facts_recomputed_from_a_day_equal_a_full_recompute(shop):
    def snapshot():
        return (
            set(ProductSales.objects.values_list("date", "product", "channel", "units", "revenue")),
            set(ActivityCell.objects.values_list("date", "hour", "category", "events", "orders")),
            set(CohortCell.objects.values_list("month", "channel", "months_since", "customers")),
        )

    late = f.OrderFactory(
        customer=f.CustomerFactory(),
        channel=shop["channels"][0],
        created_at=at(AS_OF - timedelta(days=10), 21),
    )
    f.OrderLineFactory(order=late, quantity=7)
    kpis_compute(as_of=AS_OF, since=AS_OF - timedelta(days=10))
    incremental = snapshot()
    ProductSales.objects.all().delete()
    ActivityCell.objects.all().delete()
    kpis_compute(as_of=AS_OF)
    assert incremental == snapshot()


def test_clv_distribution_buckets_predicted_values():
    for value in ("0", "49.99", "50", "120", "6000"):
        f.CustomerScoreFactory(predicted_value_90d=Decimal(value))
    f.CustomerScoreFactory(predicted_value_90d=None)
    buckets = clv_distribution(edges=(0, 50, 100, 5000))
    assert [(b.low, b.high, b.customers) for b in buckets] == [
        (0, 50, 2), (50, 100, 1), (100, 5000, 1), (5000, None, 1),
    ]  # fmt: skip
    assert buckets[0].predicted_value == Decimal("49.99")


def test_histogram_median_follows_numpy():
    for values in ([3], [1, 2], [0, 0, 5, 9], [2, 7, 7, 7, 40]):
        histogram = pd.Series(values).value_counts().sort_index()
        assert _histogram_median(histogram) == np.median(values)
    assert np.isnan(_histogram_median(pd.Series(dtype="int64")))


def test_a_reversed_period_is_refused():
    with pytest.raises(ReportFilterError):
        ReportFilter(date(2026, 2, 1), date(2026, 1, 1))


def test_the_channel_report_equals_channel_quality_of_the_raw_rows(shop):
    from analytics.metrics.channels import channel_quality
    from analytics.selectors import channel_report

    search, live = shop["channels"]
    f.ChannelSpendFactory(channel=live, date=AS_OF - timedelta(days=3), spend=Decimal("400"))
    f.ChannelSpendFactory(channel=live, date=AS_OF - timedelta(days=200), spend=Decimal("999"))
    report = channel_report(PERIOD).set_index("channel_id")
    spend = pd.DataFrame(
        {"channel_id": [live.pk], "date": [AS_OF - timedelta(days=3)], "spend": [400.0]}
    )
    expected = channel_quality(
        loaders.events(start=PERIOD.start, end=PERIOD.end),
        loaders.paid_orders(as_of=AS_OF),
        spend,
        start=PERIOD.start,
        end=PERIOD.end,
    ).set_index("channel_id")
    for channel in (search, live):
        for column in ("visitors", "paying_customers", "paid_orders", "revenue", "gross_profit",
                       "new_customers", "spend", "conversion_rate", "aov"):  # fmt: skip
            got, want = report.loc[channel.pk, column], expected.loc[channel.pk, column]
            assert got == pytest.approx(want, nan_ok=True), (channel.code, column)
    assert report.loc[live.pk, "spend"] == 400
    assert report.loc[live.pk, "channel"] == "live"


def test_the_inventory_report_lists_the_snapshot(shop):
    from analytics.models import InventorySnapshot
    from analytics.selectors import inventory_report

    report = inventory_report(as_of=AS_OF)
    assert report.snapshot_date == AS_OF
    assert InventorySnapshot.objects.filter(date=AS_OF).count() == 4
    assert 0 <= report.summary["sku_sell_through"] <= 1
    low = InventorySnapshot.objects.filter(date=AS_OF, low_stock=True).count()
    assert len(report.low_stock) == low
    assert inventory_report(as_of=AS_OF - timedelta(days=1)).snapshot_date is None


def test_the_kpi_summary_of_a_category_covers_its_subtree(shop):
    lines = loaders.paid_lines(as_of=AS_OF)
    day = lines["paid_at"].dt.normalize()
    home = shop["home"]
    ids = {home.pk, shop["kitchen"].pk}
    rows = lines[
        (day >= pd.Timestamp(PERIOD.start)) & (day <= pd.Timestamp(PERIOD.end))
        & lines["category_id"].isin(ids)
    ]  # fmt: skip
    summary = kpi_summary(ReportFilter(PERIOD.start, PERIOD.end, category=home)).current
    assert summary["units"] == rows["quantity"].sum() > 0
    assert summary["return_rate"] == pytest.approx(
        rows["returned_quantity"].sum() / rows["quantity"].sum()
    )
    cost = (rows["quantity"] * rows["unit_cost"]).sum()
    revenue = rows["net_amount"].sum()
    assert summary["gross_margin"] == pytest.approx((revenue - cost) / revenue)
