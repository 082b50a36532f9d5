"""Writing exports: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) or XLSX.

Formula escaping (CSV injection): a *text* cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading apostrophe (``'=SUM(A1)``,
``'+8613800000000``), so a spreadsheet shows it as text and never runs it. Numbers
(amounts, quantities, ids stored as numbers) are never escaped: a refund of ``-12.50``
stays the number -12.50. Dates and times are written as ISO 8601 text in the shop's
time zone (``2024-03-01T09:30:00+08:00``), which never starts with those characters.
The importers remove the apostrophe again (:func:`catalog.importing.parsing.text`), so
a round trip is exact.

Masking: with ``mask=True`` the exporter's PII columns (e-mail, phone, birthday) are
written masked (``z***@example.com``, ``138****1234``, ``****-**-**``) by
:mod:`customers.pii`; exports for users without ``customers.view_pii`` use it. A masked
file cannot be imported back (the importer refuses masked values).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import models
from django.utils import timezone

from catalog.importing.exports import Exporter
from catalog.importing.parsing import FORMULA_STARTS
from customers.pii import masked_value


def escape_formula(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell_text(value) -> str:
    """A value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return escape_formula(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return escape_formula(str(value))


def cell_xlsx(value):
    """A value as an XLSX cell: numbers and dates native, everything else text."""
    if value is None or isinstance(value, bool | int | Decimal | float):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value
    return cell_text(value)


def masked_rows(exporter: Exporter, rows: Iterable[list], *, mask: bool) -> Iterator[list]:
    if not mask or not exporter.pii:
        yield from rows
        return
    positions = [(exporter.columns.index(c), f) for c, f in exporter.pii.items()]
    for row in rows:
        for position, pii_field in positions:
            row[position] = (
                masked_value(pii_field, row[position]) if row[position] else row[position]
            )
        yield row


def csv_lines(columns: Iterable[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text, a line at a time (for streaming responses); starts with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell_text(v) for v in row])
        yield buffer.getvalue()


def write_file(
    path: str | Path, columns: Iterable[str], rows: Iterable[list], *, file_format: str = "csv"
) -> int:
    """Write ``rows`` to ``path`` as CSV or XLSX; returns rows written."""
    count = 0
    if file_format == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("export")
        sheet.append(list(columns))
        for row in rows:
            sheet.append([cell_xlsx(v) for v in row])
            count += 1
        book.save(path)
        return count
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for number, line in enumerate(csv_lines(columns, rows)):
            handle.write(line)
            count = number
    return count


def model_rows(model: type[models.Model], queryset: models.QuerySet, *, mask: bool):
    """All concrete fields of any model (foreign keys as ids), for changelists that have
    no import format; the model's ``PII_FIELDS`` are masked when asked."""
    fields = list(model._meta.concrete_fields)
    columns = [f.attname for f in fields]
    pii = set(getattr(model, "PII_FIELDS", ())) if mask else set()

    def rows():
        for obj in queryset.order_by("pk").iterator(chunk_size=2000):
            row = []
            for f in fields:
                value = getattr(obj, f.attname)
                row.append(masked_value(f.name, value) if f.name in pii and value else value)
            yield row

    return columns, rows()
