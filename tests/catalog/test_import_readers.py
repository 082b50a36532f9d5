"""Reading files: encodings, XLSX, delimiters, and files that cannot be imported."""

import zipfile
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from catalog.importing import ImportFileError
from catalog.importing.parsing import parse_date, parse_datetime, parse_money
from catalog.models import Order
from catalog.services import import_file
from customers.models import Customer
from tests.catalog import test_import_support as support
from tests.catalog.test_import_support import FIXTURES, write

pytestmark = pytest.mark.django_db
shop = support.shop  # a fixture shared by the import tests
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


def test_a_gbk_file_from_chinese_excel_is_detected_and_read(shop, shanghai):
    result = import_file(kind="orders", path=FIXTURES / "orders_gbk.csv")
    assert result.ok and result.created == 2 and result.encoding == "gb18030"
    first, second = Order.objects.order_by("external_id")
    assert (first.status, first.shipping_region) == ("completed", "广东")
    assert first.created_at == datetime(2024, 3, 1, 10, 0, tzinfo=SHANGHAI)
    assert (second.status, second.paid_at, second.goods_total) == (
        "pending",
        None,
        Decimal("45.50"),
    )
    assert set(Customer.objects.values_list("external_id", flat=True)) == {"C-张伟", "C-李娜"}


def test_gb18030_four_byte_characters_survive():
    result = import_file(kind="customers", path=FIXTURES / "customers_gb18030.csv")
    assert result.ok
    assert Customer.objects.get(external_id="C-𠀀").name == "欧阳𠀀"


def test_a_utf8_file_with_a_byte_order_mark_has_a_clean_first_column(shop):
    result = import_file(kind="customers", path=FIXTURES / "customers_bom.csv")
    assert result.ok and result.encoding == "utf-8-sig"
    customer = Customer.objects.get(external_id="C-BOM")
    assert (customer.name, customer.gender, customer.city) == ("王芳", "f", "杭州")


def test_a_given_encoding_overrides_detection_and_a_wrong_one_is_named(shop):
    assert import_file(kind="orders", path=FIXTURES / "orders_gbk.csv", encoding="gbk").created == 2
    with pytest.raises(ImportFileError, match=r"not valid utf-8.*--encoding") as caught:
        import_file(kind="orders", path=FIXTURES / "orders_gbk.csv", encoding="utf-8", dry_run=True)
    assert caught.value.code == "encoding"


def test_xlsx_cells_keep_dates_and_numbers_and_float_ids(tmp_path, shop, shanghai):
    book = Workbook()
    sheet = book.active
    sheet.append(["order_id", "customer_id", "created_at", "sku", "quantity", "unit_price"])
    sheet.append([1001, 17850.0, datetime(2024, 3, 1, 9, 30), "MUG-01", 2, 45.5])
    sheet.append([None, None, None, None, None, None])  # a blank row is skipped
    sheet.append([1002, 17850.0, datetime(2024, 3, 2), "TEE-WHT-M", 1, 99])
    book.save(tmp_path / "orders.xlsx")
    result = import_file(kind="orders", path=tmp_path / "orders.xlsx")
    assert result.ok and result.created == 2
    order = Order.objects.get(external_id="1001")
    assert order.customer.external_id == "17850"
    assert order.created_at == datetime(2024, 3, 1, 9, 30, tzinfo=SHANGHAI)
    assert order.paid_total == Decimal("91.00")


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("picture.png", "not_tabular", "PNG image, not a CSV or XLSX"),
        ("old_excel.xls", "not_tabular", "Excel 97-2003"),
        ("empty.csv", "empty", "empty"),
        ("blank_first_line.csv", "no_header", "no header"),
    ],
)
def test_files_that_cannot_be_imported_get_a_clear_error(name, code, message):
    with pytest.raises(ImportFileError, match=message) as caught:
        import_file(kind="customers", path=FIXTURES / name)
    assert caught.value.code == code


def test_a_zip_that_is_not_a_workbook_and_a_headerless_csv_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "data.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ImportFileError, match="ZIP archive"):
        import_file(kind="customers", path=tmp_path / "data.xlsx")
    headerless = write(tmp_path, "c.csv", "C1,Zhang,zhang@example.com\nC2,Li,li@example.com\n")
    with pytest.raises(ImportFileError, match="not a header of customers") as caught:
        import_file(kind="customers", path=headerless)
    assert caught.value.code == "no_header"


def test_the_command_reports_a_bad_file_without_a_traceback(capsys):
    with pytest.raises(CommandError, match="PNG image"):
        call_command("import_data", "customers", str(FIXTURES / "picture.png"))


def test_a_missing_required_column_is_named_before_any_row_is_read(tmp_path, shop):
    path = write(
        tmp_path, "o.csv", "order_id,customer_id,sku,quantity,unit_price\n1,C1,MUG-01,1,oops\n"
    )
    with pytest.raises(ImportFileError, match=r"needs the column\(s\): created_at") as caught:
        import_file(kind="orders", path=path)
    assert caught.value.code == "missing_column"
    path = write(
        tmp_path, "o2.csv", "order_id,customer_id,created_at,sku\n1,C1,2024-03-01,MUG-01\n"
    )
    with pytest.raises(ImportFileError, match="total or sku, quantity, unit_price"):
        import_file(kind="orders", path=path)


def test_map_renames_columns_and_semicolons_are_detected(tmp_path, shop):
    path = write(
        tmp_path,
        "export.csv",
        "Order No;Buyer;Time;Item;Qty;Price;Memo\nA1;C9;2024-03-01 08:00;MUG-01;3;45.50;gift\n",
    )
    result = import_file(
        kind="orders",
        path=path,
        column_map="Order No=order_id,Buyer=customer_id,Time=created_at,Item=sku,Qty=quantity,Price=unit_price",
    )
    assert result.ok and result.ignored_columns == ["Memo"]
    assert Order.objects.get(external_id="A1").goods_total == Decimal("136.50")
    with pytest.raises(ImportFileError, match="not a field of orders"):
        import_file(kind="orders", path=path, column_map="Memo=colour")


def test_line_numbers_are_spreadsheet_rows_across_blank_lines_and_quoted_newlines(tmp_path):
    path = write(
        tmp_path,
        "c.csv",
        'customer_id,name,email\nC1,"two\nline name",c1@example.com\n\nC2,B,not-an-email\n',
    )
    result = import_file(kind="customers", path=path, dry_run=True)
    assert [(e.line, e.column) for e in result.errors] == [(4, "email")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", datetime(2024, 3, 1, 0, 0, tzinfo=SHANGHAI)),
        ("20240301", datetime(2024, 3, 1, 0, 0, tzinfo=SHANGHAI)),
        ("2024-03-01 09:30", datetime(2024, 3, 1, 9, 30, tzinfo=SHANGHAI)),
        ("2024/03/01 09:30:15", datetime(2024, 3, 1, 9, 30, 15, tzinfo=SHANGHAI)),
        ("2024-03-01T09:30:00Z", datetime(2024, 3, 1, 17, 30, tzinfo=SHANGHAI)),
        ("2024-03-01T09:30:00+00:00", datetime(2024, 3, 1, 17, 30, tzinfo=SHANGHAI)),
        ("2024-03-01 09:30:00 +0800", datetime(2024, 3, 1, 9, 30, tzinfo=SHANGHAI)),
    ],
)
def test_dates_read_iso_8601_and_yyyymmdd_with_naive_times_in_the_shop_zone(
    shanghai, text, expected
):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "01/03/2024", "2024-W10"])
def test_dates_that_are_not_dates_are_refused(text):
    with pytest.raises(ValueError, match="not a"):
        parse_datetime(text)


def test_the_online_retail_layout_reads_us_dates_month_first(shanghai):
    assert parse_datetime("12/1/2010 8:26", us_dates=True) == datetime(
        2010, 12, 1, 8, 26, tzinfo=SHANGHAI
    )
    assert parse_date("20240229").isoformat() == "2024-02-29"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("¥1234.50", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("￥ 8", "8.00"),
        ("12.345", "12.35"),
        ("-3.10", "-3.10"),
        ("RMB 99", "99.00"),
    ],
)
def test_money_reads_separators_and_currency_signs_as_decimal(text, expected):
    assert parse_money(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "1.2.3", "NaN", "¥"])
def test_money_that_is_not_money_is_refused(text):
    with pytest.raises(ValueError, match="not an amount"):
        parse_money(text)
