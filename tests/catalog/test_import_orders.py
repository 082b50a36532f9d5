"""The generic orders import: grouping, defaults, totals, errors, modes, idempotence."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Order, OrderLine, Return
from catalog.services import import_file
from customers.models import Customer
from tests import factories as f
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import FIXTURES, codes, orders_csv

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests


@pytest.fixture(autouse=True, params=[20_000, 2], ids=["one-chunk", "two-row-chunks"])
def chunk_rows(request, monkeypatch):
    """Every test runs with the file in one chunk and in chunks of two rows, so that
    orders split across chunks (and written during the parse) are covered too."""
    monkeypatch.setattr("catalog.importing.readers.CHUNK_ROWS", request.param)
    return request.param


def test_rows_sharing_an_order_id_are_one_order_with_its_totals(tmp_path, shop):
    path = orders_csv(
        tmp_path,
        "SO-1,C1,2024-03-01 10:00:00,2024-03-01 10:02:00,completed,search,,TEE-WHT-M,2,99.00,10.00,8.00,Shanghai",
        "SO-1,C1,2024-03-01 10:00:00,2024-03-01 10:02:00,completed,search,,MUG-01,1,45.50,,8.00,Shanghai",
        "SO-2,C2,2024-03-02 11:00:00,,,,300.00,,,,,,",
    )
    result = import_file(kind="orders", path=path)
    assert (result.rows_read, result.created, result.customers_created) == (3, 2, 2)
    order = Order.objects.get(external_id="SO-1")
    assert (order.goods_total, order.discount_total, order.shipping_total, order.paid_total) == (
        Decimal("243.50"),
        Decimal("10.00"),
        Decimal("8.00"),
        Decimal("241.50"),
    )
    assert (order.channel.code, order.shipping_region, order.customer.external_id) == (
        "search",
        "Shanghai",
        "C1",
    )
    lines = list(
        order.lines.order_by("pk").values_list(
            "sku__code", "quantity", "unit_price", "unit_cost", "discount"
        )
    )
    assert lines == [
        ("TEE-WHT-M", 2, Decimal("99.00"), Decimal("38.50"), Decimal("10.00")),
        ("MUG-01", 1, Decimal("45.50"), Decimal("12.00"), Decimal("0.00")),
    ]
    total_only = Order.objects.get(external_id="SO-2")
    assert (total_only.goods_total, total_only.paid_total, total_only.lines.count()) == (
        Decimal("0.00"),
        Decimal("300.00"),
        0,
    )
    # A new customer is registered when their first order in the file was placed.
    assert Customer.objects.get(external_id="C2").registered_at == datetime(
        2024, 3, 2, 11, 0, tzinfo=UTC
    )


def test_status_defaults_to_completed_paid_at_to_created_at_and_zero_is_a_valid_total(
    tmp_path, shop
):
    path = orders_csv(
        tmp_path,
        "A,C1,2024-03-01 10:00,,,,,MUG-01,1,45.50,,,",
        "B,C1,2024-03-01 11:00,,pending,,0,,,,,,",
        "C,C1,2024-03-01 12:00,,refunded,,,MUG-01,1,0,,,",
    )
    assert import_file(kind="orders", path=path).created == 3
    a, b, c = (Order.objects.get(external_id=k) for k in "ABC")
    assert (a.status, a.paid_at) == ("completed", a.created_at)
    assert (b.status, b.paid_at, b.paid_total) == ("pending", None, Decimal("0.00"))
    assert (c.status, c.paid_at, c.paid_total) == ("refunded", None, Decimal("0.00"))


def test_rows_without_order_id_get_stable_ids_and_same_day_orders_stay_two(tmp_path, shop):
    same = ",C1,2024-03-01,,,,,MUG-01,1,45.50,,,"
    path = orders_csv(tmp_path, same, same, ",C1,2024-03-01,,,,,TEE-WHT-M,1,99,,,")
    first = import_file(kind="orders", path=path)
    assert first.created == 3
    ids = sorted(Order.objects.values_list("external_id", flat=True))
    assert all(i.startswith("D-") for i in ids) and len({i.split("-")[1] for i in ids}) == 2
    assert [i for i in ids if i.endswith("-2")]  # the identical twin is the second occurrence
    again = import_file(kind="orders", path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ids


def test_every_kind_of_error_is_reported_with_its_line_and_column(shop):
    result = import_file(kind="orders", path=FIXTURES / "orders_with_errors.csv")
    assert not result.committed and Order.objects.count() == 0
    assert codes(result) == {
        (3, "created_at", "invalid_date"),
        (4, "quantity", "negative"),
        (5, "sku", "unknown_sku"),
        (6, "channel", "unknown_channel"),
        (8, "customer_id", "duplicate_key"),
        (9, "status", "invalid_value"),
        (9, "unit_price", "invalid_number"),
    }
    by_line = {e.line: e.reason for e in result.errors if e.column != "unit_price"}
    assert by_line[8] == "order E-6 has customer_id C1 on line 7 but C2 here"
    assert by_line[5] == "unknown SKU 'NO-SUCH-SKU' (import products first)"
    assert result.skipped == 6 and "Refused, nothing written: 6 bad line(s)" in result.summary()


def test_all_or_nothing_writes_nothing_while_skip_bad_rows_writes_the_good_rows(shop):
    customers_before = Customer.objects.count()
    refused = import_file(kind="orders", path=FIXTURES / "orders_with_errors.csv")
    assert (refused.committed, Order.objects.count(), Customer.objects.count()) == (
        False,
        0,
        customers_before,
    )

    result = import_file(
        kind="orders", path=FIXTURES / "orders_with_errors.csv", skip_bad_rows=True
    )
    assert result.committed
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["E-1", "E-8"]
    # E-6's first line is fine but its order is not: it is skipped too, and listed.
    assert (7, "order_id", "order_skipped") in codes(result)
    assert result.skipped == 7 and result.created == 2


def test_a_dry_run_validates_and_counts_but_writes_nothing(tmp_path, shop):
    path = orders_csv(
        tmp_path, "A,C1,2024-03-01,,,,,MUG-01,1,45.50,,,", "B,C2,2024-03-01,,,,,MUG-01,2,45.50,,,"
    )
    result = import_file(kind="orders", path=path, dry_run=True)
    assert (result.created, result.customers_created, result.committed) == (2, 2, False)
    assert (Order.objects.count(), OrderLine.objects.count(), Customer.objects.count()) == (0, 0, 0)
    assert result.summary().startswith("Dry run, nothing written")


def test_reimporting_changes_nothing_and_a_changed_row_updates_its_order(tmp_path, shop):
    rows = [
        "A,C1,2024-03-01,,,search,,MUG-01,1,45.50,,,Shanghai",
        "A,C1,2024-03-01,,,search,,TEE-WHT-M,1,99.00,,,Shanghai",
        "B,C1,2024-03-02,,,search,,MUG-01,2,45.50,,,Shanghai",
    ]
    import_file(kind="orders", path=orders_csv(tmp_path, *rows))
    b_before = Order.objects.get(external_id="B").updated_at
    line_ids = set(OrderLine.objects.values_list("pk", flat=True))
    same = import_file(kind="orders", path=orders_csv(tmp_path, *rows))
    assert (same.created, same.updated, same.unchanged) == (0, 0, 2)
    assert set(OrderLine.objects.values_list("pk", flat=True)) == line_ids

    f.SKU.objects.filter(code="MUG-01").update(unit_cost=Decimal("15.00"))
    changed = [
        rows[0].replace(",1,45.50,", ",3,45.50,"),
        "A,C1,2024-03-01,,,search,,DRS-BLK-S,1,1299.00,,,Shanghai",
        rows[2],
    ]
    result = import_file(kind="orders", path=orders_csv(tmp_path, *changed))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    a = Order.objects.get(external_id="A")
    assert a.goods_total == Decimal("1435.50")  # 3 × 45.50 + 1299.00
    assert sorted(a.lines.values_list("sku__code", "quantity", "unit_cost")) == [
        ("DRS-BLK-S", 1, Decimal("520.00")),
        ("MUG-01", 3, Decimal("12.00")),  # the cost when first sold is kept
    ]
    assert Order.objects.get(external_id="B").updated_at == b_before


def test_a_vanished_line_with_a_return_is_kept_and_reported(tmp_path, shop):
    rows = ["A,C1,2024-03-01,,,,,MUG-01,1,45.50,,,", "A,C1,2024-03-01,,,,,TEE-WHT-M,1,99,,,"]
    import_file(kind="orders", path=orders_csv(tmp_path, *rows))
    line = OrderLine.objects.get(sku__code="TEE-WHT-M")
    Return.objects.create(
        order=line.order, order_line=line, quantity=1, refund_amount=Decimal("99")
    )
    result = import_file(kind="orders", path=orders_csv(tmp_path, rows[0]))
    assert codes(result) == {(2, "sku", "protected_line")}
    assert OrderLine.objects.filter(pk=line.pk).exists()


def test_columns_the_file_lacks_leave_existing_orders_alone(tmp_path, shop):
    import_file(
        kind="orders",
        path=orders_csv(tmp_path, "A,C1,2024-03-01,,shipped,search,,MUG-01,1,45.50,,,Beijing"),
    )
    path = tmp_path / "narrow.csv"
    path.write_text(
        "order_id,customer_id,created_at,sku,quantity,unit_price\nA,C1,2024-03-01,MUG-01,1,45.50\n"
    )
    result = import_file(kind="orders", path=path)
    assert result.unchanged == 1
    order = Order.objects.get(external_id="A")
    assert (order.status, order.channel.code, order.shipping_region) == (
        "shipped",
        "search",
        "Beijing",
    )


def test_discounts_above_goods_and_shipping_are_refused(tmp_path, shop):
    path = orders_csv(tmp_path, "A,C1,2024-03-01,,,,,MUG-01,1,45.50,50,,")
    result = import_file(kind="orders", path=path)
    assert codes(result) == {(2, "discount", "invalid_value")}


def test_the_number_of_queries_does_not_grow_with_the_rows(tmp_path, shop, chunk_rows):
    """One chunk: the same queries for 20 rows as for 400. Two-row chunks: a constant,
    small number of queries per chunk, whatever the rows hold."""

    def run(n):
        rows = [
            f"O{n}-{i},C{n}-{i % 7},2024-03-01,,,search,,MUG-01,{1 + i % 3},45.50,,,X"
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert (
                import_file(
                    kind="orders", path=orders_csv(tmp_path, *rows, name=f"{n}.csv")
                ).created
                == n
            )
        return len(queries)

    if chunk_rows == 2:
        twenty, forty, sixty = run(20), run(40), run(60)
        assert forty - twenty == sixty - forty <= 10 * 8  # per ten more chunks
    else:
        assert run(20) == run(400)


def test_an_order_split_across_the_file_is_one_order_and_a_late_bad_line_skips_it(tmp_path, shop):
    rows = [
        "A,C1,2024-03-01,,,,,MUG-01,1,45.50,,,",
        "B,C2,2024-03-01,,,,,MUG-01,1,45.50,,,",
        "C,C3,2024-03-01,,,,,MUG-01,1,45.50,,,",
        "A,C1,2024-03-01,,,,,TEE-WHT-M,2,99,,,",
        "D,C4,2024-03-01,,,,,MUG-01,1,45.50,,,",
        "B,C2,2024-03-01,,,,,NOPE,1,1,,,",
        "E,C5,2024-03-01,,,,,MUG-01,1,45.50,,,",
    ]
    result = import_file(kind="orders", path=orders_csv(tmp_path, *rows), skip_bad_rows=True)
    assert codes(result) == {(7, "sku", "unknown_sku"), (3, "order_id", "order_skipped")}
    # C2 is named only by the skipped order B: not created, however the file is chunked.
    assert (result.created, result.customers_created) == (4, 4)
    assert not Customer.objects.filter(external_id="C2").exists()
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["A", "C", "D", "E"]
    a = Order.objects.get(external_id="A")
    assert (a.goods_total, a.lines.count()) == (Decimal("243.50"), 2)
    assert not OrderLine.objects.filter(order__external_id="B").exists()
    assert OrderLine.objects.count() == 5 and result.extra["lines_written"] == 5


@pytest.mark.parametrize("bypass", [True, False], ids=["fk-set-based", "fk-triggers"])
def test_every_foreign_key_holds_after_an_import(tmp_path, shop, settings, bypass):
    settings.IMPORT_BULK_FK_BYPASS = bypass
    rows = [
        "A,N1,2024-03-01,,,search,,MUG-01,1,45.50,,,",
        "A,N1,2024-03-01,,,search,,TEE-WHT-M,1,99,,,",
        "B,N2,2024-03-02,,,,,MUG-01,1,45.50,,,",
        "A,N1,2024-03-01,,,search,,DRS-BLK-S,1,1299,,,",
        ",N3,2024-03-03,,,,,MUG-01,2,45.50,,,",
    ]
    assert import_file(kind="orders", path=orders_csv(tmp_path, *rows)).created == 3
    connection.check_constraints()  # runs the deferred foreign-key checks now; raises if broken
    assert set(Customer.objects.values_list("external_id", flat=True)) == {"N1", "N2", "N3"}
    assert Order.objects.get(external_id="A").lines.count() == 3
    assert OrderLine.objects.filter(order__customer__external_id="N3").count() == 1
