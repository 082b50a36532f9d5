"""Imported orders earn points (recent ones only) and refunds take them back, through the
``orders_changed`` signal and ``loyalty_sync``."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.services import loyalty_sync
from catalog.models import Order
from catalog.services import import_file
from customers.models import Customer, PointsEntry
from tests import factories as f
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import orders_csv

pytestmark = pytest.mark.django_db
shop = support.shop


def stamp(days_ago: int) -> str:
    return (timezone.localtime() - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


def test_an_import_awards_points_for_recent_paid_orders_only(
    tmp_path, shop, django_capture_on_commit_callbacks
):
    path = orders_csv(
        tmp_path,
        f"SO-1,C1,{stamp(2)},{stamp(2)},completed,search,120.00,,,,,,",
        f"SO-2,C1,{stamp(400)},{stamp(400)},completed,search,80.00,,,,,,",  # history
        f"SO-3,C2,{stamp(1)},,pending,search,50.00,,,,,,",
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_file(kind="orders", path=path)
    c1 = Customer.objects.get(external_id="C1")
    assert c1.points_balance == 120
    assert list(PointsEntry.objects.values_list("idempotency_key", flat=True)) == [
        f"order:{Order.objects.get(external_id='SO-1').pk}"
    ]
    # The same file again: nothing changes, nothing is awarded twice.
    with django_capture_on_commit_callbacks(execute=True):
        import_file(kind="orders", path=path)
    c1.refresh_from_db()
    assert c1.points_balance == 120 and PointsEntry.objects.count() == 1


def test_a_refunded_order_gives_its_points_back():
    customer = f.CustomerFactory()
    since = timezone.now() - timedelta(minutes=1)
    order = f.OrderFactory(customer=customer, status="completed", paid_total=300)
    assert loyalty_sync(since=since) == {"orders_awarded": 1, "orders_reversed": 0}
    customer.refresh_from_db()
    assert customer.points_balance == 300
    Order.objects.filter(pk=order.pk).update(status="refunded", updated_at=timezone.now())
    assert loyalty_sync(since=since) == {"orders_awarded": 0, "orders_reversed": 1}
    customer.refresh_from_db()
    assert customer.points_balance == 0
    assert loyalty_sync(since=since) == {"orders_awarded": 0, "orders_reversed": 0}
