"""Shared fixtures of the import/export tests (imported by the test modules)."""

from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import SKU, Channel
from tests import factories as f

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

ORDERS_HEADER = (
    "order_id,customer_id,created_at,paid_at,status,channel,total,sku,quantity,unit_price,"
    "discount,shipping,region"
)


@pytest.fixture
def shop(db):
    """The channels and SKUs the hand-made files name."""
    for code in ("search", "live-stream", "private-group"):
        Channel.objects.create(code=code, name=code.replace("-", " ").title())
    skus = {}
    for code, price, cost in (
        ("TEE-WHT-M", "99.00", "38.50"),
        ("TEE-WHT-L", "99.00", "38.50"),
        ("DRS-BLK-S", "1299.00", "520.00"),
        ("MUG-01", "45.50", "12.00"),
    ):
        skus[code] = f.SKUFactory(code=code, list_price=Decimal(price), unit_cost=Decimal(cost))
    return skus


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def orders_csv(tmp_path: Path, *rows: str, name: str = "orders.csv") -> Path:
    return write(tmp_path, name, "\n".join([ORDERS_HEADER, *rows]) + "\n")


def codes(result) -> set[tuple[int, str, str]]:
    """(line, column, code) of every error of an import result."""
    return {(e.line, e.column, e.code) for e in result.errors}


def sku_cost(code: str) -> Decimal:
    return SKU.objects.get(code=code).unit_cost
