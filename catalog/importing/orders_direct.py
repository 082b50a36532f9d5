"""Orders written straight from Python: the fast path's common case.

Most exports list an order's lines one after another with the same order-level values.
The fast path (:mod:`catalog.importing.orders_fast`) groups such consecutive lines into a
:class:`Run`; when a run ends and it is a whole, clean, new order (its id seen for the
first time, not in the database, no line of it on the careful path, a ``created_at``,
lines or a total, a paid total that is not negative), its order row is COPYed into the
real table in the chunk's background batch, so the server writes orders while Python
parses (:mod:`catalog.importing.orders_chunks`). Its customer's id is looked up or drawn
at once; customers the file creates are written once, at the end, registered at their
earliest order. Every other order (split runs, lines on the careful path, orders that
exist, rows without ``order_id``) is *pending*: the set-based merge at the end handles it
(:mod:`catalog.importing.orders_merge`), and an order written here that later proves
split or bad is deleted there and merged (or skipped) like the others.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.utils import timezone

from catalog.importing.stage import (
    db_datetime,
    execute,
    fetch,
    ids_by_external_id,
    insert_defaults,
    is_postgres,
    table,
)
from catalog.models import Order
from customers.models import Customer

ZERO = Decimal("0.00")
PAID = {str(s) for s in Order.PAID_STATUSES}
ORDER_COLUMNS = (
    "id, external_id, customer_id, channel_id, status, created_at, paid_at, goods_total, "
    "discount_total, shipping_total, paid_total, shipping_region, logistics_cost, updated_at"
)
CUSTOMER_PROVIDED = ["id", "external_id", "registered_at"]


class Run:
    """Consecutive lines of one order with the same order-level cells."""

    __slots__ = (
        "cells",
        "channel",
        "created",
        "customer",
        "discount",
        "first_line",
        "goods",
        "key",
        "lines",
        "logistics",
        "order_discount",
        "paid",
        "region",
        "shipping",
        "status",
        "total",
    )

    def __init__(self, key, cells, first_line, values):
        self.key, self.cells, self.first_line = key, cells, first_line
        (
            self.customer,
            self.created,
            self.paid,
            self.status,
            self.channel,
            self.total,
            self.shipping,
            self.region,
            self.order_discount,
            self.logistics,
        ) = values
        self.goods = ZERO
        self.discount = ZERO
        self.lines = 0

    def add(self, quantity, price, discount) -> None:
        self.goods += quantity * price[0]
        if discount:
            self.discount += discount[0]
        self.lines += 1


class DirectOrders:
    def __init__(self, importer, render):
        self.imp = importer
        self.render = render
        self.multi: set[str] = set()  # order ids whose lines are not one run
        self.written: dict[str, int] = {}  # order id → id, written here
        self.customer_of: dict[str, str] = {}  # order id written here → its new customer
        self.customers: dict[str, int | None] = {}  # external id → id (None: draw one)
        self.new_customers: dict[str, list] = {}  # external id → [id, first order (value, text)]
        self.locked_channels: set[str] = set()
        self.next_customer = 0  # SQLite only
        if not is_postgres():
            (top,) = fetch(f"SELECT COALESCE(MAX(id), 0) FROM {table(Customer)}")[0]
            self.next_customer = int(top)

    def eligible(self, run: Run) -> bool:
        imp = self.imp
        key = run.key
        return (
            imp.chunks.early
            and key in imp.chunks.known
            and key not in self.multi
            and key not in imp.bad_orders
            and key not in imp.slow_keys
            and run.created is not None
            and (run.total is not None or run.lines)
            and (run.customer is None or "\\" not in run.customer)
        )

    def finish_runs(self, runs: list[Run]) -> tuple[list, list[int], set[str]]:
        """Order rows (rendered) of the runs that can be written now, the ids of the
        existing customers they name (to lock), and the channels they name."""
        runs = [run for run in runs if self.eligible(run)]
        found = self._resolve_customers({run.customer for run in runs if run.customer})
        rows, channels = [], set()
        now = self.render.datetime(timezone.now())
        null = self.render.null
        for run in runs:
            row = self._order_row(run, now, null)
            if row is None:
                continue
            rows.append(self.render.line(row))
            if run.channel != null:
                channels.add(run.channel)
        new_channels = channels - self.locked_channels
        self.locked_channels |= new_channels
        return rows, found, new_channels

    def _order_row(self, run: Run, now: str, null):
        status = run.status or "completed"
        order_discount = run.order_discount[0] if run.order_discount else ZERO
        discount = run.discount + order_discount
        shipping = run.shipping[0] if run.shipping else ZERO
        paid_total = run.total[0] if run.total else run.goods - discount + shipping
        if paid_total < 0:
            return None  # the merge reports it
        paid = run.paid or (run.created if status in PAID else None)
        customer_id = null
        if run.customer:
            customer_id = str(self.customers[run.customer])
            first = self.new_customers.get(run.customer)
            if first is not None:
                self.customer_of[run.key] = run.customer
                if first[1] is None or run.created[0] < first[1][0]:
                    first[1] = run.created
        order_id = self.imp.chunks.known[run.key]
        self.written[run.key] = order_id
        return [
            str(order_id),
            run.key,
            customer_id,
            run.channel,
            status,
            run.created[1],
            paid[1] if paid else null,
            str(run.goods),
            str(discount),
            str(shipping),
            str(paid_total),
            run.region if run.region != null else "",
            run.logistics[1] if run.logistics else "0.00",
            now,
        ]

    def _resolve_customers(self, names: set[str]) -> list[int]:
        """Ids for the customers ``names`` that are not known yet: found in the database
        (returned, to be locked) or drawn for customers to create."""
        unknown = [n for n in names if n not in self.customers]
        found = ids_by_external_id(Customer, unknown)
        new = [n for n in unknown if n not in found]
        if new and is_postgres():
            sequence = f"pg_get_serial_sequence('{Customer._meta.db_table}', 'id')"
            ids = [
                i
                for (i,) in fetch(
                    f"SELECT nextval({sequence}) FROM generate_series(1, %s)", [len(new)]
                )
            ]
        else:
            ids = list(range(self.next_customer + 1, self.next_customer + 1 + len(new)))
            self.next_customer += len(new)
        self.customers.update(found)
        for name, customer_id in zip(new, ids, strict=True):
            self.customers[name] = customer_id
            self.new_customers[name] = [customer_id, None]
        return list(found.values())

    def write_customers(self) -> int:
        """Write the customers the direct orders named and the database lacked (their
        ids were drawn when first named), registered at their earliest order."""
        names, rows = self.customer_rows()
        if rows:
            target = f"{table(Customer)} ({names})"
            with connection.cursor() as cursor:
                if is_postgres():
                    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(rows[0]))
                    cursor.executemany(
                        f"INSERT INTO {target} VALUES ({marks})",
                        [(r[0], r[1], db_datetime(r[2]), *r[3:]) for r in rows],
                    )
        return len(rows)

    def mark_pending(self, pending) -> None:
        """Fill ``pending`` with the orders the set-based merge must handle: all but
        those written here (and those, if they later proved split or bad: deleted now,
        to be merged, or skipped, like the others)."""
        doomed = self.rebuild()
        for start in range(0, len(doomed), 500):
            batch = doomed[start : start + 500]
            marks = ", ".join(["%s"] * len(batch))
            execute(f"DELETE FROM {table(Order)} WHERE id IN ({marks})", batch)
        chunks = self.imp.chunks
        pending.create()
        pending.append(
            [(key,) for key in (set(chunks.known) - set(self.written)) | chunks.existing]
        )
        pending.index("order_key")

    def customer_rows(self) -> tuple[str, list]:
        """The customers to create: column names, and rows."""
        columns, params = insert_defaults(Customer, CUSTOMER_PROVIDED)
        names = ", ".join(["id", "external_id", "registered_at", *columns])
        # Only customers of orders still written here; the merge creates the others.
        named = set(self.customer_of.values())
        rows = [
            [customer_id, name, first[0], *params]
            for name, (customer_id, first) in self.new_customers.items()
            if name in named
        ]
        return names, rows

    def rebuild(self) -> list[int]:
        """Ids of orders written here that turned out split or bad: to delete and merge."""
        imp = self.imp
        doomed = [
            key
            for key in self.written
            if key in self.multi or key in imp.slow_keys or key in imp.bad_orders
        ]
        for key in doomed:
            self.customer_of.pop(key, None)
        return [self.written.pop(key) for key in doomed]
