"""Orders: one row per order or per line, in the generic, Shopify or Online Retail layout.

Generic columns: ``order_id, customer_id, created_at, paid_at, status, channel, total, sku,
quantity, unit_price, discount, shipping, region`` (+ optional ``order_discount``,
``logistics_cost``). Rules (docs/import.md has the full text):

* Rows sharing an ``order_id`` are lines of one order; their order-level cells may be
  blank, but the ones given must agree ("duplicate key with different content").
* Without ``order_id`` each row is its own order, with the stable id ``D-`` + 24 hex
  digits of the SHA-1 of its content (+ ``-2``, ``-3``... for identical rows), so that a
  re-import changes nothing and two same-day orders of a customer stay two.
* ``status`` defaults to completed; ``paid_at`` to ``created_at`` for paid statuses.
* goods = Σ quantity × unit_price; discount = Σ line discounts + order_discount;
  paid = ``total`` if given, else goods − discount + shipping. Zero is a valid total.
* A blank ``customer_id`` is a guest order. Customers the file names and the database
  lacks are created (the summary counts them); unknown SKUs and channels are errors.
* A line's ``unit_cost`` is the SKU's unit cost when the line is first imported.

Rows that validate are staged (:mod:`catalog.importing.stage`); the merge into the real
tables is :mod:`catalog.importing.orders_merge`.
"""

from __future__ import annotations

import hashlib

from catalog.importing import orders_merge, orders_values
from catalog.importing.base import Cells, Importer, register
from catalog.importing.errors import FieldError
from catalog.importing.formats import GENERIC, ONLINE_RETAIL, SHOPIFY, generic_layout
from catalog.importing.lookups import channel_ids, sku_costs
from catalog.importing.orders_chunks import OrderChunks
from catalog.importing.orders_direct import DirectOrders
from catalog.importing.orders_fast import FastOrderRows
from catalog.importing.parsing import (
    blank,
    parse_bool,
    parse_datetime,
    parse_int,
    parse_money,
    text,
)
from catalog.importing.platforms import (
    ONLINE_RETAIL_ORDERS,
    ORDER_EXTRAS,
    ORDER_FIELDS,
    SHOPIFY_ORDERS,
    retail_is_cancellation,
    retail_order_row,
    shopify_order_row,
)
from catalog.importing.stage import BulkIntegrity, Render, StageTable, tune_session
from catalog.models import Order

PAID_STATUSES = {str(s) for s in Order.PAID_STATUSES}
ALL_FIELDS = (*ORDER_FIELDS, *ORDER_EXTRAS)
F = {name: i for i, name in enumerate(ALL_FIELDS)}

STAGE_COLUMNS = [
    ("line_no", "int"),
    ("order_key", "text"),
    ("row_hash", "text"),
    ("customer_ext", "text"),
    ("created_at", "datetime"),
    ("paid_at", "datetime"),
    ("status", "text"),
    ("channel_id", "bigint"),
    ("total", "money"),
    ("shipping", "money"),
    ("order_discount", "money"),
    ("logistics", "money"),
    ("region", "text"),
    ("sku_id", "bigint"),
    ("quantity", "int"),
    ("unit_price", "money"),
    ("unit_cost", "money"),
    ("discount", "money"),
    ("cust_name", "text"),
    ("cust_email", "text"),
    ("cust_phone", "text"),
    ("cust_city", "text"),
    ("cust_region", "text"),
    ("marketing", "bool"),
    ("refund", "money"),
    ("refunded_at", "datetime"),
]
CANCEL_COLUMNS = [
    ("line_no", "int"),
    ("invoice", "text"),
    ("customer_ext", "text"),
    ("sku_id", "bigint"),
    ("quantity", "int"),
    ("unit_price", "money"),
    ("created_at", "datetime"),
]


@register
class OrdersImporter(Importer):
    kind = "orders"
    model = Order
    permission = "catalog.add_order"
    layouts = {
        GENERIC: generic_layout(
            ORDER_FIELDS,
            required=(
                "customer_id",
                "created_at",
                (("total",), ("sku", "quantity", "unit_price")),
            ),
        ),
        SHOPIFY: SHOPIFY_ORDERS,
        ONLINE_RETAIL: ONLINE_RETAIL_ORDERS,
    }

    def begin(self) -> None:
        # Platform rows are turned into the generic fields first: read cells by those.
        self.index = F
        tune_session()
        self.skus = sku_costs()
        self.channels = channel_ids()
        self.bad_orders: set[str] = set()
        self.us_dates = self.layout.name == ONLINE_RETAIL
        self.stage = StageTable("_import_order_rows", STAGE_COLUMNS).create()
        self.cancels = StageTable("_import_cancellations", CANCEL_COLUMNS).create()
        self.integrity = BulkIntegrity()
        self.integrity.start()
        self.chunks = OrderChunks(self)
        self.chunks.create()
        self.merge = orders_merge.OrdersMerge(self)
        self.fast = None
        self.slow_keys: set[str] = set()  # order ids with a line on the careful path
        self.direct = DirectOrders(self, Render())
        if self.layout.name == GENERIC:
            parsers = {
                "ident": orders_values.ident,
                "amount": orders_values.amount,
                "quantity": orders_values.quantity,
                "status": orders_values.status,
                "channel": self._channel,
                "region": orders_values.region,
            }
            self.fast = FastOrderRows(self, Render(), parsers)

    def process(self, rows) -> None:
        staged, cancels, lines, keys, runs = [], [], [], [], []
        platform = self.layout.name != GENERIC
        rendered = []
        if self.fast is not None:
            rendered, rows, lines, keys, runs = self.fast.split(rows)
        for line, row in rows:
            values = self.project(row)
            if platform:
                values = self._from_platform(line, values, cancels)
                if values is None:
                    continue
            record = self._parse(Cells(line, values))
            if record is not None:
                staged.append(record)
        for record in staged:
            if record[1] is not None and record[13] is not None:
                key, sku_id, quantity, price, cost, discount = (
                    record[i] for i in (1, 13, 14, 15, 16, 17)
                )
                lines.append(
                    (
                        key,
                        str(sku_id),
                        str(quantity),
                        str(price),
                        str(cost),
                        str(discount or "0.00"),
                    )
                )
        self.slow_keys.update(record[1] for record in staged if record[1] is not None)
        self.chunks.submit(rendered, staged, lines, keys, runs)
        if cancels:
            self.chunks.pipeline.wait()
            self.cancels.append(cancels)

    def finish(self) -> dict[str, int]:
        self.chunks.pipeline.wait()
        return self.merge.run()

    def cleanup(self) -> None:
        self.chunks.drop()
        self.merge.drop()
        self.stage.drop()
        self.cancels.drop()

    # -- rows --------------------------------------------------------------------------

    def _from_platform(self, line: int, values: list, cancels: list) -> list | None:
        by_name = dict(zip(self.layout.fields, values, strict=True))
        get = by_name.__getitem__
        if self.layout.name == SHOPIFY:
            try:
                return shopify_order_row(get)
            except FieldError as exc:
                self.fail(line, exc.field, exc.reason, exc.code)
                self.bad_orders.add(str(get("order_id")).strip())
                return None
        canonical = retail_order_row(get)
        if retail_is_cancellation(get("order_id")):
            cancel = self._cancellation(Cells(line, canonical))
            if cancel is not None:
                cancels.append(cancel)
            return None
        return canonical

    def _cancellation(self, cells: Cells) -> tuple | None:
        invoice = self.cell(cells, "order_id", orders_values.ident)
        customer = self.cell(cells, "customer_id", orders_values.ident)
        sku = self._sku(cells, "sku")
        quantity = self.cell(cells, "quantity", parse_int, required=True)
        price = self.cell(cells, "unit_price", parse_money, required=True)
        created = self.cell(cells, "created_at", self._datetime, required=True)
        if quantity is not None and quantity >= 0:
            self.fail(
                cells.line,
                "quantity",
                "a cancellation's quantity must be negative",
                "invalid_value",
            )
            cells.bad = True
        if not customer and not cells.bad:
            self.fail(
                cells.line,
                "customer_id",
                "a guest cancellation cannot be matched to the line it cancels",
                "unmatched",
            )
            cells.bad = True
        if cells.bad:
            return None
        return (cells.line, invoice, customer, sku[0], -quantity, abs(price), created)

    def _datetime(self, value):
        return parse_datetime(value, us_dates=self.us_dates)

    def _sku(self, cells: Cells, name: str) -> tuple:
        code = self.cell(cells, name, orders_values.ident)
        if code is None:
            return (None, None)
        found = self.skus.get(code)
        if found is None:
            self.fail(
                cells.line, name, f"unknown SKU {code!r} (import products first)", "unknown_sku"
            )
            cells.bad = True
            return (None, None)
        return found

    def _parse(self, cells: Cells) -> tuple | None:
        v = cells.values
        line = cells.line
        key = self.cell(cells, "order_id", orders_values.ident)
        customer = self.cell(cells, "customer_id", orders_values.ident)
        created = self.cell(cells, "created_at", self._datetime, required=key is None)
        paid = self.cell(cells, "paid_at", self._datetime)
        status = self.cell(cells, "status", orders_values.status)
        channel = self.cell(cells, "channel", self._channel)
        total = self.cell(cells, "total", orders_values.amount)
        sku_id, unit_cost = self._sku(cells, "sku")
        quantity = self.cell(cells, "quantity", orders_values.quantity)
        price = self.cell(cells, "unit_price", orders_values.amount)
        discount = self.cell(cells, "discount", orders_values.amount)
        shipping = self.cell(cells, "shipping", orders_values.amount)
        region = self.cell(cells, "region", orders_values.region)
        order_discount = self.cell(cells, "order_discount", orders_values.amount)
        logistics = self.cell(cells, "logistics_cost", orders_values.amount)
        if not blank(v[F["sku"]]):
            for name, value in (("quantity", quantity), ("unit_price", price)):
                if value is None and blank(v[F[name]]):
                    self.fail(line, name, f"{name} is required on a line with a SKU", "required")
                    cells.bad = True
        elif not blank(v[F["quantity"]]) or not blank(v[F["unit_price"]]):
            self.fail(
                line, "sku", "sku is required on a line with quantity or unit_price", "required"
            )
            cells.bad = True
        elif blank(v[F["total"]]) and key is None:
            self.fail(
                line, "total", "a row needs total, or sku, quantity and unit_price", "required"
            )
            cells.bad = True
        if discount and quantity and price is not None and discount > quantity * price:
            self.fail(
                line,
                "discount",
                f"discount {discount} exceeds the line's value {quantity * price}",
                "invalid_value",
            )
            cells.bad = True
        if paid is not None and created is not None and paid < created:
            self.fail(line, "paid_at", "paid_at is before created_at", "invalid_value")
            cells.bad = True
        extras = self._extras(cells) if len(v) > len(ORDER_FIELDS) else (None,) * 8
        if cells.bad:
            if key is not None:
                self.bad_orders.add(key)
            return None
        row_hash = None if key is not None else self.content_hash(v)
        return (
            line,
            key,
            row_hash,
            customer or None,
            created,
            paid,
            status,
            channel,
            total,
            shipping,
            order_discount,
            logistics,
            region,
            sku_id,
            quantity,
            price,
            unit_cost if sku_id is not None else None,
            discount,
            *extras,
        )

    def _extras(self, cells: Cells) -> tuple:
        name = self.cell(cells, "customer_name", lambda x: text(x, limit=200, what="name"))
        email = self.cell(cells, "customer_email", orders_values.email)
        phone = self.cell(cells, "customer_phone", lambda x: text(x, limit=32, what="phone"))
        city = self.cell(cells, "customer_city", lambda x: text(x, limit=100, what="city"))
        region = self.cell(cells, "customer_region", orders_values.region)
        marketing = self.cell(cells, "marketing", parse_bool)
        refund = self.cell(cells, "refund", orders_values.amount)
        refunded_at = self.cell(cells, "refunded_at", self._datetime)
        return (name, email, phone, city, region, marketing, refund or None, refunded_at)

    def content_hash(self, values: list) -> str:
        """The id part of a row without ``order_id``: its cells, as written, hashed."""
        joined = "\x1f".join(str(v).strip() for v in values[: len(ORDER_FIELDS)])
        return hashlib.sha1(joined.encode()).hexdigest()[:24]

    def _channel(self, value) -> int:
        code = str(value).strip()
        found = self.channels.get(code) or self.channels.get(code.lower())
        if found is None:
            raise FieldError(f"unknown channel {code!r} (create it first)", "unknown_channel")
        return found
