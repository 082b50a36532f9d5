"""Exports: the round trip, formula escaping, PII masking by role, the admin action."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from catalog.importing.export_files import cell_text, cell_xlsx
from catalog.models import SKU, Category, ChannelSpend, Order, OrderLine, Product, Return, Review
from catalog.services import export_file, import_file
from customers.models import Customer, CustomerTag, Tag
from tests import factories as f
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import EXAMPLES, FIXTURES

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests
KINDS = ("products", "customers", "orders", "returns", "reviews", "channel-spend")


def snapshot() -> dict:
    return {
        "customers": sorted(
            Customer.objects.values_list(
                "external_id",
                "name",
                "email",
                "phone",
                "gender",
                "birthday",
                "city",
                "region",
                "registered_at",
                "acquisition_channel",
                "marketing_opt_in",
            )
        ),
        "tags": sorted(CustomerTag.objects.values_list("customer__external_id", "tag__name")),
        "skus": sorted(
            SKU.objects.values_list(
                "code",
                "product__code",
                "product__name",
                "product__category__name",
                "product__brand",
                "list_price",
                "unit_cost",
                "stock_on_hand",
                "reorder_point",
                "lead_time_days",
                "attributes",
                "active",
            )
        ),
        "orders": sorted(
            Order.objects.values_list(
                "external_id",
                "customer__external_id",
                "channel__code",
                "status",
                "created_at",
                "paid_at",
                "goods_total",
                "discount_total",
                "shipping_total",
                "paid_total",
                "shipping_region",
                "logistics_cost",
            )
        ),
        "lines": sorted(
            OrderLine.objects.values_list(
                "order__external_id", "sku__code", "quantity", "unit_price", "unit_cost", "discount"
            )
        ),
        "returns": sorted(
            Return.objects.values_list(
                "order__external_id",
                "order_line__sku__code",
                "quantity",
                "reason",
                "refund_amount",
                "created_at",
            ),
            key=str,
        ),
        "reviews": sorted(
            Review.objects.values_list(
                "order_line__order__external_id",
                "order_line__sku__code",
                "customer__external_id",
                "rating",
                "has_media",
                "text",
                "created_at",
                "reply",
                "replied_at",
            )
        ),
        "spend": sorted(ChannelSpend.objects.values_list("channel__code", "date", "spend")),
    }


def wipe() -> None:
    for model in (
        Review,
        Return,
        OrderLine,
        Order,
        CustomerTag,
        Tag,
        Customer,
        ChannelSpend,
        SKU,
        Product,
    ):
        model.objects.all().delete()
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_data(tmp_path, shop, file_format):
    SKU.objects.all().delete()
    for kind in KINDS:
        assert import_file(kind=kind, path=EXAMPLES / f"{kind}.csv").ok, kind
    assert import_file(
        kind="orders", path=FIXTURES / "shopify_orders.csv", file_format="shopify"
    ).ok
    Order.objects.filter(external_id="SO-1").update(logistics_cost=Decimal("6.50"))
    before = snapshot()
    assert before["orders"] and before["returns"] and before["reviews"] and before["tags"]
    for kind in KINDS:
        export_file(kind=kind, path=tmp_path / f"{kind}.{file_format}", file_format=file_format)
    wipe()
    assert snapshot()["orders"] == []
    for kind in KINDS:
        result = import_file(kind=kind, path=tmp_path / f"{kind}.{file_format}")
        assert result.ok, (kind, [str(e) for e in result.errors])
    assert snapshot() == before


def test_text_that_a_spreadsheet_would_run_is_escaped_and_numbers_are_not(tmp_path, db):
    f.CustomerFactory(
        external_id="-7",
        name='=HYPERLINK("http://x")',
        phone="+8613812341234",
        city="@SUM(A1)",
        notes="",
    )
    f.CustomerFactory(external_id="C2", name="\tTabbed", phone="", city="-12.50")
    export_file(kind="customers", path=tmp_path / "c.csv")
    rows = {
        r["customer_id"]: r
        for r in csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text("utf-8-sig")))
    }
    assert rows["'-7"]["name"] == '\'=HYPERLINK("http://x")'
    assert (rows["'-7"]["phone"], rows["'-7"]["city"]) == ("'+8613812341234", "'@SUM(A1)")
    assert (rows["C2"]["name"], rows["C2"]["city"]) == ("'\tTabbed", "'-12.50")
    assert cell_text(Decimal("-12.50")) == "-12.50" and cell_xlsx(Decimal("-12.50")) == Decimal(
        "-12.50"
    )
    export_file(kind="customers", path=tmp_path / "c.xlsx", file_format="xlsx")
    sheet = load_workbook(tmp_path / "c.xlsx").active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert '\'=HYPERLINK("http://x")' in names and all(
        c.data_type == "s" for c in next(sheet.iter_cols(min_col=2, max_col=2))
    )
    # The importer takes the apostrophe off again.
    Customer.objects.all().delete()
    assert import_file(kind="customers", path=tmp_path / "c.csv").created == 2
    assert Customer.objects.get(external_id="-7").name == '=HYPERLINK("http://x")'


def test_the_command_writes_csv_or_xlsx_and_can_mask(tmp_path, db, capsys):
    f.CustomerFactory(
        external_id="C1",
        email="zhang.wei@example.com",
        phone="13812341234",
        birthday=date(1990, 5, 1),
    )
    call_command("export_data", "customers", str(tmp_path / "c.xlsx"))
    assert "Exported 1 customers rows" in capsys.readouterr().out
    assert load_workbook(tmp_path / "c.xlsx").active["C2"].value == "zhang.wei@example.com"
    call_command("export_data", "customers", str(tmp_path / "c.csv"), "--mask-pii")
    row = next(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text("utf-8-sig"))))
    assert (row["email"], row["phone"], row["birthday"]) == (
        "z***@example.com",
        "138****1234",
        "****-**-**",
    )


def staff(username: str, *perms: str):
    user = f.UserFactory(username=username, is_staff=True)
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


def export_action(client, model: str, ids) -> list[dict]:
    app, name = model.split(".")
    response = client.post(
        reverse(f"admin:{app}_{name}_changelist"),
        {"action": "export_selected_csv", "_selected_action": [str(i) for i in ids]},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("perms", "expected"),
    [
        (
            ("customers.view_customer", "customers.view_pii"),
            ("zhang.wei@example.com", "13812341234", "1990-05-01"),
        ),
        (("customers.view_customer",), ("z***@example.com", "138****1234", "****-**-**")),
    ],
)
def test_the_admin_export_masks_pii_for_users_without_view_pii(client, db, perms, expected):
    customer = f.CustomerFactory(
        email="zhang.wei@example.com", phone="13812341234", birthday=date(1990, 5, 1)
    )
    f.CustomerFactory()
    client.force_login(staff("someone", *perms))
    rows = export_action(client, "customers.customer", [customer.pk])
    assert len(rows) == 1
    assert (rows[0]["email"], rows[0]["phone"], rows[0]["birthday"]) == expected


def test_every_changelist_exports_its_selection(admin_client, shop):
    import_file(kind="orders", path=EXAMPLES / "orders.csv")
    order = Order.objects.get(external_id="SO-1")
    rows = export_action(admin_client, "catalog.order", [order.pk])
    assert [(r["order_id"], r["sku"], r["quantity"]) for r in rows] == [
        ("SO-1", "TEE-WHT-M", "2"),
        ("SO-1", "MUG-01", "1"),
    ]
    product = SKU.objects.get(code="MUG-01").product
    assert [r["sku"] for r in export_action(admin_client, "catalog.product", [product.pk])] == [
        "MUG-01"
    ]
    category = f.CategoryFactory(name="=cmd")
    rows = export_action(admin_client, "catalog.category", [category.pk])
    assert rows == [{"id": str(category.pk), "name": "'=cmd", "parent_id": ""}]
