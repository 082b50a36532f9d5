"""The Shopify and UCI Online Retail layouts, on sample files that follow them."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog.models import SKU, Order, Return
from catalog.services import import_file
from customers.models import Customer
from tests import factories as f
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import FIXTURES, codes, write

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests


def test_a_shopify_export_becomes_orders_customers_and_refunds(shop):
    result = import_file(kind="orders", path=FIXTURES / "shopify_orders.csv", file_format="shopify")
    assert result.ok and (result.rows_read, result.created, result.customers_created) == (5, 4, 2)
    assert result.extra["refunds_written"] == 1
    first = Order.objects.get(external_id="#1001")
    assert (first.status, first.customer.external_id) == ("completed", "jane.doe@example.com")
    assert (first.goods_total, first.discount_total, first.shipping_total, first.paid_total) == (
        Decimal("243.50"),
        Decimal("23.80"),
        Decimal("8.00"),
        Decimal("227.70"),
    )
    assert first.created_at == datetime(2024, 3, 1, 2, 0, 5, tzinfo=UTC)  # 10:00:05 +0800
    assert first.paid_at == datetime(2024, 3, 1, 2, 2, 11, tzinfo=UTC)
    assert sorted(first.lines.values_list("sku__code", "discount")) == [
        ("MUG-01", Decimal("4.00")),
        ("TEE-WHT-M", Decimal("19.80")),
    ]
    guest = Order.objects.get(external_id="#1003")
    assert (guest.customer, guest.status, guest.paid_at) == (None, "pending", None)
    assert Order.objects.get(external_id="#1004").status == "cancelled"
    refund = Return.objects.get()
    assert (refund.order.external_id, refund.order_line, refund.quantity, refund.refund_amount) == (
        "#1002",
        None,
        0,
        Decimal("200.00"),
    )
    jane = Customer.objects.get(external_id="jane.doe@example.com")
    assert (jane.name, jane.email, jane.phone, jane.city) == (
        "Jane Doe",
        "jane.doe@example.com",
        "+8613812341234",
        "Shanghai",
    )
    assert Customer.objects.get(external_id="li.na@example.com").marketing_opt_in is False

    again = import_file(kind="orders", path=FIXTURES / "shopify_orders.csv", file_format="shopify")
    assert (again.created, again.updated, again.unchanged, again.extra["refunds_written"]) == (
        0,
        0,
        4,
        0,
    )
    assert Return.objects.count() == 1


def test_a_shopify_export_creates_the_skus_it_names_and_leaves_known_ones_alone(db):
    f.SKUFactory(code="TEE-WHT-M", unit_cost=Decimal("38.50"), list_price=Decimal("109.00"))
    result = import_file(
        kind="products", path=FIXTURES / "shopify_orders.csv", file_format="shopify"
    )
    assert (result.created, result.unchanged) == (3, 1)
    mug = SKU.objects.select_related("product").get(code="MUG-01")
    assert (mug.list_price, mug.unit_cost, mug.product.name, mug.product.brand) == (
        Decimal("52.00"),
        Decimal("0.00"),
        "Ceramic mug",
        "Clayworks",
    )
    assert SKU.objects.get(code="TEE-WHT-M").list_price == Decimal("109.00")


def test_online_retail_invoices_guests_and_cancellations(db):
    products = import_file(
        kind="products", path=FIXTURES / "online_retail.csv", file_format="online-retail"
    )
    assert products.created == 6
    assert SKU.objects.get(code="85123A").list_price == Decimal("2.95")  # the highest price seen
    result = import_file(
        kind="orders", path=FIXTURES / "online_retail.csv", file_format="online-retail"
    )
    assert result.ok and (result.created, result.customers_created) == (5, 3)
    assert result.extra["cancellations_written"] == 1
    guest = Order.objects.get(external_id="536368")
    assert guest.customer is None and guest.paid_total == Decimal("25.50")
    french = Order.objects.get(external_id="536370")
    assert (french.customer.external_id, french.shipping_region, french.goods_total) == (
        "12583",
        "France",
        Decimal("125.40"),
    )
    assert french.created_at == datetime(2010, 12, 1, 8, 45, tzinfo=UTC)
    cancelled = Return.objects.select_related("order_line__order").get()
    assert (cancelled.order_line.order.external_id, cancelled.order_line.sku.code) == (
        "536365",
        "85123A",
    )
    assert (cancelled.quantity, cancelled.refund_amount, cancelled.reason) == (
        2,
        Decimal("5.10"),
        "cancelled",
    )
    assert not Order.objects.filter(external_id__startswith="C").exists()

    again = import_file(
        kind="orders", path=FIXTURES / "online_retail.csv", file_format="online-retail"
    )
    assert (again.created, again.unchanged, Return.objects.count()) == (0, 5, 1)


def test_an_online_retail_cancellation_without_its_sale_is_a_row_error(tmp_path):
    path = write(
        tmp_path,
        "retail.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536400,22633,HAND WARMER,6,12/1/2010 8:28,1.85,17850,United Kingdom\n"
        "C536401,22633,HAND WARMER,-6,11/30/2010 8:00,1.85,17850,United Kingdom\n"
        "C536402,22633,HAND WARMER,-1,12/2/2010 8:00,1.85,,United Kingdom\n"
        "536403,22633,HAND WARMER,-3,12/2/2010 9:00,1.85,17850,United Kingdom\n",
    )
    import_file(kind="products", path=path, file_format="online-retail")
    result = import_file(kind="orders", path=path, file_format="online-retail", skip_bad_rows=True)
    assert codes(result) == {
        (3, "StockCode", "unmatched"),  # before the sale it would cancel
        (4, "CustomerID", "unmatched"),  # a guest's cancellation
        (5, "Quantity", "negative"),  # a negative quantity outside a C invoice
    }
    assert list(Order.objects.values_list("external_id", flat=True)) == ["536400"]
