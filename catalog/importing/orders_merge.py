"""The set-based half of the orders import: cross-row checks, then the merge.

Runs after every row has been staged (``_import_order_rows``), in the import's
transaction, as a fixed number of statements whatever the file's size:

1. derive the ids of rows without ``order_id``;
2. aggregate the stage into one row per order (``_import_orders``) in one pass, with
   flags for orders whose lines disagree, that lack ``created_at`` or lines and total,
   or whose paid total would be negative; those orders are reported and dropped;
3. create the customers the file names; update changed existing orders, insert new ones
   (their ids drawn up front, so their lines need no lookup by external id);
4. insert the lines of new orders; match, update, insert and delete the lines of
   existing ones (:mod:`catalog.importing.orders_lines`);
5. Shopify refunds and Online Retail cancellations become returns
   (:mod:`catalog.importing.order_returns`).

On PostgreSQL the bulk inserts of steps 3-4 may run with per-row foreign-key triggers
off (:func:`~catalog.importing.stage.bulk_integrity`): every parent row is then locked
with one set-based statement instead of one trigger query per inserted row.
"""

from __future__ import annotations

from catalog.importing import order_returns, orders_lines
from catalog.importing.formats import GENERIC, SHOPIFY
from catalog.importing.lookups import channel_codes
from catalog.importing.stage import (
    StageTable,
    bool_and,
    distinct,
    drop_temp,
    execute,
    fetch,
    insert_defaults,
    now_param,
    q,
    sql_type,
    table,
    true,
)
from catalog.models import SKU, Channel, Order, OrderLine
from customers.models import Customer

PAID = "('paid', 'shipped', 'completed')"
# Order-level stage columns the lines of one order must agree on (column → field).
AGREE = {
    "customer_ext": "customer_id",
    "created_at": "created_at",
    "paid_at": "paid_at",
    "status": "status",
    "channel_id": "channel",
    "total": "total",
    "shipping": "shipping",
    "order_discount": "order_discount",
    "logistics": "logistics_cost",
    "region": "region",
    "refund": "refund",
}
CUSTOMER_DETAILS = ("cust_name", "cust_email", "cust_phone", "cust_city", "cust_region")
ORDERS_COLUMNS = [
    ("ext", "text"),
    ("first_line", "int"),
    ("customer_ext", "text"),
    ("created_at", "datetime"),
    ("paid_at", "datetime"),
    ("status", "text"),
    ("channel_id", "bigint"),
    ("goods", "money"),
    ("discount", "money"),
    ("shipping", "money"),
    ("paid_total", "money"),
    ("region", "text"),
    ("logistics", "money"),
    ("refund", "money"),
    ("refunded_at", "datetime"),
    *((c, "text") for c in CUSTOMER_DETAILS),
    ("marketing", "bool"),
    ("problem", "text"),
    ("order_id", "bigint"),
    ("is_new", "bool"),
]
TEMPS = ("_import_bad", "_import_touched", "_import_refunds", "_import_cancel_match")


EXTRAS = [
    ("refund", "MAX(refund)", "money"),
    ("refunded_at", "MAX(refunded_at)", "datetime"),
    *((c, f"MAX({c})", "text") for c in CUSTOMER_DETAILS),
    ("marketing", None, "bool"),
]


def _extras(generic: bool) -> str:
    """The stage aggregates of refunds, customer details and consent; typed NULLs for
    the generic layout, which has none of them."""
    parts = []
    for name, aggregate, kind in EXTRAS:
        expr = f"CAST(NULL AS {sql_type(kind)})" if generic else aggregate or bool_and(name)
        parts.append(f"{expr} AS {name}")
    return ", ".join(parts)


class OrdersMerge:
    def __init__(self, importer):
        self.imp = importer
        self.stage = importer.stage.sql_name
        self.orders = StageTable("_import_orders", ORDERS_COLUMNS)
        self.touched = StageTable("_import_touched", [("order_id", "bigint")])
        self.pending = StageTable("_import_pending", [("order_key", "text")])
        self.existing = 0
        self.dropped_lines = 0

    def drop(self) -> None:
        self.orders.drop()
        self.pending.drop()
        orders_lines.drop()
        for name in TEMPS:
            drop_temp(name)

    def run(self) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "customers_created": 0}
        direct = self.imp.direct
        if self.imp.fast is not None:
            self.imp.chunks.submit([], [], [], [], self.imp.fast.close_run())
        self.imp.chunks.pipeline.wait()
        direct.mark_pending(self.pending)
        customers_written = direct.write_customers()
        if self.imp.stage.rows:
            self._derive_ids()
            self._aggregate()
            self._report_problems()
            self._drop_bad_orders()
            self.touched.create()
            self._lock_parents()
            counts["customers_created"] = self._create_customers() + customers_written
            self._update_orders()
            counts["created"] = self._insert_orders() + len(direct.written)
            counts["lines_written"] = (
                self._insert_late_lines() + self.imp.chunks.early_lines - self.dropped_lines
            )
        self.imp.integrity.end()
        if self.imp.stage.rows:
            if self.existing:
                counts["lines_written"] += orders_lines.rewrite(self)
            (counts["updated"],) = fetch(
                f"SELECT COUNT(DISTINCT order_id) FROM {self.touched.sql_name}"
            )[0]
            counts["unchanged"] = self.existing - counts["updated"]
            execute(
                f"UPDATE {table(Order)} SET updated_at = %s WHERE id IN "
                f"(SELECT order_id FROM {self.touched.sql_name})",
                [now_param()],
            )
            if self.imp.layout.name == SHOPIFY:
                counts["refunds_written"] = order_returns.refunds(self.orders.sql_name)
        if self.imp.cancels.rows:
            counts["cancellations_written"] = order_returns.cancellations(self.imp)
        return counts

    # -- checks ------------------------------------------------------------------------

    def _derive_ids(self) -> None:
        s = self.stage
        if not fetch(f"SELECT 1 FROM {s} WHERE order_key IS NULL LIMIT 1"):
            return
        execute(
            f"UPDATE {s} SET order_key = 'D-' || d.row_hash || CASE WHEN d.k > 1 "
            f"THEN '-' || CAST(d.k AS TEXT) ELSE '' END FROM (SELECT line_no AS ln, row_hash, "
            f"ROW_NUMBER() OVER (PARTITION BY row_hash ORDER BY line_no) AS k FROM {s} "
            f"WHERE order_key IS NULL) AS d WHERE {s}.line_no = d.ln"
        )
        self.imp.chunks.add_derived_keys()

    def _discount_sql(self) -> str:
        if self.imp.layout.name == SHOPIFY:
            # Shopify's Discount Amount is the order's whole discount.
            return "COALESCE(MAX(order_discount), SUM(discount), 0)"
        return "(COALESCE(SUM(discount), 0) + COALESCE(MAX(order_discount), 0))"

    def _aggregate(self) -> None:
        """One pass over the stage: per order its values, totals, a problem flag, and
        the id of the order if it exists already."""
        self.imp.stage.analyze()
        self.orders.create()
        generic = self.imp.layout.name == GENERIC
        present = [c for c, f in AGREE.items() if not generic or self.imp.columns.has(f)]
        discount = self._discount_sql()
        goods = "COALESCE(SUM(quantity * unit_price), 0)"
        paid = f"({goods} - {discount} + COALESCE(MAX(shipping), 0))"
        disagree = " OR ".join(f"MIN({q(c)}) <> MAX({q(c)})" for c in present) or "1 = 0"
        problem = (
            f"CASE WHEN {disagree} THEN 'disagree' WHEN MAX(created_at) IS NULL THEN 'no_date' "
            f"WHEN MAX(total) IS NULL AND MAX(sku_id) IS NULL THEN 'empty' "
            f"WHEN MAX(total) IS NULL AND {paid} < 0 THEN 'negative' END"
        )
        names = ", ".join(q(c) for c, _ in ORDERS_COLUMNS)
        execute(
            f"INSERT INTO {self.orders.sql_name} ({names}) SELECT ext, first_line, customer_ext, "
            f"created_at, COALESCE(paid_at, CASE WHEN status IN {PAID} THEN created_at END), "
            f"status, channel_id, goods, discount, shipping, "
            f"COALESCE(total, goods - discount + shipping), region, logistics, refund, "
            f"refunded_at, {', '.join(CUSTOMER_DETAILS)}, marketing, problem, "
            f"key_id, key_new FROM (SELECT agg.*, k.order_id AS key_id, k.is_new AS key_new "
            f"FROM (SELECT order_key AS ext, "
            f"MIN(line_no) AS first_line, MAX(customer_ext) AS customer_ext, "
            f"MAX(created_at) AS created_at, MAX(paid_at) AS paid_at, "
            f"COALESCE(MAX(status), 'completed') AS status, MAX(channel_id) AS channel_id, "
            f"ROUND({goods}, 2) AS goods, ROUND({discount}, 2) AS discount, "
            f"COALESCE(MAX(shipping), 0) AS shipping, MAX(total) AS total, "
            f"MAX(region) AS region, MAX(logistics) AS logistics, {_extras(generic)}, "
            f"{problem} AS problem FROM {self.stage} WHERE row_hash IS NOT NULL OR order_key IN "
            f"(SELECT order_key FROM {self.pending.sql_name}) GROUP BY order_key) AS agg "
            f"JOIN {self.imp.chunks.ids.sql_name} AS k ON k.order_key = agg.ext) AS joined"
        )
        self.orders.analyze()
        (self.existing,) = fetch(
            f"SELECT COUNT(*) FROM {self.orders.sql_name} WHERE is_new IS NULL"
        )[0]

    def _report_problems(self) -> None:
        io = self.orders.sql_name
        rows = fetch(
            f"SELECT ext, first_line, problem, goods - discount + shipping FROM {io} "
            f"WHERE problem IS NOT NULL ORDER BY first_line"
        )
        disagreeing = []
        for key, line, problem, paid in rows:
            self.imp.bad_orders.add(key)
            if problem == "disagree":
                disagreeing.append(key)
            elif problem == "no_date":
                self.imp.fail(line, "created_at", f"order {key} has no created_at", "required")
            elif problem == "empty":
                self.imp.fail(line, "total", f"order {key} has neither total nor lines", "required")
            else:
                reason = (
                    f"order {key}: discounts exceed goods plus shipping (paid total {paid:.2f})"
                )
                self.imp.fail(line, "discount", reason, "invalid_value")
        if disagreeing:
            self._explain_disagreement(disagreeing)

    def _explain_disagreement(self, keys: list[str]) -> None:
        self.imp.stage.index("order_key")
        codes = channel_codes()
        columns = ", ".join(q(c) for c in AGREE)
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            marks = ", ".join(["%s"] * len(batch))
            first: dict[tuple[str, str], tuple[int, object]] = {}
            for key, line, *values in fetch(
                f"SELECT order_key, line_no, {columns} FROM {self.stage} "
                f"WHERE order_key IN ({marks}) ORDER BY line_no",
                batch,
            ):
                for column, value in zip(AGREE, values, strict=True):
                    if value is None:
                        continue
                    seen = first.setdefault((key, column), (line, value))
                    if seen[1] != value:
                        this, other = (
                            codes.get(x, x) if column == "channel_id" else x
                            for x in (value, seen[1])
                        )
                        self.imp.fail(
                            line,
                            AGREE[column],
                            f"order {key} has {AGREE[column]} {other} on line {seen[0]} "
                            f"but {this} here",
                            "duplicate_key",
                        )

    def _drop_bad_orders(self) -> None:
        bad = self.imp.bad_orders
        if not bad:
            return
        bad_table = StageTable("_import_bad", [("order_key", "text")]).create()
        bad_table.append([(key,) for key in bad])
        s, b = self.stage, bad_table.sql_name
        if self.imp.options.skip_bad_rows:
            # The bad line is reported already; its order's other lines are skipped too.
            for line, key in fetch(
                f"SELECT line_no, order_key FROM {s} WHERE order_key IN "
                f"(SELECT order_key FROM {b}) ORDER BY line_no"
            ):
                if not self.imp.errors.has_line(line):
                    reason = f"skipped with order {key}, which has a bad line"
                    self.imp.fail(line, "order_id", reason, "order_skipped")
        self.dropped_lines = execute(
            f"DELETE FROM {table(OrderLine)} WHERE order_id IN (SELECT k.order_id FROM "
            f"{self.imp.chunks.ids.sql_name} AS k WHERE k.is_new IS NOT NULL AND k.order_key "
            f"IN (SELECT order_key FROM {b}))"
        )
        execute(f"DELETE FROM {self.orders.sql_name} WHERE ext IN (SELECT order_key FROM {b})")
        execute(f"DELETE FROM {s} WHERE order_key IN (SELECT order_key FROM {b})")

    # -- ids, parents ------------------------------------------------------------------

    def _lock_parents(self) -> None:
        """What the foreign-key triggers would lock, locked once per parent row (when
        they are off); the SKUs of early lines were locked chunk by chunk."""
        io, lock = self.orders.sql_name, self.imp.integrity.lock
        lock(SKU, "id", f"SELECT DISTINCT sku_id FROM {self.stage} WHERE row_hash IS NOT NULL")
        lock(Channel, "id", f"SELECT DISTINCT channel_id FROM {io}")
        lock(Customer, "external_id", f"SELECT DISTINCT customer_ext FROM {io}")

    # -- customers, orders, lines ------------------------------------------------------

    def _create_customers(self) -> int:
        provided = [
            "external_id",
            "name",
            "email",
            "phone",
            "city",
            "region",
            "registered_at",
            "marketing_opt_in",
        ]
        columns, params = insert_defaults(Customer, provided)
        c = table(Customer)
        details = "".join(f"COALESCE(MAX({d}), ''), " for d in CUSTOMER_DETAILS)
        return execute(
            f"INSERT INTO {c} ({', '.join([*map(q, provided), *columns])}) "
            f"SELECT customer_ext, {details}MIN(created_at), "
            f"COALESCE({bool_and('marketing')}, {true()}){''.join(', %s' for _ in params)} "
            f"FROM {self.orders.sql_name} AS io WHERE customer_ext IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {c} AS c WHERE c.external_id = io.customer_ext) "
            f"GROUP BY customer_ext ORDER BY MIN(first_line)",
            params,
        )

    def _order_columns(self) -> list[tuple[str, str]]:
        """(order column, expression over ``x``) that this file sets; a column the file
        lacks leaves an existing order's value alone."""
        has = self.imp.columns.has
        platform = self.imp.layout.name != GENERIC
        columns = [
            ("customer_id", "x.cid"),
            ("created_at", "x.created_at"),
            ("goods_total", "x.goods"),
            ("discount_total", "x.discount"),
            ("shipping_total", "x.shipping"),
            ("paid_total", "x.paid_total"),
        ]
        if platform or has("status") or has("paid_at"):
            columns += [("status", "x.status"), ("paid_at", "x.paid_at")]
        if has("channel"):
            columns.append(("channel_id", "x.channel_id"))
        if has("region"):
            columns.append(("shipping_region", "COALESCE(x.region, '')"))
        if has("logistics_cost"):
            columns.append(("logistics_cost", "COALESCE(x.logistics, 0)"))
        return columns

    def _source(self, where: str) -> str:
        io, c = self.orders.sql_name, table(Customer)
        return (
            f"(SELECT io.*, cu.id AS cid FROM {io} AS io LEFT JOIN {c} AS cu "
            f"ON cu.external_id = io.customer_ext WHERE {where}) AS x"
        )

    def _update_orders(self) -> None:
        if not self.existing:
            return
        o, t = table(Order), self.touched.sql_name
        columns = self._order_columns()
        changed = " OR ".join(distinct(f"o.{q(col)}", expr) for col, expr in columns)
        execute(
            f"INSERT INTO {t} (order_id) SELECT x.order_id FROM "
            f"{self._source('io.is_new IS NULL')} JOIN {o} AS o ON o.id = x.order_id "
            f"WHERE {changed}"
        )
        sets = ", ".join(f"{q(col)} = {expr}" for col, expr in columns)
        execute(
            f"UPDATE {o} SET {sets} FROM {self._source('io.is_new IS NULL')} "
            f"WHERE {o}.id = x.order_id AND x.order_id IN (SELECT order_id FROM {t})"
        )

    def _insert_orders(self) -> int:
        return execute(
            f"INSERT INTO {table(Order)} (id, external_id, customer_id, channel_id, status, "
            f"created_at, paid_at, goods_total, discount_total, shipping_total, paid_total, "
            f"shipping_region, logistics_cost, updated_at) SELECT x.order_id, x.ext, x.cid, "
            f"x.channel_id, x.status, x.created_at, x.paid_at, x.goods, x.discount, x.shipping, "
            f"x.paid_total, COALESCE(x.region, ''), COALESCE(x.logistics, 0), %s "
            f"FROM {self._source('io.is_new IS NOT NULL')} ORDER BY x.order_id",
            [now_param()],
        )

    def _insert_late_lines(self) -> int:
        """Lines of new orders not written early: those of rows without ``order_id``
        (all of them where nothing is written early)."""
        s, io = self.stage, self.orders.sql_name
        late = "" if not self.imp.chunks.early else "AND s.row_hash IS NOT NULL "
        return execute(
            f"INSERT INTO {table(OrderLine)} (order_id, sku_id, quantity, unit_price, unit_cost, "
            f"discount) SELECT io.order_id, s.sku_id, s.quantity, s.unit_price, s.unit_cost, "
            f"COALESCE(s.discount, 0) FROM {s} AS s JOIN {io} AS io ON io.ext = s.order_key "
            f"WHERE io.is_new IS NOT NULL {late}AND s.sku_id IS NOT NULL "
            f"ORDER BY s.line_no"
        )
