"""Behaviour events pushed by tools (``POST /api/v1/events/bulk/``), written by the events
import so that a pushed event is checked exactly as an imported one."""

from __future__ import annotations

import json

import analytics.importing  # noqa: F401  (registers the events import kind)
from analytics.importing import FIELDS
from analytics.models import Event
from catalog.ingest import IngestItem, IngestResult, check_size, ingest, text


def event_item(record) -> IngestItem:
    if not isinstance(record, dict):
        return IngestItem(key="", errors={"_": ["an event must be a JSON object"]})
    key = text(record.get("event_id")).strip()
    item = IngestItem(key=key)
    if not key:
        item.errors["event_id"] = ["event_id is required (it makes a re-sent event a no-op)"]
    properties = record.get("properties")
    if properties is not None and not isinstance(properties, dict):
        item.errors["properties"] = ["properties must be an object"]
    unknown = set(record) - set(FIELDS)
    if unknown:
        item.errors["_"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    if not item.errors:
        row = [text(record.get(name)) for name in FIELDS]
        row[FIELDS.index("properties")] = (
            json.dumps(properties, ensure_ascii=False) if properties else ""
        )
        item.rows.append(row)
    return item


def events_ingest(records: list) -> IngestResult:
    """Create or update events by ``event_id``; one result per record."""
    check_size(records)
    return ingest(
        kind="events",
        model=Event,
        key_field="external_id",
        header=list(FIELDS),
        items=[event_item(record) for record in records],
    )
