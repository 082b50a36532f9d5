"""Per-chunk work of the orders import, done while the next chunk is parsed.

For each chunk of validated rows the importing thread learns, with one query, which of
the chunk's order ids exist already, and draws ids for the orders to create (one
``nextval`` batch on PostgreSQL; on SQLite, whose import holds the write lock, the next
numbers after the table's top id). Then, in one background batch
(:mod:`catalog.importing.pipeline`) the chunk is COPYed into the stage, the order ids
into ``_import_order_ids``, and the lines of orders to create straight into the real
order-line table ("early lines"): an order's id is known before its row is written at
the end. Foreign keys are deferred to the commit (or checked set-based, see
:class:`~catalog.importing.stage.BulkIntegrity`), so this is valid inside the import's
transaction; an order that later proves bad has its early lines deleted, and a failed
all-or-nothing import rolls everything back.

Rows without ``order_id`` get their derived id only at the end, so their lines are
written then; so are the lines of orders that exist already (they are matched, not
appended: :mod:`catalog.importing.orders_lines`).
"""

from __future__ import annotations

from catalog.importing.orders_direct import ORDER_COLUMNS
from catalog.importing.pipeline import Copy, CopyRows, Many, Pipeline, Sql
from catalog.importing.stage import (
    StageTable,
    execute,
    fetch,
    ids_by_external_id,
    is_postgres,
    table,
    true,
)
from catalog.models import SKU, Channel, Order, OrderLine
from customers.models import Customer

ID_COLUMNS = [("order_key", "text"), ("order_id", "bigint"), ("is_new", "bool")]
LINE_COLUMNS = "order_id, sku_id, quantity, unit_price, unit_cost, discount"


class OrderChunks:
    def __init__(self, importer):
        self.imp = importer
        self.ids = StageTable("_import_order_ids", ID_COLUMNS)
        self.pipeline = Pipeline()
        self.known: dict[str, int] = {}  # order id in the file → new order's id
        self.existing: set[str] = set()  # order ids that exist in the database
        self.skus_locked: set[str] = set()
        self.next_id = 0  # SQLite only: the last id drawn
        self.early_lines = 0
        # Early writes pay where the server works while Python parses (PostgreSQL, in a
        # background thread). SQLite runs in this thread, and its INSERT ... SELECT at the
        # end beats binding every row from Python: there, lines wait for the merge.
        self.early = is_postgres()

    def create(self) -> None:
        self.ids.create()
        if not is_postgres():
            (top,) = fetch(f"SELECT COALESCE(MAX(id), 0) FROM {table(Order)}")[0]
            self.next_id = int(top)

    def drop(self) -> None:
        self.pipeline.wait()
        self.ids.drop()

    def submit(
        self,
        rendered: list,
        python_rows: list[tuple],
        lines: list[tuple],
        keys: list[str],
        runs: list | None = None,
    ) -> None:
        """Stage a chunk (rows rendered by the fast path, with their order ``keys``, and
        Python-valued rows from the careful path) and write the early ``lines`` (key,
        sku id, quantity, price, cost, discount), in the background where possible."""
        keys = self._new_keys(rendered_keys=keys, python_rows=python_rows)
        self.pipeline.wait()
        id_rows = self._draw_ids(keys)
        orders, customers, channels = self.imp.direct.finish_runs(runs or [])
        stage = self.imp.stage
        stage.rows += len(rendered) + len(python_rows)
        pg = is_postgres()
        early = self._early(lines) if self.early else []
        steps: list = []
        if pg:
            if rendered:
                steps.append(Copy(stage.copy_statement(), "".join(rendered)))
            if python_rows:
                steps.append(CopyRows(stage.copy_statement(), python_rows))
            if id_rows:
                steps.append(CopyRows(self.ids.copy_statement(), id_rows))
        else:
            rows = list(rendered) + stage.sqlite_values(python_rows)
            if rows:
                steps.append(Many(stage.insert_statement(), rows))
            if id_rows:
                steps.append(Many(self.ids.insert_statement(), self.ids.sqlite_values(id_rows)))
        if early:
            skus = {sku for _, sku, *_ in early} - self.skus_locked
            lock = self.imp.integrity.lock_sql(SKU, "id", ", ".join(sorted(skus)) or "NULL")
            if lock and skus:
                self.skus_locked |= skus
                steps.append(Sql(lock))
            statement = f"COPY {table(OrderLine)} ({LINE_COLUMNS}) FROM STDIN"
            if pg:
                data = "".join(
                    f"{self.known[k]}\t{rest}\n" for k, *r in early for rest in ["\t".join(r)]
                )
                steps.append(Copy(statement, data))
            else:
                marks = ", ".join(["%s"] * 6)
                rows = [(self.known[k], *rest) for k, *rest in early]
                steps.append(
                    Many(f"INSERT INTO {table(OrderLine)} ({LINE_COLUMNS}) VALUES ({marks})", rows)
                )
            self.early_lines += len(early)
        if orders:
            steps += self._direct_steps(orders, customers, channels)
        self.pipeline.submit(steps)

    def _direct_steps(self, orders: list, customers: list[int], channels: set[str]) -> list:
        integrity = self.imp.integrity
        steps = []
        for model, ids in ((Customer, customers), (Channel, channels)):
            lock = integrity.lock_sql(model, "id", ", ".join(str(i) for i in sorted(ids)) or "NULL")
            if lock and ids:
                steps.append(Sql(lock))
        o = table(Order)
        if is_postgres():
            steps.append(Copy(f"COPY {o} ({ORDER_COLUMNS}) FROM STDIN", "".join(orders)))
        else:
            marks = ", ".join(["%s"] * len(ORDER_COLUMNS.split(",")))
            steps.append(Many(f"INSERT INTO {o} ({ORDER_COLUMNS}) VALUES ({marks})", orders))
        return steps

    def _new_keys(self, *, rendered_keys: list[str], python_rows: list[tuple]) -> list[str]:
        """The chunk's order ids not seen before in this import, in file order."""
        fresh: dict[str, None] = {}
        known, existing = self.known, self.existing
        for key in rendered_keys:
            if key not in known and key not in existing:
                fresh[key] = None
        for row in python_rows:
            key = row[1]
            if key is not None and key not in known and key not in existing:
                fresh[key] = None
        return list(fresh)

    def _draw_ids(self, keys: list[str]) -> list[tuple]:
        """Look up which ``keys`` exist; draw ids for the others. Returns id-table rows."""
        if not keys:
            return []
        found = ids_by_external_id(Order, keys)
        new = [k for k in keys if k not in found]
        if is_postgres() and new:
            sequence = f"pg_get_serial_sequence('{Order._meta.db_table}', 'id')"
            drawn = [
                i
                for (i,) in fetch(
                    f"SELECT nextval({sequence}) FROM generate_series(1, %s)", [len(new)]
                )
            ]
        else:
            drawn = list(range(self.next_id + 1, self.next_id + 1 + len(new)))
            self.next_id += len(new)
        rows = []
        for key, order_id in zip(new, drawn, strict=True):
            self.known[key] = order_id
            rows.append((key, order_id, True))
        for key, order_id in found.items():
            self.existing.add(key)
            rows.append((key, order_id, None))
        return rows

    def _early(self, lines: list[tuple]) -> list[tuple]:
        """The lines to write now: those of new orders not already known to be bad."""
        known, bad = self.known, self.imp.bad_orders
        return [line for line in lines if line[0] in known and line[0] not in bad]

    def add_derived_keys(self) -> None:
        """Ids for the orders of rows without ``order_id`` (their keys exist only now)."""
        s, k, o = self.imp.stage.sql_name, self.ids.sql_name, table(Order)
        if is_postgres():
            new_id = f"nextval(pg_get_serial_sequence('{Order._meta.db_table}', 'id'))"
        else:
            new_id = f"{self.next_id} + ROW_NUMBER() OVER (ORDER BY first_line)"
        # nextval over rows already sorted: new ids follow the file's order.
        execute(
            f"INSERT INTO {k} (order_key, order_id, is_new) SELECT order_key, "
            f"COALESCE(existing, {new_id}), CASE WHEN existing IS NULL THEN {true()} END "
            f"FROM (SELECT c.order_key, c.first_line, o.id AS existing FROM "
            f"(SELECT order_key, MIN(line_no) AS first_line FROM {s} WHERE row_hash IS NOT NULL "
            f"GROUP BY order_key) AS c LEFT JOIN {o} AS o ON o.external_id = c.order_key "
            f"ORDER BY c.first_line) AS numbered"
        )
