"""Keyed upserts for the kinds that map one row to one model instance.

:class:`KeyedImporter` validates a chunk row by row (every bad cell reported), keeps the
first row of each key and refuses a later row with the same key but different content
("duplicate key with different content"; an identical repeat is ignored), then writes
the chunk with one query to fetch the existing instances and ``bulk_create`` /
``bulk_update`` for the rest, so no row costs a query. Only fields whose column the file
has are compared and written; an unchanged row is counted as unchanged and not touched.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from catalog.importing.base import Cells, Importer
from catalog.importing.readers import Row

BATCH = 1000


class KeyedImporter(Importer):
    """Subclasses implement :meth:`parse` and :meth:`fetch_existing`; may override
    :meth:`build` and :meth:`after_write`."""

    key_field: ClassVar[str]  # the field a duplicate-key error names

    def begin(self) -> None:
        self.seen: dict[Hashable, tuple[int, int]] = {}
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}

    def parse(self, cells: Cells) -> tuple[Hashable, dict[str, Any]] | None:
        """The row's key and field values (by attname; keys starting with ``_`` are not
        model fields), or None when the row is bad (errors already reported)."""
        raise NotImplementedError

    def fetch_existing(self, keys: list[Hashable]) -> dict[Hashable, models.Model]:
        raise NotImplementedError

    def build(self, key: Hashable, values: dict[str, Any]) -> models.Model:
        return self.model(**{k: v for k, v in values.items() if not k.startswith("_")})

    def after_write(self, written: list[tuple[Hashable, dict, models.Model, str]]) -> set:
        """Hook after a chunk is written (e.g. tags); returns keys it changed."""
        return set()

    def prepare(self, rows: list[Row]) -> None:
        """Load what this chunk's rows refer to (one query per table), before parsing."""

    def process(self, rows: list[Row]) -> None:
        self.prepare(rows)
        parsed = []
        for line, row in rows:
            cells = Cells(line, self.project(row), row)
            item = self.parse(cells)
            if cells.bad or item is None:
                continue
            key, values = item
            fingerprint = hash(repr(sorted(values.items())))
            seen = self.seen.get(key)
            if seen is not None:
                if seen[1] != fingerprint:
                    self.fail(
                        line,
                        self.key_field,
                        f"duplicate key {_show(key)}: line {seen[0]} has the same key with "
                        "different values",
                        "duplicate_key",
                    )
                continue
            self.seen[key] = (line, fingerprint)
            parsed.append((key, values))
        parsed = self.check(parsed)
        if self.writing and parsed:
            self.write(parsed)

    def check(self, parsed: list[tuple[Hashable, dict]]) -> list[tuple[Hashable, dict]]:
        """Checks that need the database (one query per chunk); returns the rows that
        pass, having reported the others."""
        return parsed

    def write(self, parsed: list[tuple[Hashable, dict]]) -> None:
        existing = self.fetch_existing([key for key, _ in parsed])
        now = timezone.now()
        has_updated_at = any(f.name == "updated_at" for f in self.model._meta.concrete_fields)
        to_create, to_update, fields = [], [], set()
        written = []
        for key, values in parsed:
            obj = existing.get(key)
            if obj is None:
                obj = self.build(key, values)
                to_create.append(obj)
                written.append((key, values, obj, "created"))
                continue
            changed = [
                name
                for name, value in values.items()
                if not name.startswith("_") and getattr(obj, name) != value
            ]
            for name in changed:
                setattr(obj, name, values[name])
            if changed:
                fields.update(changed)
                to_update.append(obj)
            written.append((key, values, obj, "updated" if changed else "unchanged"))
        if to_create:
            self.model.objects.bulk_create(to_create, batch_size=BATCH)
        if to_update:
            if has_updated_at:
                for obj in to_update:
                    obj.updated_at = now
                fields.add("updated_at")
            self.model.objects.bulk_update(to_update, sorted(fields), batch_size=BATCH)
        also_changed = self.after_write(written)
        for key, _, _, outcome in written:
            if outcome == "unchanged" and key in also_changed:
                outcome = "updated"
            self.counts[outcome] += 1

    def finish(self) -> dict[str, int]:
        return dict(self.counts)


def _show(key: Hashable) -> str:
    return " / ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
