"""Writers: store computed results in bulk.

:func:`upsert_frame` writes a DataFrame into a model's table, inserting new rows and
updating existing ones by a unique key, in one statement; :func:`update_frame` sets some
columns of existing rows. On PostgreSQL the frame's columns are sent as binary arrays
(:func:`_unnest`), one parameter per column built by numpy with no per-row work in Python,
and the statement reads them with ``unnest`` and merges them with ``INSERT ... ON CONFLICT
DO UPDATE`` (100k score rows in about half a second); elsewhere ``bulk_create`` with
``update_conflicts`` does the same. Money columns are rounded to the field's decimal
places, half away from zero, from the float's shortest representation (as
``Decimal(str(value)).quantize(ROUND_HALF_UP)`` does); NaN becomes NULL.

:func:`insert_frame` and :func:`replace_range` load new rows with ``COPY`` (text).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import psycopg
from django.db import connection, models, transaction
from psycopg.adapt import Dumper
from psycopg.pq import Format

from ecomops.bulk import copy_text

BATCH_SIZE = 5000


def _python_value(field: models.Field, value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(field, models.DecimalField):
        quantum = Decimal(1).scaleb(-field.decimal_places)
        return Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if isinstance(field, models.FloatField):
        return float(value)
    if isinstance(field, models.IntegerField | models.ForeignKey):
        if value != int(value):
            raise ValueError(f"{field.name}: a value with a fraction for an integer column")
        return int(value)
    if isinstance(field, models.DateTimeField) and isinstance(value, datetime):
        # naive: UTC, as on PostgreSQL
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _columns(model: type[models.Model], frame: pd.DataFrame) -> list[models.Field]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [c for c in frame.columns if c not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {unknown}")
    return [fields[c] for c in frame.columns]


def _with_defaults(model: type[models.Model], frame: pd.DataFrame) -> pd.DataFrame:
    """Add the model's Python defaults for missing columns (new rows need them; the
    database has no defaults of its own). Updates never touch these columns."""
    missing = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in frame.columns and not f.primary_key and not f.null
    }
    return frame.assign(**missing) if missing else frame


def upsert_frame(
    model: type[models.Model],
    frame: pd.DataFrame,
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str] | None = None,
) -> int:
    """Insert or update ``frame``'s rows (columns named by field attname); returns rows written."""
    if frame.empty:
        return 0
    _columns(model, frame)
    if update_fields is None:
        update_fields = [c for c in frame.columns if c not in unique_fields]
    frame = _with_defaults(model, frame)
    fields = _columns(model, frame)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _unnest_upsert(model, frame, fields, unique_fields, update_fields)
        else:
            _bulk_upsert(model, frame, fields, unique_fields, update_fields)
    return len(frame)


def _rows(frame: pd.DataFrame, fields: list[models.Field]):
    for record in frame.itertuples(index=False, name=None):
        yield [_python_value(f, v) for f, v in zip(fields, record, strict=True)]


def _bulk_upsert(model, frame, fields, unique_fields, update_fields) -> None:
    names = [f.attname for f in fields]
    objects = (model(**dict(zip(names, row, strict=True))) for row in _rows(frame, fields))
    batch: list = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH_SIZE:
            _bulk_create(model, batch, unique_fields, update_fields)
            batch = []
    if batch:
        _bulk_create(model, batch, unique_fields, update_fields)


def _bulk_create(model, batch, unique_fields, update_fields) -> None:
    if update_fields:
        model.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields
        )
    else:
        model.objects.bulk_create(batch, ignore_conflicts=True)


def _unnest_upsert(model, frame, fields, unique_fields, update_fields) -> None:
    quote = connection.ops.quote_name
    by_name = {f.attname: f.column for f in model._meta.concrete_fields}
    conflict = ", ".join(quote(by_name[name]) for name in unique_fields)
    if update_fields:
        updates = ", ".join(
            f"{quote(by_name[name])} = EXCLUDED.{quote(by_name[name])}" for name in update_fields
        )
        action = f"DO UPDATE SET {updates}"
    else:
        action = "DO NOTHING"
    source, expressions, params = _unnest(frame, fields)
    columns = ", ".join(quote(f.column) for f in fields)
    written = _execute_binary(
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(expressions)} FROM {source} ON CONFLICT ({conflict}) {action}",
        params,
    )
    _analyze_if_changed(model, written)


def _analyze_if_changed(model: type[models.Model], rows: int) -> None:
    """ANALYZE the table when a write changed more than a tenth of its rows (plus 50), the
    threshold at which autovacuum would analyse it by default, but now: the next query
    (a segment count right after the scores are rewritten) is planned on statistics of
    the new rows, where autovacuum is off or has not woken up yet. Without it, a segment
    preview at 100k customers took 185 ms instead of 94 ms (p95) after a nightly rewrite."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        (tuples,) = cursor.fetchone()
        if rows > 0.1 * max(tuples, 0) + 50:  # reltuples is -1 before the first ANALYZE
            cursor.execute(f"ANALYZE {table}")


# --- Columns as binary arrays ---------------------------------------------------------------
#
# PostgreSQL's binary array format: a header (dimensions, a has-NULL flag, the element type,
# the length and lower bound of the one dimension), then per element its byte length and
# its value, big-endian. Every element here has the same width, so numpy lays out a whole
# column at once. Missing values travel as a sentinel the statement turns back into NULL:
# NaN for floats, the smallest int64 for integers, and for timestamps and dates the
# smallest value of their type, which is how PostgreSQL stores '-infinity'.

_INT_NULL = np.iinfo(np.int64).min
# Element type oid → (array type oid, numpy type of a value on the wire).
_ARRAY_OF = {
    20: (1016, ">i8"),  # int8
    701: (1022, ">f8"),  # float8
    16: (1000, "u1"),  # bool
    1184: (1185, ">i8"),  # timestamptz: microseconds since 2000-01-01 UTC
    1082: (1182, ">i4"),  # date: days since 2000-01-01
}
_PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us").astype("int64")
_PG_EPOCH_DAY = np.datetime64("2000-01-01", "D").astype("int64")


class _BinaryArray:
    """A column already encoded as a binary array (a subclass per element type, since
    psycopg picks a parameter's dumper, and so its type oid, by its Python class)."""

    element: int = 0
    __slots__ = ("data",)

    def __init__(self, values: np.ndarray) -> None:
        wire = _ARRAY_OF[self.element][1]
        header = np.array([1, 0, self.element, len(values), 1], dtype=">i4").tobytes()
        items = np.empty(len(values), dtype=[("length", ">i4"), ("value", wire)])
        items["length"] = np.dtype(wire).itemsize
        items["value"] = values
        self.data = header + items.tobytes()


def _array_class(element: int) -> tuple[type[_BinaryArray], type[Dumper]]:
    array = type(f"_Array{element}", (_BinaryArray,), {"element": element, "__slots__": ()})

    class _ArrayDumper(Dumper):
        format = Format.BINARY
        oid = _ARRAY_OF[element][0]

        def dump(self, obj: _BinaryArray) -> bytes:
            return obj.data

    return array, _ArrayDumper


_ARRAYS = {element: _array_class(element) for element in _ARRAY_OF}


def _execute_binary(statement: str, params: list) -> int:
    """Run ``statement`` (``%s`` placeholders) with binary array parameters on Django's
    connection, in its current transaction; returns the rows affected."""
    connection.ensure_connection()
    # A server-binding cursor: Django's own binds parameters as text on the client.
    with psycopg.Cursor(connection.connection) as cursor:
        for array, dumper in _ARRAYS.values():
            cursor.adapters.register_dumper(array, dumper)
        # Floats as text are their shortest round-trip form (the default; money relies on it).
        cursor.execute("SET LOCAL extra_float_digits = 1")
        cursor.execute(statement, params)
        return cursor.rowcount


def _unnest(frame: pd.DataFrame, fields: list[models.Field]) -> tuple[str, list[str], list]:
    """``frame``'s columns as ``unnest`` of binary arrays: a FROM item (alias ``u``, columns
    ``c0, c1, …``), per field the expression of its value (NULLs restored), and the
    parameters in the order of the statement's placeholders (expressions first, which may
    carry one parameter each — a text column's distinct values — then the arrays)."""
    expressions, arrays, extra = [], [], []
    for i, field in enumerate(fields):
        column = f"u.c{i}"
        array, expression, values = _binary_column(frame[field.attname], field, column)
        arrays.append(array)
        expressions.append(expression)
        extra.extend(values)
    # unnest in the select list (a ProjectSet, value per call) rather than in FROM, where
    # its rows would first be stored in a tuplestore, spilled to disk past work_mem.
    source = "(SELECT " + ", ".join(f"unnest(%s) AS c{i}" for i in range(len(arrays))) + ") AS u"
    return source, expressions, [*extra, *arrays]


def _binary_column(values: pd.Series, field: models.Field, column: str):
    """One column as (binary array, SQL expression of its value, the expression's params)."""
    if isinstance(field, models.BooleanField) and values.dtype.kind == "b" and not values.hasnans:
        return _ARRAYS[16][0](values.to_numpy(dtype=bool)), column, []
    if isinstance(field, models.IntegerField | models.ForeignKey):
        numbers = pd.to_numeric(values) if values.dtype == object else values
        if numbers.dtype.kind == "f":
            floats = numbers.to_numpy(dtype="float64", na_value=0.0)
            if not np.array_equal(floats, np.trunc(floats)):
                raise ValueError(f"{field.name}: a value with a fraction for an integer column")
        ints = numbers.to_numpy(dtype="int64", na_value=_INT_NULL)
        return _ARRAYS[20][0](ints), f"NULLIF({column}, '{_INT_NULL}')", []
    if isinstance(field, models.FloatField | models.DecimalField):
        floats = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
        expression = f"NULLIF({column}, 'NaN')"
        if isinstance(field, models.DecimalField):
            # Through the shortest text of the float, then rounded by the column's scale
            # on assignment (half away from zero), as the text path does.
            expression = f"CAST(CAST({expression} AS text) AS numeric)"
        return _ARRAYS[701][0](floats), expression, []
    if isinstance(field, models.DateTimeField):
        stamps = pd.to_datetime(values, utc=True).dt.tz_localize(None)
        micros = stamps.to_numpy(dtype="datetime64[us]").astype("int64")
        micros = np.where(stamps.isna().to_numpy(), _INT_NULL, micros - _PG_EPOCH_US)
        return _ARRAYS[1184][0](micros), f"NULLIF({column}, '-infinity')", []
    if isinstance(field, models.DateField):
        days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype("int64")
        days = np.where(pd.isna(values).to_numpy(), np.iinfo(np.int32).min, days - _PG_EPOCH_DAY)
        return _ARRAYS[1082][0](days), f"NULLIF({column}, '-infinity')", []
    # Text (and anything else, by its text; JSON as JSON): each distinct value once, in a
    # text[] the column's codes index (1-based: a missing value's code -1 indexes 0,
    # outside the array, which gives NULL).
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [_text(field, v) for v in uniques]
    except TypeError:  # unhashable values (JSON dicts and lists)
        codes = np.arange(len(values))
        texts = [None if v is None else _text(field, v) for v in values.tolist()]
    expression = f"(CAST(%s AS text[]))[{column} + 1]"
    if isinstance(field, models.JSONField):
        expression = f"CAST({expression} AS jsonb)"
    elif not isinstance(field, models.CharField | models.TextField):
        expression = f"CAST({expression} AS {field.db_type(connection)})"
    return _ARRAYS[20][0](codes.astype("int64")), expression, [texts]


def _text(field: models.Field, value) -> str:
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder, separators=(",", ":"), ensure_ascii=False)
    value = _plain(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _copy_column(values: pd.Series, field: models.Field) -> list[str]:
    """One column as COPY text. Numbers go through Python's ``str`` of plain ints and floats
    (the shortest round-trip repr): about twice as fast as numpy's ``astype(str)``. Money is
    written as the float's shortest repr and rounded by the column's numeric type on input
    (half away from zero, as ``Decimal(str(value)).quantize(ROUND_HALF_UP)`` does)."""
    missing = values.isna().to_numpy()
    kind = values.dtype.kind
    if kind in "iu" or (kind == "f" and isinstance(field, models.IntegerField | models.ForeignKey)):
        numbers = np.asarray(
            values.to_numpy(dtype="float64", na_value=0.0) if missing.any() else values
        )
        if kind == "f" and not np.array_equal(numbers, np.trunc(numbers)):
            raise ValueError(f"{field.name}: a value with a fraction for an integer column")
        text = list(map(str, numbers.astype("int64").tolist()))
    elif kind == "f":
        text = list(map(str, values.to_numpy(dtype="float64").tolist()))
    elif kind == "b" and not missing.any():
        text = ["t" if value else "f" for value in values.to_numpy(dtype=bool).tolist()]
    elif kind == "M":  # timestamps; aware ones in UTC with an explicit offset
        aware = values.dt.tz is not None
        stamps = values.dt.tz_convert("UTC").dt.tz_localize(None) if aware else values
        # Each distinct instant formatted once: a run's rows share one computed_at.
        codes, uniques = pd.factorize(stamps, use_na_sentinel=True)
        text = np.datetime_as_string(np.asarray(uniques, dtype="datetime64[us]"), unit="us")
        if aware:
            text = np.char.add(text, "+00:00")
        return np.append(text.astype(object), "\\N")[codes].tolist()
    else:
        # Dates, text, JSON: format each distinct value once (a run's rows share a few
        # dates), then spread the strings by code.
        try:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        except TypeError:  # unhashable values (JSON dicts and lists)
            return ["\\N" if v is None else copy_text(v) for v in values.tolist()]
        formatted = np.array([copy_text(_plain(v)) for v in uniques] + ["\\N"], dtype=object)
        return formatted[codes].tolist()
    if not missing.any():
        return text
    column = np.array(text, dtype=object)
    column[missing] = "\\N"
    return column.tolist()


def _plain(value):
    """A pandas scalar as the Python value copy_text formats."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _copy_chunks(frame: pd.DataFrame, fields, rows_per_chunk: int = 10_000):
    """The COPY text of ``frame`` in chunks of about 2 MB: while the database parses one,
    the next is formatted here (one 100k-row chunk left the two waiting on each other)."""
    for start in range(0, len(frame), rows_per_chunk):
        part = frame.iloc[start : start + rows_per_chunk]
        columns = [_copy_column(part[f.attname], f) for f in fields]
        yield "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def replace_range(
    model: type[models.Model],
    frame: pd.DataFrame,
    *,
    field: str,
    start,
    end,
    keep: models.Q | None = None,
) -> int:
    """Replace the rows whose ``field`` lies in ``[start, end]`` (or all rows when both are
    None) by ``frame``, in one transaction; ``keep`` spares rows matching it.

    Replacing a whole table on PostgreSQL uses ``TRUNCATE`` (the rows ``keep`` spares are
    read first and written back): inserting after a ``DELETE`` of every row is three times
    slower, because each unique check still visits the dead index entries. The price is an
    exclusive lock on the table until the transaction commits (a few seconds, once a night);
    readers wait rather than see it empty. The emptied table is then loaded as PostgreSQL's
    manual advises for a bulk load: its secondary indexes are dropped and built again once
    the rows are in (:func:`_without_secondary_indexes`), and the table is analysed: until
    autovacuum gets to it the planner would know nothing of its new rows, and the next
    replacement of a day would scan the whole table instead of its date index.
    """
    with transaction.atomic():
        if start is None and connection.vendor == "postgresql":
            kept = pd.DataFrame()
            if keep is not None:
                names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
                kept = pd.DataFrame.from_records(
                    list(model.objects.filter(keep).values_list(*names)), columns=names
                )
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table}")
            with _without_secondary_indexes(model):
                written = insert_frame(model, frame)
                insert_frame(model, kept)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")
            return written
        stale = model.objects.all()
        if start is not None:
            stale = stale.filter(**{f"{field}__gte": start, f"{field}__lte": end})
        if keep is not None:
            stale = stale.exclude(keep)
        stale.delete()  # one DELETE: nothing refers to these rows
        return insert_frame(model, frame)


@contextmanager
def _without_secondary_indexes(model: type[models.Model]):
    """Within a transaction on PostgreSQL, drop the table's unique constraints and indexes
    other than the primary key, and create them again from their stored definitions (same
    names) on the way out. Building an index over 762k rows at once is faster than
    updating it row by row: 5.4 s → 3.4 s for the recommendations. A duplicate still
    fails, when the unique constraint is added back. Constraints that a foreign key
    refers to are left in place."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype = 'u'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                              WHERE f.contype = 'f' AND f.conindid = c.conindid)
            ORDER BY c.conname
            """,
            [quote(table)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [quote(table)],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")  # already quoted by regclass::text
    yield
    with connection.cursor() as cursor:
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        for _, definition in indexes:
            cursor.execute(definition)


def insert_frame(model: type[models.Model], frame: pd.DataFrame) -> int:
    """Insert ``frame``'s rows, which must not exist yet (a unique key refuses duplicates):
    straight ``COPY`` into the table on PostgreSQL, ``bulk_create`` elsewhere."""
    if frame.empty:
        return 0
    frame = _with_defaults(model, frame)
    fields = _columns(model, frame)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in fields)
            table = quote(model._meta.db_table)
            statement = f"COPY {table} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
                for chunk in _copy_chunks(frame, fields):
                    copy.write(chunk)
        else:
            names = [f.attname for f in fields]
            objects = [model(**dict(zip(names, row, strict=True))) for row in _rows(frame, fields)]
            model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    return len(frame)


def update_frame(
    model: type[models.Model], frame: pd.DataFrame, *, key: str, fields: Sequence[str]
) -> int:
    """Set ``fields`` of the existing rows whose unique ``key`` is in ``frame``; rows of
    ``frame`` without a row in the table are ignored. Returns the rows updated."""
    if frame.empty:
        return 0
    frame = frame[[key, *fields]]
    columns = _columns(model, frame)
    with transaction.atomic():
        if connection.vendor != "postgresql":
            pks = dict(model.objects.values_list(key, "pk"))
            objects = []
            for row in _rows(frame, columns):
                values = dict(zip([f.attname for f in columns], row, strict=True))
                pk = pks.get(values.pop(key))
                if pk is not None:
                    objects.append(model(pk=pk, **values))
            model.objects.bulk_update(objects, list(fields), batch_size=BATCH_SIZE)
            return len(objects)
        quote = connection.ops.quote_name
        source, expressions, params = _unnest(frame, columns)
        values = ", ".join(
            f"{e} AS {quote(f.column)}" for e, f in zip(expressions, columns, strict=True)
        )
        by_name = {f.attname: quote(f.column) for f in columns}
        sets = ", ".join(f"{by_name[f]} = v.{by_name[f]}" for f in fields)
        updated = _execute_binary(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {sets} "
            f"FROM (SELECT {values} FROM {source}) AS v WHERE t.{by_name[key]} = v.{by_name[key]}",
            params,
        )
        _analyze_if_changed(model, updated)
        return updated
