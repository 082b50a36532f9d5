"""Customers, products, channel spend, returns and reviews."""

from datetime import date
from decimal import Decimal

import pytest

from catalog.models import SKU, Category, ChannelSpend, Order, Product, Return, Review
from catalog.services import import_file
from customers.models import Customer, CustomerTag
from tests import factories as f
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import EXAMPLES, codes, orders_csv, write

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests


def test_customers_are_upserted_with_their_tags_and_chinese_genders(shop):
    result = import_file(kind="customers", path=EXAMPLES / "customers.csv")
    assert result.ok and result.created == 3
    zhang = Customer.objects.get(external_id="C1001")
    assert (zhang.gender, zhang.birthday, zhang.acquisition_channel) == (
        "m",
        date(1990, 5, 1),
        "search",
    )
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["koc", "vip"]
    assert Customer.objects.get(external_id="C1002").birthday == date(1988, 3, 12)


def test_a_changed_customer_row_updates_only_the_columns_the_file_has(tmp_path, shop):
    import_file(kind="customers", path=EXAMPLES / "customers.csv")
    zhang = Customer.objects.get(external_id="C1001")
    manual = f.TagFactory(name="staff-pick")
    CustomerTag.objects.create(customer=zhang, tag=manual, source=CustomerTag.Source.MANUAL)
    path = write(
        tmp_path, "c.csv", "customer_id,city,tags\nC1001,Suzhou,vip;new-tag\nC1002,Beijing,\n"
    )
    result = import_file(kind="customers", path=path)
    assert (result.updated, result.unchanged) == (1, 1)
    zhang.refresh_from_db()
    assert (zhang.city, zhang.name, zhang.email) == ("Suzhou", "Zhang Wei", "zhang.wei@example.com")
    # The imported "koc" link goes, "new-tag" comes, the staff's own tag stays.
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["new-tag", "staff-pick", "vip"]


def test_customer_rows_with_bad_or_masked_values_are_refused(tmp_path, shop):
    path = write(
        tmp_path,
        "c.csv",
        "customer_id,email,phone,gender,birthday,channel\n"
        "C1,z***@example.com,138****1234,f,1990-01-01,search\n"
        "C2,ok@example.com,,robot,2999-01-01,tv\n"
        "C1,other@example.com,,,,\n"
        ",a@example.com,,,,\n",
    )
    result = import_file(kind="customers", path=path)
    assert codes(result) == {
        (2, "email", "masked"),
        (2, "phone", "masked"),
        (3, "gender", "invalid_value"),
        (3, "birthday", "invalid_value"),
        (3, "channel", "unknown_channel"),
        (5, "customer_id", "required"),
    }
    assert Customer.objects.count() == 0


def test_a_repeated_key_with_different_content_is_an_error_and_an_identical_repeat_is_not(
    tmp_path, db
):
    path = write(tmp_path, "c.csv", "customer_id,name\nC1,Ann\nC1,Ann\nC1,Bob\n")
    result = import_file(kind="customers", path=path, skip_bad_rows=True)
    assert codes(result) == {(4, "customer_id", "duplicate_key")}
    assert "line 2 has the same key" in result.errors[0].reason
    assert Customer.objects.get().name == "Ann"


def test_products_create_categories_products_and_skus(shop):
    SKU.objects.all().delete()
    result = import_file(kind="products", path=EXAMPLES / "products.csv")
    assert result.ok and result.created == 4
    tee_m = SKU.objects.select_related("product__category__parent").get(code="TEE-WHT-M")
    assert (tee_m.product.code, tee_m.product.name, tee_m.product.brand) == (
        "P-TEE",
        "Cotton tee",
        "Lumen",
    )
    assert (tee_m.product.category.name, tee_m.product.category.parent.name) == ("Tops", "Women")
    assert tee_m.attributes == {"colour": "white", "size": "M"}
    assert SKU.objects.get(code="TEE-WHT-L").attributes == {"colour": "white", "size": "L"}
    assert SKU.objects.get(code="TEE-WHT-L").product_id == tee_m.product_id
    dress = SKU.objects.get(code="DRS-BLK-S")
    assert (dress.list_price, dress.unit_cost, dress.stock_on_hand, dress.lead_time_days) == (
        Decimal("1299.00"),
        Decimal("520.00"),
        15,
        14,
    )
    assert Category.objects.filter(name="Women", parent=None).count() == 1
    assert import_file(kind="products", path=EXAMPLES / "products.csv").unchanged == 4


def test_a_stock_file_updates_stock_only_and_a_new_sku_needs_its_product(tmp_path, shop):
    path = write(tmp_path, "stock.csv", "sku,stock\nMUG-01,7\nNEW-1,3\n")
    result = import_file(kind="products", path=path, skip_bad_rows=True)
    assert codes(result) == {(3, "product", "required")}
    mug = SKU.objects.get(code="MUG-01")
    assert (mug.stock_on_hand, mug.unit_cost) == (7, Decimal("12.00"))
    path = write(tmp_path, "new.csv", "sku,product,list_price,unit_cost\nNEW-1,Linen bag,59,20\n")
    import_file(kind="products", path=path)
    bag = SKU.objects.select_related("product__category").get(code="NEW-1")
    assert (bag.product.name, bag.product.category.name) == ("Linen bag", "Uncategorised")
    assert bag.product.code.startswith("P-") and len(bag.product.code) == 12
    assert Product.objects.filter(name="Linen bag").count() == 1


def test_channel_spend_is_upserted_by_channel_and_day(tmp_path, shop):
    result = import_file(kind="channel-spend", path=EXAMPLES / "channel-spend.csv")
    assert result.created == 3
    assert ChannelSpend.objects.get(channel__code="live-stream").spend == Decimal("3500.00")
    path = write(
        tmp_path,
        "s.csv",
        "channel,date,spend\nsearch,2024-03-01,1500\nnowhere,2024-03-01,1\nsearch,2024-03-02,-5\n",
    )
    result = import_file(kind="channel-spend", path=path, skip_bad_rows=True)
    assert codes(result) == {(3, "channel", "unknown_channel"), (4, "spend", "negative")}
    assert (result.updated, ChannelSpend.objects.get(channel__code="search").spend) == (
        1,
        Decimal("1500.00"),
    )


@pytest.fixture
def sales(shop):
    import_file(kind="customers", path=EXAMPLES / "customers.csv")
    assert import_file(kind="orders", path=EXAMPLES / "orders.csv").created == 4


def test_returns_attach_to_the_line_or_the_order(sales):
    result = import_file(kind="returns", path=EXAMPLES / "returns.csv")
    assert result.ok and result.created == 2
    line_return = Return.objects.get(order_line__isnull=False)
    assert (
        line_return.order_line.sku.code,
        line_return.quantity,
        line_return.reason,
        line_return.refund_amount,
    ) == (
        "TEE-WHT-M",
        1,
        "size",
        Decimal("89.00"),
    )
    order_return = Return.objects.get(order_line__isnull=True)
    assert (order_return.order.external_id, order_return.reason, order_return.quantity) == (
        "SO-2",
        "quality",
        0,
    )
    assert import_file(kind="returns", path=EXAMPLES / "returns.csv").unchanged == 2


def test_return_rows_naming_what_does_not_exist_are_refused(tmp_path, sales):
    path = write(
        tmp_path,
        "r.csv",
        "order_id,sku,quantity,reason,refund_amount,created_at\n"
        "NOPE,,,,1,2024-03-08\n"
        "SO-1,DRS-BLK-S,1,,1,2024-03-08\n"
        "SO-1,TEE-WHT-M,5,,1,2024-03-08\n"
        "SO-1,,2,,1,2024-03-08\n"
        "SO-1,TEE-WHT-M,1,lost,1,2024-03-08\n",
    )
    result = import_file(kind="returns", path=path)
    assert codes(result) == {
        (2, "order_id", "unknown_order"),
        (3, "sku", "unknown_sku"),
        (4, "quantity", "invalid_value"),
        (5, "quantity", "invalid_value"),
        (6, "reason", "invalid_value"),
    }


def test_reviews_are_one_per_line_and_name_the_ordering_customer(tmp_path, sales):
    result = import_file(kind="reviews", path=EXAMPLES / "reviews.csv")
    assert result.ok and result.created == 2
    review = Review.objects.get(order_line__sku__code="TEE-WHT-M")
    assert (review.rating, review.has_media, review.customer.external_id, review.reply) == (
        4,
        True,
        "C1001",
        "Thank you!",
    )
    assert Review.objects.get(order_line__sku__code="DRS-BLK-S").customer.external_id == "C1002"
    path = write(
        tmp_path,
        "v.csv",
        "order_id,sku,customer_id,rating,created_at\n"
        "SO-1,TEE-WHT-M,C1001,5,2024-03-06 12:00\n"
        "SO-1,MUG-01,C1002,4,2024-03-06\n"
        "SO-2,DRS-BLK-S,,6,2024-03-06\n",
    )
    result = import_file(kind="reviews", path=path, skip_bad_rows=True)
    assert codes(result) == {(3, "customer_id", "invalid_value"), (4, "rating", "invalid_value")}
    assert (result.updated, Review.objects.get(order_line__sku__code="TEE-WHT-M").rating) == (1, 5)


def test_a_guest_orders_line_needs_a_named_reviewer(tmp_path, shop):
    import_file(kind="orders", path=orders_csv(tmp_path, "G,,2024-03-01,,,,,MUG-01,1,45.50,,,"))
    assert Order.objects.get().customer is None
    path = write(tmp_path, "v.csv", "order_id,sku,rating,created_at\nG,MUG-01,5,2024-03-02\n")
    assert codes(import_file(kind="reviews", path=path)) == {(2, "customer_id", "required")}
