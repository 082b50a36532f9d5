"""Import and export of behaviour events, on catalog's import machinery.

Events live in analytics, and catalog may not import analytics (DESIGN §1), so the
events kind registers itself with catalog's registries when this module is imported:
the ``import_data``/``export_data`` commands import it, and so should every process that
offers the admin upload (see ``docs/import.md``).

Columns: ``event_id, customer_id, session_id, type, sku, channel, occurred_at`` plus any
other columns, kept as the event's ``properties`` (text values; a ``properties`` column
holding a JSON object is merged in, which is how exports write them). ``customer_id``
(blank for anonymous visitors), ``sku`` and ``channel`` must exist. Without
``event_id`` an event's id is ``E-`` + 24 hex digits of the SHA-1 of its content, with
``-2``, ``-3``... for identical events in one file, so that a re-import changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from analytics.models import Event
from catalog.importing.base import Cells, register
from catalog.importing.errors import FieldError
from catalog.importing.exports import Exporter, chunked, register_exporter
from catalog.importing.formats import GENERIC, generic_layout
from catalog.importing.lookups import channel_ids
from catalog.importing.parsing import choice_spellings, parse_choice, parse_datetime, text
from catalog.importing.writers import KeyedImporter
from catalog.models import SKU
from customers.models import Customer

FIELDS = (
    "event_id",
    "customer_id",
    "session_id",
    "type",
    "sku",
    "channel",
    "occurred_at",
    "properties",
)
TYPES = choice_spellings(
    Event.Type,
    {
        "访问": "visit",
        "浏览": "product_view",
        "浏览商品": "product_view",
        "加购": "add_to_cart",
        "加入购物车": "add_to_cart",
        "结算": "checkout",
        "下单": "order",
        "支付": "pay",
        "分享": "share",
        "入群": "group_join",
        "搜索": "search",
    },
)


@register
class EventsImporter(KeyedImporter):
    kind = "events"
    model = Event
    permission = "analytics.add_event"
    key_field = "event_id"
    layouts = {
        GENERIC: generic_layout(FIELDS, required=("session_id", "type", "occurred_at"), extras=True)
    }

    def begin(self) -> None:
        super().begin()
        self.skus = dict(SKU.objects.values_list("code", "pk"))
        self.sku_products = dict(SKU.objects.values_list("pk", "product_id"))
        self.channels = channel_ids()
        self.occurrences: Counter[str] = Counter()

    def prepare(self, rows) -> None:
        self.customers = dict(
            Customer.objects.filter(external_id__in=self.raw(rows, "customer_id")).values_list(
                "external_id", "pk"
            )
        )

    def parse(self, cells: Cells):
        event_id = self.cell(cells, "event_id", lambda v: text(v, limit=64, what="event_id"))
        customer_ext = self.cell(
            cells, "customer_id", lambda v: text(v, limit=64, what="customer_id")
        )
        session = self.cell(
            cells, "session_id", lambda v: text(v, limit=64, what="session_id"), required=True
        )
        kind = self.cell(
            cells, "type", lambda v: parse_choice(str(v), TYPES, "event type"), required=True
        )
        sku = self.cell(cells, "sku", self._sku)
        channel = self.cell(cells, "channel", self._channel)
        occurred = self.cell(cells, "occurred_at", parse_datetime, required=True)
        properties = self.cell(cells, "properties", _properties, default={})
        for position, name in self.columns.extra_positions:
            value = cells.row[position] if position < len(cells.row) else ""
            if value not in ("", None):
                properties[name] = value if isinstance(value, str) else str(value)
        customer = None
        if customer_ext:
            customer = self.customers.get(customer_ext)
            if customer is None:
                self.fail(
                    cells.line,
                    "customer_id",
                    f"unknown customer {customer_ext!r}",
                    "unknown_customer",
                )
                cells.bad = True
        if cells.bad:
            return None
        values = {
            "customer_id": customer,
            "session_id": session,
            "type": kind,
            "sku_id": sku,
            "product_id": self.sku_products.get(sku) if sku else None,
            "channel_id": channel,
            "occurred_at": occurred,
            "properties": properties,
        }
        if not event_id:
            event_id = self._derived_id(customer_ext, values)
        return event_id, values

    def _derived_id(self, customer_ext, values) -> str:
        content = json.dumps(
            [
                customer_ext,
                *(str(values[k]) for k in ("session_id", "type", "sku_id", "channel_id")),
                values["occurred_at"].isoformat(),
                values["properties"],
            ],
            sort_keys=True,
            ensure_ascii=False,
        )
        digest = hashlib.sha1(content.encode()).hexdigest()[:24]
        self.occurrences[digest] += 1
        n = self.occurrences[digest]
        return f"E-{digest}" + (f"-{n}" if n > 1 else "")

    def fetch_existing(self, keys):
        return Event.objects.in_bulk(keys, field_name="external_id")

    def build(self, key, values):
        event = super().build(key, values)
        event.external_id = key
        return event

    def _sku(self, value) -> int:
        code = str(value).strip()
        if code not in self.skus:
            raise FieldError(f"unknown SKU {code!r} (import products first)", "unknown_sku")
        return self.skus[code]

    def _channel(self, value) -> int:
        spelling = str(value).strip()
        found = self.channels.get(spelling) or self.channels.get(spelling.lower())
        if found is None:
            raise FieldError(f"unknown channel {spelling!r} (create it first)", "unknown_channel")
        return found


def _properties(value) -> dict:
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError as exc:
        raise FieldError(f"properties are not valid JSON ({exc.msg})", "invalid_value") from None
    if not isinstance(parsed, dict):
        raise FieldError("properties must be a JSON object", "invalid_value")
    return parsed


def event_rows(queryset):
    for batch in chunked(queryset.select_related("customer", "sku", "channel")):
        for e in batch:
            yield [
                e.external_id or "",
                e.customer.external_id if e.customer_id else "",
                e.session_id,
                e.type,
                e.sku.code if e.sku_id else "",
                e.channel.code if e.channel_id else "",
                e.occurred_at,
                e.properties or None,
            ]


register_exporter(
    Exporter(
        "events",
        Event,
        (
            "event_id",
            "customer_id",
            "session_id",
            "type",
            "sku",
            "channel",
            "occurred_at",
            "properties",
        ),
        event_rows,
    )
)
