"""Bulk ingest of records (the API's ``orders/bulk`` and ``events/bulk``) through the import
machinery, so that a pushed order is validated and written exactly as an imported one.

Each record becomes one or more rows of the kind's generic layout; the import runs with
``skip_bad_rows`` so that one bad record never loses the others, and every row error is
mapped back to its record and field (``lines.1.sku``, ``customer.email``). A record is
``created`` when its key was new, ``updated`` when it existed (a re-sent record with the
same content changes nothing), ``error`` with field messages otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from catalog.importing import ImportOptions, run_import
from catalog.importing.customers import FIELDS as CUSTOMER_FIELDS
from catalog.importing.readers import RowsTable
from catalog.models import Order
from customers.models import Customer

MAX_ITEMS = 1_000


@dataclass
class IngestItem:
    """One record as rows, or the reason it could not even become rows."""

    key: str
    rows: list[list] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # The record's field for a row error: (column, row offset within the record) → path.
    field_of: Callable[[str, int], str] | None = None

    def path_of(self, column: str, offset: int) -> str:
        return column if self.field_of is None else self.field_of(column, offset)


@dataclass
class IngestResult:
    results: list[dict]
    created: int = 0
    updated: int = 0
    errors: int = 0
    customers_created: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "errors": self.errors,
            "customers_created": self.customers_created,
            "seconds": self.seconds,
            "results": self.results,
        }


class TooManyItems(ValueError):
    def __init__(self, count: int):
        super().__init__(f"{count} items in one request; the limit is {MAX_ITEMS}")
        self.count = count


def ingest(
    *, kind: str, model: type[models.Model], key_field: str, header: list[str], items
) -> IngestResult:
    """Write ``items`` (:class:`IngestItem`) as ``kind`` and say what became of each."""
    items = list(items)
    if len(items) > MAX_ITEMS:
        raise TooManyItems(len(items))
    started = time.monotonic()
    rows: list[list] = []
    where: dict[int, tuple[int, int]] = {}  # line → (item index, row offset)
    for index, item in enumerate(items):
        if item.errors:
            continue
        for offset, row in enumerate(item.rows):
            where[len(rows) + 2] = (index, offset)  # line 1 is the header
            rows.append(row)
    keys = [item.key for item in items if not item.errors]
    existing = set(
        model.objects.filter(**{f"{key_field}__in": keys}).values_list(key_field, flat=True)
    )
    counts = {"customers_created": 0}
    if rows:
        result = run_import(
            kind=kind,
            options=ImportOptions(skip_bad_rows=True),
            rows=RowsTable(header, rows),
        )
        counts["customers_created"] = result.customers_created
        for error in result.errors:
            index, offset = where[error.line]
            name = items[index].path_of(error.column, offset) if error.column else "_"
            items[index].errors.setdefault(name, []).append(error.reason)
    out = IngestResult(results=[], customers_created=counts["customers_created"])
    for index, item in enumerate(items):
        if item.errors:
            status = "error"
            out.errors += 1
        elif item.key in existing:
            status = "updated"
            out.updated += 1
        else:
            status = "created"
            out.created += 1
            existing.add(item.key)  # a second copy in the same request updates
        entry = {"index": index, "id": item.key, "status": status}
        if item.errors:
            entry["errors"] = item.errors
        out.results.append(entry)
    out.seconds = round(time.monotonic() - started, 3)
    return out


def text(value) -> str:
    """A JSON value as the text an import cell would hold (``None`` → blank)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


ORDER_HEADER = [
    "order_id", "customer_id", "created_at", "paid_at", "status", "channel", "total",
    "shipping", "region", "order_discount", "logistics_cost",
    "sku", "quantity", "unit_price", "discount",
]  # fmt: skip
ORDER_LEVEL = ORDER_HEADER[:11]
LINE_FIELDS = ("sku", "quantity", "unit_price", "discount")


def _order_field(column: str, offset: int) -> str:
    return f"lines.{offset}.{column}" if column in LINE_FIELDS else column


def order_item(record) -> IngestItem:
    """An API order (``{"order_id", ..., "lines": [{...}]}``) as rows, one per line."""
    if not isinstance(record, dict):
        return IngestItem(key="", errors={"_": ["an order must be a JSON object"]})
    key = text(record.get("order_id")).strip()
    item = IngestItem(key=key, field_of=_order_field)
    if not key:
        item.errors["order_id"] = ["order_id is required"]
    lines = record.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        item.errors["lines"] = ["lines must be a list of objects"]
    unknown = set(record) - set(ORDER_LEVEL) - {"lines"}
    if unknown:
        item.errors["_"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    if item.errors:
        return item
    head = [text(record.get(name)) for name in ORDER_LEVEL]
    for line in lines or [{}]:
        item.rows.append(head + [text(line.get(name)) for name in LINE_FIELDS])
    return item


def orders_ingest(records: list) -> IngestResult:
    """Create or update orders with their lines; customers they name and the database
    lacks are created with their id only (push them first through customers/bulk)."""
    return ingest(
        kind="orders",
        model=Order,
        key_field="external_id",
        header=ORDER_HEADER,
        items=[order_item(record) for record in records],
    )


def flat_item(record, *, fields, key: str, objects=(), lists=()) -> IngestItem:
    """A one-row record: ``fields`` in order; ``objects`` are JSON objects (written as
    JSON text), ``lists`` lists of names (written ``;``-separated)."""
    if not isinstance(record, dict):
        return IngestItem(key="", errors={"_": ["a record must be a JSON object"]})
    item = IngestItem(key=text(record.get(key)).strip())
    if not item.key:
        item.errors[key] = [f"{key} is required (it makes a re-sent record a no-op)"]
    for name in objects:
        if record.get(name) is not None and not isinstance(record[name], dict):
            item.errors[name] = [f"{name} must be an object"]
    for name in lists:
        value = record.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            item.errors[name] = [f"{name} must be a list of names"]
    unknown = set(record) - set(fields)
    if unknown:
        item.errors["_"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    if item.errors:
        return item
    row = []
    for name in fields:
        value = record.get(name)
        if name in objects:
            row.append(json.dumps(value, ensure_ascii=False) if value else "")
        elif name in lists:
            row.append(";".join(value or []))
        else:
            row.append(text(value))
    item.rows.append(row)
    return item


def customers_ingest(records: list) -> IngestResult:
    """Create or update customers by ``customer_id`` (the customers import's rules)."""
    return ingest(
        kind="customers", model=Customer, key_field="external_id", header=list(CUSTOMER_FIELDS),
        items=[flat_item(r, fields=CUSTOMER_FIELDS, key="customer_id", lists=("tags",)) for r in records],
    )  # fmt: skip
