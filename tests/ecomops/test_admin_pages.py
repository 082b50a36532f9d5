"""Every admin page of every model loads for a superuser, in a bounded number of queries."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import (
    ActivityCell,
    AnalyticsRun,
    Cohort,
    CohortCell,
    CohortDay,
    CustomerRecency,
    ForecastAccuracy,
    InventorySnapshot,
    ProductForecast,
    ProductReviews,
    ProductSales,
    Recommendation,
    SegmentMember,
    SkuSales,
)
from campaigns.models import AutomationRecipient, Message, Reward
from catalog.models import ImportJob
from customers.models import AuditEntry, TierChange
from tests import factories as f

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20


def _forecast():
    return ProductForecast.objects.create(
        product=f.ProductFactory(), week_start=date(2026, 7, 6), units=3
    )


def _accuracy():
    return ForecastAccuracy.objects.create(
        product=f.ProductFactory(),
        mape=0.1,
        wape=0.1,
        abs_error=1,
        actual_units=10,
        ape_sum=0.4,
        nonzero_weeks=4,
        weeks_of_history=20,
    )


def _product_sales():
    return ProductSales.objects.create(
        date=date(2026, 7, 6), product=f.ProductFactory(), units=3, orders=2, revenue=30,
        cost=12, returned_units=1,
    )  # fmt: skip


def _product_reviews():
    return ProductReviews.objects.create(
        date=date(2026, 7, 6), product=f.ProductFactory(), reviews=3, positive_reviews=2
    )


def _activity():
    return ActivityCell.objects.create(date=date(2026, 7, 6), hour=20, events=9, orders=2)


def _cohort():
    return Cohort.objects.create(
        month=date(2026, 7, 1), customers=5, matured_30d=4, repurchased_30d=1
    )


def _cohort_cell():
    return CohortCell.objects.create(
        month=date(2026, 7, 1), months_since=0, customers=5, orders=6, revenue=300,
        intervals={"3": 1},
    )  # fmt: skip


def _cohort_day():
    return CohortDay.objects.create(
        date=date(2026, 7, 6), month=date(2026, 7, 1), customers=5, orders=6, revenue=300,
        intervals={"3": 1},
    )  # fmt: skip


def _customer_recency():
    day = date(2026, 7, 6) + timedelta(days=CustomerRecency.objects.count())
    return CustomerRecency.objects.create(
        date=day, latest_order=[1, 0, 2], previous_order=[0, 1], returned=[0] * 30,
        latest_event=[3], first_orders={"": 1}, second_orders={"": {"1": 1}},
    )  # fmt: skip


def _sku_sales():
    return SkuSales.objects.create(date=date(2026, 7, 6), sku=f.SKUFactory(), units=3, cost=12)


def _inventory():
    return InventorySnapshot.objects.create(
        date=date(2026, 7, 6), sku=f.SKUFactory(), stock=5, units_sold=3, daily_units=0.1,
        days_of_cover=50, lead_time_days=7, low_stock=False, slow_mover=False,
    )  # fmt: skip


def _run():
    return AnalyticsRun.objects.create(
        as_of=date(2026, 7, 6), status="done", steps_done=1, steps_total=1,
        report=[{"name": "scores", "seconds": 1.5, "summary": "3 customers scored"}],
    )  # fmt: skip


def _tier_change():
    return TierChange.objects.create(
        customer=f.CustomerFactory(), to_tier=f.TierFactory(), reason="upgrade"
    )


BUILDERS = {
    "customers.tierchange": _tier_change,
    "analytics.analyticsrun": _run,
    "analytics.inventorysnapshot": _inventory,
    "analytics.productsales": _product_sales,
    "analytics.productreviews": _product_reviews,
    "analytics.activitycell": _activity,
    "analytics.cohort": _cohort,
    "analytics.cohortcell": _cohort_cell,
    "analytics.cohortday": _cohort_day,
    "analytics.customerrecency": _customer_recency,
    "analytics.skusales": _sku_sales,
    "customers.membershiptier": f.TierFactory,
    "customers.tag": f.TagFactory,
    "customers.customer": f.CustomerFactory,
    "customers.customertag": f.CustomerTagFactory,
    "customers.pointsentry": f.PointsEntryFactory,
    "customers.communitygroup": f.CommunityGroupFactory,
    "customers.groupmembership": f.GroupMembershipFactory,
    "catalog.category": f.CategoryFactory,
    "catalog.product": f.ProductFactory,
    "catalog.sku": f.SKUFactory,
    "catalog.channel": f.ChannelFactory,
    "catalog.channelspend": f.ChannelSpendFactory,
    "catalog.order": f.OrderFactory,
    "catalog.orderline": f.OrderLineFactory,
    "catalog.return": f.ReturnFactory,
    "catalog.review": f.ReviewFactory,
    "catalog.importjob": lambda: ImportJob.objects.create(kind="orders", file="imports/orders.csv"),
    "analytics.event": f.EventFactory,
    "analytics.customerscore": f.CustomerScoreFactory,
    "analytics.segment": f.SegmentFactory,
    "analytics.segmentmember": lambda: SegmentMember.objects.create(
        segment=f.SegmentFactory(), customer=f.CustomerFactory()
    ),
    "analytics.dailykpi": f.DailyKPIFactory,
    "analytics.productaffinity": f.ProductAffinityFactory,
    "analytics.kpitarget": f.KpiTargetFactory,
    "analytics.recommendation": lambda: Recommendation.objects.create(
        customer=f.CustomerFactory(), product=f.ProductFactory(), rank=1, score=0.5
    ),
    "analytics.productforecast": _forecast,
    "analytics.forecastaccuracy": _accuracy,
    "campaigns.coupontemplate": f.CouponTemplateFactory,
    "campaigns.coupon": f.CouponFactory,
    "campaigns.redemption": f.RedemptionFactory,
    "campaigns.campaign": f.CampaignFactory,
    "campaigns.campaignrecipient": f.CampaignRecipientFactory,
    "campaigns.experiment": f.ExperimentFactory,
    "campaigns.experimentvariant": f.ExperimentVariantFactory,
    "campaigns.automation": f.AutomationFactory,
    "campaigns.automationrecipient": lambda: AutomationRecipient.objects.create(
        automation=f.AutomationFactory(),
        customer=f.CustomerFactory(),
        triggered_on=date(2026, 7, 6),
        arm="treatment",
    ),
    "campaigns.message": lambda: Message.objects.create(
        key=f"test:{Message.objects.count()}",
        customer=f.CustomerFactory(),
        channel="console",
        body="Hi",
    ),
    "campaigns.reward": lambda: Reward.objects.create(
        name=f"Voucher {Reward.objects.count()}",
        points_cost=500,
        coupon_template=f.CouponTemplateFactory(),
    ),
    "customers.auditentry": lambda: AuditEntry.objects.create(
        actor_label="ops",
        action="change",
        object_type="customers.customer",
        object_id="1",
        object_repr="C000001",
        customer=f.CustomerFactory(),
        before={"a": 1},
        after={"a": 2},
    ),
}
OUR_MODELS = sorted(
    label
    for label in (m._meta.label_lower for m in admin.site._registry)
    if label.split(".")[0] in {"customers", "catalog", "analytics", "campaigns"}
)


def test_every_model_of_ours_is_in_the_admin_and_has_a_builder():
    from django.apps import apps

    ours = {
        m._meta.label_lower
        for app in ("customers", "catalog", "analytics", "campaigns")
        for m in apps.get_app_config(app).get_models()
    }
    assert set(OUR_MODELS) == ours
    assert set(BUILDERS) == ours


def url(label: str, page: str, *args) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{page}", args=args)


@pytest.mark.parametrize("label", OUR_MODELS)
def test_changelist_loads_with_bounded_queries(admin_client, django_assert_max_num_queries, label):
    for _ in range(3):
        BUILDERS[label]()
    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(url(label, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 3


@pytest.mark.parametrize("label", OUR_MODELS)
def test_change_page_loads_with_bounded_queries(admin_client, django_assert_max_num_queries, label):
    obj = BUILDERS[label]()
    with django_assert_max_num_queries(MAX_QUERIES + 10):
        response = admin_client.get(url(label, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("label", OUR_MODELS)
def test_add_page_loads_where_adding_is_allowed(admin_client, label):
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)
    response = admin_client.get(url(label, "add"))
    request = response.wsgi_request
    if model_admin.has_add_permission(request):
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_order_page_queries_do_not_grow_with_its_lines(admin_client, django_assert_max_num_queries):
    small = f.OrderLineFactory().order
    big = f.OrderFactory()
    for _ in range(15):
        f.OrderLineFactory(order=big)
    admin_client.get(url("catalog.order", "change", small.pk))  # warm the caches
    counts = []
    for order in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url("catalog.order", "change", order.pk)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_customer_page_queries_do_not_grow_with_orders_or_ledger(admin_client):
    quiet, busy = f.CustomerFactory(), f.CustomerFactory()
    for n in range(30):
        f.OrderFactory(customer=busy)
        f.PointsEntryFactory(customer=busy, delta=10, balance_after=10 * (n + 1))
    admin_client.get(url("customers.customer", "change", quiet.pk))  # warm the caches
    counts = []
    for customer in (quiet, busy):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url("customers.customer", "change", customer.pk))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("label", ["customers.pointsentry", "campaigns.redemption"])
def test_ledger_and_redemptions_are_read_only(admin_client, label):
    obj = BUILDERS[label]()
    assert admin_client.get(url(label, "add")).status_code == 403
    page = admin_client.get(url(label, "change", obj.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.post(url(label, "delete", obj.pk), {"post": "yes"}).status_code == 403


def test_group_page_queries_do_not_grow_with_its_members(admin_client):
    small, big = f.CommunityGroupFactory(), f.CommunityGroupFactory()
    f.GroupMembershipFactory(group=small)
    for _ in range(25):
        f.GroupMembershipFactory(group=big)
    admin_client.get(url("customers.communitygroup", "change", small.pk))  # warm the caches
    counts = []
    for group in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert (
                admin_client.get(url("customers.communitygroup", "change", group.pk)).status_code
                == 200
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
