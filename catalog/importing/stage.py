"""Staging tables and the little SQL dialect the set-based importers need.

High-volume kinds (orders, events) do not write a row at a time: the rows that validated
are appended to a temporary *staging* table (``COPY`` on PostgreSQL, ``executemany`` on
SQLite), then cross-row checks and the merge into the real tables run as a few set-based
statements (``INSERT ... SELECT``, ``UPDATE ... FROM``). Nothing reaches a real table
before every row has been read, and everything runs in the import's one transaction.

Values are staged in the form the real columns store them, so the merge copies them
unchanged: on SQLite a datetime is the naive-UTC text Django writes, on PostgreSQL a
``timestamptz``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

_PG_TYPES = {
    "text": "text",
    "int": "integer",
    "bigint": "bigint",
    "money": "numeric(14, 2)",
    "datetime": "timestamptz",
    "bool": "boolean",
}
_SQLITE_TYPES = {
    "text": "TEXT",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "money": "NUMERIC",
    "datetime": "TEXT",
    "bool": "INTEGER",
}


def sql_type(kind: str) -> str:
    """The column type of a stage type name (text int bigint money datetime bool)."""
    return (_PG_TYPES if is_postgres() else _SQLITE_TYPES)[kind]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    return q(model._meta.db_table)


def distinct(a: str, b: str) -> str:
    """SQL that is true when ``a`` and ``b`` differ, NULLs compared as values."""
    return f"{a} IS DISTINCT FROM {b}" if is_postgres() else f"{a} IS NOT {b}"


def money_round(expr: str) -> str:
    # SQLite keeps decimals as binary floats: round sums so that equal data compares equal.
    return expr if is_postgres() else f"ROUND({expr}, 2)"


def true() -> str:
    return "TRUE" if is_postgres() else "1"


def bool_and(expr: str) -> str:
    return f"bool_and({expr})" if is_postgres() else f"MIN({expr})"


def temp_as(name: str, select_sql: str, params: Sequence = ()) -> str:
    """Create the temporary table ``name`` from a SELECT; returns its quoted name."""
    schema = "pg_temp" if is_postgres() else "temp"
    execute(f"DROP TABLE IF EXISTS {schema}.{q(name)}")
    suffix = " ON COMMIT DROP" if is_postgres() else ""
    execute(f"CREATE TEMPORARY TABLE {q(name)}{suffix} AS {select_sql}", params)
    return q(name)


def drop_temp(name: str) -> None:
    schema = "pg_temp" if is_postgres() else "temp"
    execute(f"DROP TABLE IF EXISTS {schema}.{q(name)}")


def db_datetime(value: datetime | None):
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def now_param():
    return db_datetime(timezone.now())


def execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def tune_session() -> None:
    """Give this transaction the memory a bulk merge needs (PostgreSQL's defaults of 4 MB
    sorts and 8 MB of temporary-table buffers spill a million-row stage to disk).

    ``SET LOCAL`` ends with the transaction; ``temp_buffers`` can only be raised before
    the session first touches a temporary table, so a refusal is ignored.
    """
    if not is_postgres():
        return
    execute("SET LOCAL work_mem = '256MB'")
    execute("SET LOCAL maintenance_work_mem = '256MB'")
    try:
        with transaction.atomic():
            execute("SET temp_buffers = '512MB'")
    except DatabaseError:
        pass


def ids_by_external_id(model: type[models.Model], names: Sequence[str]) -> dict[str, int]:
    """external_id → id of the rows of ``model`` among ``names`` (one query per 5,000
    names: one array parameter on PostgreSQL, a list of parameters on SQLite)."""
    found: dict[str, int] = {}
    for start in range(0, len(names), 5000):
        batch = list(names[start : start + 5000])
        if is_postgres():
            where, params = "external_id = ANY(%s)", [batch]
        else:
            where, params = f"external_id IN ({', '.join(['%s'] * len(batch))})", batch
        found.update(fetch(f"SELECT external_id, id FROM {table(model)} WHERE {where}", params))
    return found


class BulkIntegrity:
    """Foreign keys checked set-based instead of row by row, where allowed.

    PostgreSQL checks a foreign key with one trigger query per inserted row (and locks
    the parent row each time); for a million order lines that is a third of the import.
    Where the role may (a superuser, or ``GRANT SET ON PARAMETER
    session_replication_role``) and ``settings.IMPORT_BULK_FK_BYPASS`` is not False,
    :meth:`start` switches those triggers off for this transaction only; the importer
    then takes the same ``FOR KEY SHARE`` locks with one statement per parent table
    (:meth:`lock_sql`), so no parent can vanish before the commit, and inserts only rows
    whose parents it locked or inserted itself. :meth:`end` switches the triggers back
    on. Otherwise (and on SQLite) the triggers run as usual and :meth:`lock_sql` is
    empty.
    """

    def __init__(self):
        self.bypass = False

    def start(self) -> None:
        if not is_postgres() or not getattr(settings, "IMPORT_BULK_FK_BYPASS", True):
            return
        try:
            with transaction.atomic():
                execute("SET LOCAL session_replication_role = replica")
            self.bypass = True
        except DatabaseError:
            self.bypass = False  # this role may not: the triggers stay on

    def lock_sql(self, model: type[models.Model], column: str, source: str) -> str:
        if not self.bypass:
            return ""
        return f"SELECT 1 FROM {table(model)} WHERE {q(column)} IN ({source}) FOR KEY SHARE"

    def lock(self, model: type[models.Model], column: str, source: str) -> None:
        if statement := self.lock_sql(model, column, source):
            execute(statement)

    def end(self) -> None:
        if self.bypass:
            execute("SET LOCAL session_replication_role = origin")
            self.bypass = False


class StageTable:
    """A temporary table of ``columns`` (name, type) where type is one of ``text int
    bigint money datetime bool``."""

    def __init__(self, name: str, columns: Sequence[tuple[str, str]]):
        self.name = name
        self.sql_name = q(name)
        self.columns = [c for c, _ in columns]
        self.types = [t for _, t in columns]
        self.rows = 0

    def create(self) -> StageTable:
        types = _PG_TYPES if is_postgres() else _SQLITE_TYPES
        spec = ", ".join(
            f"{q(c)} {types[t]}" for c, t in zip(self.columns, self.types, strict=True)
        )
        self.drop()
        suffix = " ON COMMIT DROP" if is_postgres() else ""
        execute(f"CREATE TEMPORARY TABLE {self.sql_name} ({spec}){suffix}")
        return self

    def append(self, rows: Sequence[tuple]) -> None:
        """Add rows (Python values: str, int, Decimal, aware datetime, bool or None)."""
        if not rows:
            return
        self.rows += len(rows)
        columns = ", ".join(q(c) for c in self.columns)
        with connection.cursor() as cursor:
            if is_postgres():
                with cursor.cursor.copy(f"COPY {self.sql_name} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                converters = [_sqlite_converter(t) for t in self.types]
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.sql_name} ({columns}) VALUES ({marks})",
                    [_convert(row, converters) for row in rows],
                )

    def append_rendered(self, rows: Sequence) -> None:
        """Add rows rendered by :class:`Render` (COPY lines, or SQLite value tuples)."""
        if not rows:
            return
        self.rows += len(rows)
        with connection.cursor() as cursor:
            if is_postgres():
                with cursor.cursor.copy(self.copy_statement()) as copy:
                    copy.write("".join(rows))
            else:
                cursor.executemany(self.insert_statement(), rows)

    def copy_statement(self) -> str:
        return f"COPY {self.sql_name} ({', '.join(q(c) for c in self.columns)}) FROM STDIN"

    def insert_statement(self) -> str:
        marks = ", ".join(["%s"] * len(self.columns))
        return f"INSERT INTO {self.sql_name} ({', '.join(q(c) for c in self.columns)}) VALUES ({marks})"

    def sqlite_values(self, rows: Sequence[tuple]) -> list[tuple]:
        converters = [_sqlite_converter(t) for t in self.types]
        return [_convert(row, converters) for row in rows]

    def index(self, *columns: str) -> None:
        name = q(f"{self.name}_{'_'.join(columns)}_idx")
        execute(f"CREATE INDEX {name} ON {self.sql_name} ({', '.join(q(c) for c in columns)})")

    def analyze(self) -> None:
        # Autovacuum never analyses temporary tables; without statistics PostgreSQL
        # plans the merge joins as if the stage held a handful of rows.
        execute(f"ANALYZE {self.sql_name}")

    def drop(self) -> None:
        # Schema-qualified so that a real table of the same name can never be dropped.
        schema = "pg_temp" if is_postgres() else "temp"
        execute(f"DROP TABLE IF EXISTS {schema}.{self.sql_name}")


class Render:
    """Values in the form a stage stores them, computed once per distinct cell by the
    fast paths: PostgreSQL COPY text, or the values SQLite's driver takes."""

    def __init__(self):
        self.pg = is_postgres()
        self.null = "\\N" if self.pg else None

    def datetime(self, value: datetime) -> str:
        return value.isoformat() if self.pg else db_datetime(value)

    def text(self, value: str) -> str:
        if not self.pg:
            return value
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )

    def line(self, values: list):
        return "\t".join(values) + "\n" if self.pg else tuple(values)


def _sqlite_converter(kind: str):
    if kind == "datetime":
        return db_datetime
    if kind == "money":
        return lambda v: None if v is None else str(v)
    if kind == "bool":
        return lambda v: None if v is None else int(v)
    return None


def _convert(row: tuple, converters: list) -> tuple:
    return tuple(
        value if conv is None or value is None else conv(value)
        for value, conv in zip(row, converters, strict=True)
    )


def insert_defaults(model: type[models.Model], provided: Iterable[str]) -> tuple[list[str], list]:
    """Columns and parameters for the model's Python-side defaults of the NOT NULL
    columns a raw ``INSERT ... SELECT`` does not provide (the database has no defaults
    of its own); ``auto_now``/``auto_now_add`` columns get the current time."""
    provided = set(provided)
    columns, params = [], []
    now = timezone.now()
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in provided:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default() or not f.null:
            value = f.get_default()  # "" for a text field without a default
        else:
            continue
        columns.append(q(f.column))
        params.append(f.get_db_prep_save(value, connection))
    return columns, params


def as_decimal(value) -> Decimal:
    """A money value read back from SQL (SQLite returns floats) as a 2-place Decimal."""
    return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else Decimal("0.00")
