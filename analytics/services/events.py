"""Behaviour events pushed by tools (``POST /api/v1/events/bulk/``), written by the events
import so that a pushed event is checked exactly as an imported one."""

from __future__ import annotations

from analytics.importing import FIELDS  # importing it registers the events import kind
from analytics.models import Event
from catalog.ingest import IngestResult, flat_item, ingest


def events_ingest(records: list) -> IngestResult:
    """Create or update events by ``event_id``; one result per record."""
    return ingest(
        kind="events",
        model=Event,
        key_field="external_id",
        header=list(FIELDS),
        items=[
            flat_item(r, fields=FIELDS, key="event_id", objects=("properties",)) for r in records
        ],
    )
