"""The import pipeline every kind shares, and the registry of kinds.

:func:`run_import` opens the file, checks the header, streams the rows in chunks to the
kind's :class:`Importer` and lets it write, all inside one transaction. Whether that
transaction commits is decided at the end:

* no bad rows → commit (unless ``dry_run``);
* bad rows and ``skip_bad_rows`` → commit the good rows, report every skipped line;
* bad rows otherwise → roll back: nothing is written (all-or-nothing, DESIGN §4);
* ``dry_run`` → always roll back, after every check and count has run for real.

Importers register themselves with :func:`register`; catalog's kinds are registered by
importing :mod:`catalog.importing`, the events kind by importing :mod:`analytics.importing`
(catalog may not import analytics, DESIGN §1).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.db import DatabaseError, models, transaction
from django.utils import timezone

from catalog.importing.errors import ErrorLog, FieldError, ImportFileError, RowError
from catalog.importing.formats import GENERIC, ColumnMap, Layout, resolve_columns
from catalog.importing.readers import Row, RowsTable, open_table
from catalog.signals import orders_changed

ORDER_KINDS = ("orders", "returns")  # imports that change orders' status or refunds

ProgressFn = Callable[[float, str], None]


@dataclass
class ImportOptions:
    file_format: str = GENERIC
    column_map: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    dry_run: bool = False
    skip_bad_rows: bool = False


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a refused file, would have done)."""

    kind: str
    file_format: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    customers_created: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.errors_total == 0

    def summary(self) -> str:
        if self.committed:
            head = "Imported"
        elif self.dry_run:
            head = "Dry run, nothing written"
        else:
            head = f"Refused, nothing written: {self.skipped} bad line(s)"
        counts = (
            f"rows read {self.rows_read}, created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped if self.committed else 0}, "
            f"customers created {self.customers_created}, {self.seconds:.1f} s"
        )
        extra = "".join(f", {k.replace('_', ' ')} {v}" for k, v in self.extra.items())
        return f"{head} ({self.kind}): {counts}{extra}."

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [e.as_dict() for e in self.errors]
        return data


class Importer:
    """One kind of import. Subclasses set the class attributes and implement
    :meth:`process` (validate and stage or write a chunk) and :meth:`finish`."""

    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    permission: ClassVar[str]
    layouts: ClassVar[dict[str, Layout]]

    def __init__(self, *, layout: Layout, columns: ColumnMap, options: ImportOptions):
        self.layout = layout
        self.columns = columns
        self.options = options
        self.errors = ErrorLog()
        self.rows_read = 0
        width = len(columns.header)
        # Each field's position in a row padded with one empty cell (for absent fields).
        self._positions = [columns.positions.get(f, width) for f in layout.fields]
        self._width = width
        self.index = {f: i for i, f in enumerate(layout.fields)}

    # -- row helpers -------------------------------------------------------------------

    def project(self, row: list) -> list:
        """A row's cells in ``layout.fields`` order ("" for absent fields)."""
        missing = self._width + 1 - len(row)
        if missing > 0:
            row.extend([""] * missing)
        return [row[i] for i in self._positions]

    def has(self, field_name: str) -> bool:
        """Whether the file has this field's column (absent columns are left alone)."""
        return self.columns.has(field_name)

    def raw(self, rows: list[Row], field_name: str) -> set[str]:
        """The distinct stripped texts of one column in a chunk (for lookups)."""
        position = self.columns.positions.get(field_name)
        if position is None:
            return set()
        return {
            str(row[position]).strip()
            for _, row in rows
            if position < len(row) and str(row[position]).strip()
        }

    def fail(self, line: int, field_name: str, reason: str, code: str = "invalid") -> None:
        column = self.columns.source_name(field_name) if field_name else ""
        self.errors.add(RowError(line, column, reason, code))

    def cell(self, cells: Cells, name: str, parse=None, *, required: bool = False, default=None):
        raw = cells.values[self.index[name]]
        if raw == "" or raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.fail(cells.line, name, f"{name} is required", "required")
                cells.bad = True
            return default
        if parse is None:
            return raw
        try:
            return parse(raw)
        except FieldError as exc:
            self.fail(cells.line, name, exc.reason, exc.code)
            cells.bad = True
            return default

    # -- the steps ---------------------------------------------------------------------

    def begin(self) -> None:
        """Load lookups, create staging tables."""

    def process(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def finish(self) -> dict[str, int]:
        """Cross-row checks and the merge; returns counts (created, updated, ...)."""
        raise NotImplementedError

    def cleanup(self) -> None:
        """Drop staging tables (runs whether or not the import succeeded)."""

    @property
    def writing(self) -> bool:
        """False once a bad row has doomed an all-or-nothing import: keep validating,
        stop writing. A dry run writes as if skipping, so its counts say what the good
        rows would do."""
        return self.options.skip_bad_rows or self.options.dry_run or not self.errors


class Cells:
    """One row's values in layout order, its line, whether a value was bad, and the row
    as read (for layouts that keep unmapped columns)."""

    __slots__ = ("bad", "line", "row", "values")

    def __init__(self, line: int, values: list, row: list | None = None):
        self.line = line
        self.values = values
        self.row = row
        self.bad = False


_REGISTRY: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    _REGISTRY[importer.kind] = importer
    return importer


def importer_for(kind: str) -> type[Importer]:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ImportFileError(
            f"Unknown kind {kind!r}; one of: {', '.join(registered_kinds())}.", code="kind"
        ) from None


def registered_kinds() -> list[str]:
    return sorted(_REGISTRY)


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while rows stream: they make no cycles, and
    its passes over millions of young lists cost a third of the parsing time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_import(
    *,
    kind: str,
    path: str | Path | None = None,
    options: ImportOptions,
    name: str = "",
    progress: ProgressFn | None = None,
    rows: RowsTable | None = None,
) -> ImportResult:
    """Import ``path`` (or in-memory ``rows``) as ``kind``; see the module docstring for
    what gets committed."""
    started = time.monotonic()
    since = timezone.now()
    importer_cls = importer_for(kind)
    layout = importer_cls.layouts.get(options.file_format)
    if layout is None:
        raise ImportFileError(
            f"{kind} cannot be read in the {options.file_format!r} format "
            f"(formats: {', '.join(importer_cls.layouts)}).",
            code="format",
        )
    report = progress or (lambda fraction, message: None)
    opened = rows if rows is not None else open_table(path, encoding=options.encoding, name=name)
    with opened as source:
        columns = resolve_columns(source.header, layout, options.column_map, kind=kind)
        importer = importer_cls(layout=layout, columns=columns, options=options)
        result = ImportResult(
            kind=kind,
            file_format=options.file_format,
            dry_run=options.dry_run,
            columns=columns.as_dict(),
            ignored_columns=columns.ignored,
            encoding=source.encoding,
        )
        try:
            with transaction.atomic(), gc_paused():
                importer.begin()
                for chunk in source.chunks():
                    importer.rows_read += len(chunk)
                    importer.process(chunk)
                    report(0.8 * source.fraction_read(), f"{importer.rows_read:,} rows read")
                report(0.8, "writing")
                counts = importer.finish()
                importer.cleanup()
                errors = importer.errors
                result.committed = not options.dry_run and (not errors or options.skip_bad_rows)
                if not result.committed:
                    transaction.set_rollback(True)
        except DatabaseError as exc:
            # A constraint the row checks did not foresee; the message is the database's.
            raise ImportFileError(
                f"The database refused the data, nothing was written: {exc}".strip(),
                code="database",
            ) from exc
    result.rows_read = importer.rows_read
    result.errors = errors.sorted()
    result.errors_total = errors.total
    result.skipped = errors.bad_lines
    if result.committed or options.dry_run:
        result.created = counts.pop("created", 0)
        result.updated = counts.pop("updated", 0)
        result.unchanged = counts.pop("unchanged", 0)
        result.customers_created = counts.pop("customers_created", 0)
        result.extra = counts
    result.seconds = round(time.monotonic() - started, 3)
    if result.committed and kind in ORDER_KINDS:
        transaction.on_commit(
            lambda: orders_changed.send(sender=importer_cls, since=since, kind=kind)
        )
    report(1.0, "done")
    return result
