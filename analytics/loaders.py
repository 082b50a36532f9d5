"""Loaders: the least data the metrics need, aggregated by the database.

Each loader runs one SQL statement (joins and GROUP BY in the database) and returns a
pandas DataFrame in the metrics' conventions (``analytics.metrics``): ids as int64,
money as float64, timestamps converted from UTC to naive local time in ``TIME_ZONE``.
On PostgreSQL the rows stream out with ``COPY (...) TO STDOUT`` as CSV, several times
faster than building Python tuples for a million rows; elsewhere a plain cursor is used.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import psycopg
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from psycopg.adapt import Loader
from psycopg.pq import Format

from analytics.models import Event
from catalog.models import SKU, Category, Channel, Order, OrderLine, Product, Return, Review
from customers.models import Customer, CustomerTag

PAID = tuple(str(s) for s in Order.PAID_STATUSES)


def read_sql(
    sql: str,
    params: Sequence = (),
    *,
    columns: Sequence[str],
    datetimes: Sequence[str] = (),
    arrays: bool = False,
    split: bool = True,
) -> pd.DataFrame:
    """Run ``sql`` and return its rows as a frame with ``columns``.

    ``datetimes`` are converted from UTC to naive local time (``settings.TIME_ZONE``).
    ``arrays``: every column is a number or a timestamp and never NULL (COALESCE it), so
    on PostgreSQL the rows can come as one binary array per column (:func:`_read_arrays`).
    ``split``: False reads such arrays in one statement, never in halves; for a statement
    whose every half would do the whole of its work (see :func:`_paid_orders`).
    """
    # As the ORM does: SQLite stores naive UTC text, so aware datetimes must be adapted.
    params = [
        connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p
        for p in params
    ]
    if arrays and connection.vendor == "postgresql":
        frame = _read_arrays(sql, params, columns, split=split)
        for column in datetimes:
            frame[column] = to_local(frame[column])
        return frame
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            statement = connection.ops.compose_sql(sql, params)
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
            buffer.seek(0)
            frame = (
                pd.read_csv(buffer, names=list(columns), header=None)
                if buffer.getbuffer().nbytes
                else pd.DataFrame(columns=list(columns))
            )
        else:
            cursor.execute(sql, params)
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=list(columns))
    for column in datetimes:
        frame[column] = to_local(frame[column])
    return frame


# Element type oid of a binary array → numpy dtype of its values (big-endian on the wire).
_ARRAY_ELEMENTS = {
    20: ">i8",  # int8
    23: ">i4",  # int4
    21: ">i2",  # int2
    701: ">f8",  # float8
    700: ">f4",  # float4
    1184: ">i8",  # timestamptz: microseconds since 2000-01-01 UTC
    16: "?",  # bool
}
_ARRAY_TYPES = (1016, 1007, 1005, 1022, 1021, 1185, 1000)  # their array types
_PG_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


class _RawArray(Loader):
    format = Format.BINARY

    def load(self, data) -> bytes:
        return bytes(data)


def _read_arrays(
    sql: str, params: Sequence, columns: Sequence[str], *, split: bool = True
) -> pd.DataFrame:
    """The rows of ``sql`` as one ``array_agg`` per column, sent in PostgreSQL's binary
    format and read straight into numpy: no per-row work in Python, and the database
    sends machine numbers instead of formatting text (a million orders: about a third of
    the time of ``COPY ... csv``). Numbers and timestamps only, never NULL; an array holds
    at most ~1 GB, i.e. some 90 million 8-byte values.

    PostgreSQL 15 aggregates arrays in one process, so outside a transaction the rows are
    split by the parity of the first column (an id) and the halves read at the same time
    on two connections: each statement sees the committed data, as a single one would.
    Inside a transaction (``atomic``; every test) one statement on this connection reads
    them all, because another connection would not see its uncommitted rows.
    """
    names = [f"c{i}" for i in range(len(columns))]
    statement = (
        f"SELECT {', '.join(f'array_agg(t.{n})' for n in names)} "
        f"FROM ({sql}) AS t({', '.join(names)})"
    )
    parts = 1 if connection.in_atomic_block or not split else READ_PARTS
    if parts == 1:
        rows = [_fetch_arrays(connection, statement, params)]
    else:
        split = f"{statement} WHERE MOD(t.c0, {parts}) = %s"
        with ThreadPoolExecutor(parts - 1) as pool:
            others = [
                pool.submit(_fetch_arrays_apart, split, [*params, part]) for part in range(1, parts)
            ]
            rows = [_fetch_arrays(connection, split, [*params, 0])]
            rows += [other.result() for other in others]
    data = {}
    for i, name in enumerate(columns):
        pieces = [values for row in rows if len(values := _array_values(row[i], name))]
        data[name] = np.concatenate(pieces) if pieces else _array_values(None, name)
    return pd.DataFrame(data)


READ_PARTS = 2  # concurrent statements of a large read (the machine's cores, at most)


def _fetch_arrays(conn, statement: str, params: Sequence) -> tuple:
    conn.ensure_connection()
    with psycopg.Cursor(conn.connection) as cursor:
        for oid in _ARRAY_TYPES:
            cursor.adapters.register_loader(oid, _RawArray)
        cursor.execute(statement, list(params) or None, binary=True)
        return cursor.fetchone()


def _fetch_arrays_apart(statement: str, params: Sequence) -> tuple:
    """:func:`_fetch_arrays` on this thread's own connection, closed afterwards."""
    conn = connections[connection.alias]
    try:
        return _fetch_arrays(conn, statement, params)
    finally:
        conn.close()


def _array_values(raw: bytes | None, name: str) -> np.ndarray:
    if raw is None:  # no rows
        return np.array([], dtype="float64")
    ndim, has_null, oid = np.frombuffer(raw, ">i4", 3)
    if ndim == 0:
        return np.array([], dtype="float64")
    if has_null:
        raise ValueError(f"column {name} has NULLs: COALESCE it to read it as an array")
    count = int(np.frombuffer(raw, ">i4", 1, 12)[0])
    element = _ARRAY_ELEMENTS[int(oid)]
    values = np.frombuffer(raw, [("length", ">i4"), ("value", element)], count, 20)["value"]
    if oid == 1184:
        return values.astype("int64").astype("timedelta64[us]") + _PG_EPOCH
    return values.astype(values.dtype.newbyteorder("="))


_SHARED: ContextVar[dict | None] = ContextVar("analytics_shared_frames", default=None)


@contextmanager
def shared_frames():
    """Within this block, the full paid orders and paid lines are read from the database
    once per ``as_of`` and handed out as copies (sliced by ``since``), so the steps of one
    analytics run do not each re-read millions of rows.

    The copies are shallow: with pandas' copy-on-write (always on since pandas 3) a step
    that changes its copy copies the columns it changes, and the shared frame stays as it
    was read. A deep copy of the paid lines costs about a second at 2.5M lines, and every
    step that reads them paid it."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared(name: str, as_of: date, since: date | None, load) -> pd.DataFrame:
    cache = _SHARED.get()
    if cache is None:
        return load(as_of=as_of, since=since)
    key = (name, as_of)
    if key not in cache:
        if since is not None:  # a partial read is not worth keeping
            return load(as_of=as_of, since=since)
        cache[key] = load(as_of=as_of)
    frame = cache[key]
    if since is not None:
        recent = frame["paid_at"] >= pd.Timestamp(since)
        if not recent.all():
            return frame[recent].reset_index(drop=True)
    return frame.copy(deep=False)


def _ts(column: str) -> str:
    """A timestamp column as the loaders read it: seconds since the epoch on PostgreSQL
    (a number is cheaper to send and parse than ISO text: about a second per 2.5M rows),
    the stored text elsewhere."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return column


def to_local(values: pd.Series) -> pd.Series:
    """UTC timestamps (epoch seconds, text or datetime) → naive datetimes in the shop's
    time zone."""
    if pd.api.types.is_datetime64_dtype(values):  # naive UTC (binary arrays)
        parsed = values.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = pd.to_datetime(values, unit="s", utc=True).dt.round("us")
    else:
        parsed = pd.to_datetime(values, utc=True, format="ISO8601")
    return parsed.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)


def day_end(as_of: date) -> datetime:
    """The aware instant at which ``as_of`` ends in the shop's time zone (exclusive bound)."""
    return timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _paid_between(as_of: date, since: date | None) -> tuple[str, list]:
    """WHERE clause (on alias ``o``) for orders paid up to ``as_of``, from ``since`` if given."""
    where = f"o.status IN ({', '.join(['%s'] * len(PAID))}) AND o.paid_at < %s"
    params: list = [*PAID, day_end(as_of)]
    if since is not None:
        where += " AND o.paid_at >= %s"
        params.append(day_start(since))
    return where, params


def _returns(since: date | None, *, key: str, columns: dict[str, str]) -> tuple[str, list[str]]:
    """How a read of paid orders (alias ``o``) or lines (``ol``) gets the sums of their
    returns: a LEFT JOIN and the selected expressions. A read of every order sums the
    returns table once and joins it; a read from ``since`` probes each row's own returns,
    since summing every return of the shop would cost more than the short read itself."""
    on = {"order_id": "o.id", "order_line_id": "ol.id"}[key]
    if since is not None:
        probe = f"(SELECT SUM({{}}) FROM {_t(Return)} r WHERE r.{key} = {on})"
        return "", [f"COALESCE({probe.format(expr)}, 0)" for expr in columns.values()]
    sums = ", ".join(f"SUM({expr}) AS {name}" for name, expr in columns.items())
    join = f"""LEFT JOIN (SELECT {key}, {sums} FROM {_t(Return)} WHERE {key} IS NOT NULL
                          GROUP BY {key}) r ON r.{key} = {on}"""
    return join, [f"COALESCE(r.{name}, 0)" for name in columns]


def paid_orders(
    *, as_of: date, since: date | None = None, cogs_from: date | None = None
) -> pd.DataFrame:
    """See :func:`_paid_orders`. Within :func:`shared_frames` the whole history (with the
    cost of goods of every order) is read once and reused, whatever ``cogs_from`` says."""
    cache = _SHARED.get()
    if cogs_from is not None and (cache is None or ("paid_orders", as_of) not in cache):
        return _paid_orders(as_of=as_of, since=since, cogs_from=cogs_from)
    return _shared("paid_orders", as_of, since, _paid_orders)


def _paid_orders(
    *, as_of: date, since: date | None = None, cogs_from: date | None = None
) -> pd.DataFrame:
    """Paid orders paid up to the end of ``as_of`` (and from ``since``, if given).

    Columns: order_id, customer_id (NaN for guest orders), channel_id, paid_at (local),
    paid_total, discount_total, logistics_cost, refunds, net_amount (= paid_total − refunds),
    cogs (Σ quantity × unit cost at sale), commission (channel rate × net revenue).

    ``cogs_from``: the cost of goods is summed only for the orders paid from that day; it
    is NaN (not read) for earlier ones. Summing the lines of every order is most of the
    time of this read, and a short recomputation needs the cost of its own days only.
    """
    if since is None and cogs_from is None:
        return _whole_paid_orders(as_of)
    where, params = _paid_between(as_of, since)
    # Only the lines of the orders whose cost is wanted are summed.
    cost_from = max(filter(None, (since, cogs_from)), default=None)
    lines_of = ""
    lines_params: list = []
    if cost_from is not None:
        lines_of = f"WHERE order_id IN (SELECT id FROM {_t(Order)} WHERE paid_at >= %s)"
        lines_params = [day_start(cost_from)]
    returns_join, (refunds,) = _returns(since, key="order_id", columns={"refunds": "refund_amount"})
    cogs = "COALESCE(l.cogs, 0)"
    select_params: list = []
    if cogs_from is not None:
        cogs = f"CASE WHEN o.paid_at >= %s THEN {cogs} END"
        select_params = [day_start(cogs_from)]
    sql = f"""
        SELECT o.id, {_id("o.customer_id")}, {_id("o.channel_id")}, o.paid_at,
               {_float("o.paid_total")}, {_float("o.discount_total")},
               {_float("o.logistics_cost")}, {_float(refunds)},
               {_float(cogs, nullable=cogs_from is not None)},
               {_float("COALESCE(c.commission_rate, 0)")}
        FROM {_t(Order)} o
        {returns_join}
        LEFT JOIN (SELECT order_id, SUM(quantity * unit_cost) AS cogs FROM {_t(OrderLine)}
                   {lines_of} GROUP BY order_id) l ON l.order_id = o.id
        LEFT JOIN {_t(Channel)} c ON c.id = o.channel_id
        WHERE {where}
    """
    params = [*select_params, *lines_params, *params]
    frame = read_sql(
        sql,
        params,
        columns=[*ORDER_HEADS[:-1], "refunds", "cogs", "commission_rate"],
        datetimes=["paid_at"],
        arrays=True,
        # The cost of goods is summed over the lines before the parity of o.id could filter
        # them: each half would aggregate every line, twice the work of one statement.
        split=False,
    )
    _ids_of(frame, "customer_id", "channel_id")
    return _order_amounts(frame)


def _order_amounts(frame: pd.DataFrame) -> pd.DataFrame:
    money = ["paid_total", "discount_total", "logistics_cost", "refunds", "cogs", "commission_rate"]
    frame[money] = frame[money].astype("float64")
    frame["net_amount"] = frame["paid_total"] - frame["refunds"]
    frame["commission"] = frame["net_amount"] * frame.pop("commission_rate") / 100
    return frame


# --- The whole history, read without joins -------------------------------------------------
#
# Joining 2.5M lines to 1M orders and to the summed returns made PostgreSQL spill hash
# tables to disk (work_mem is 4 MB by default): 3 s for the paid orders with their cost of
# goods, 5 s for the paid lines. Read apart — the orders' own columns, every line, every
# return — each table is one sequential scan sent as binary arrays, and numpy does the
# joins by id: 3.6 s for both.

ORDER_HEADS = [
    "order_id",
    "customer_id",
    "channel_id",
    "paid_at",
    "paid_total",
    "discount_total",
    "logistics_cost",
    "commission_rate",
]


def _order_heads(as_of: date) -> pd.DataFrame:
    """The paid orders up to the end of ``as_of`` with their own columns only
    (:data:`ORDER_HEADS`), read once per :func:`shared_frames` block for the orders and the
    lines; callers must not change the frame."""
    cache = _SHARED.get()
    key = ("order_heads", as_of)
    if cache is not None and key in cache:
        return cache[key]
    where, params = _paid_between(as_of, None)
    frame = read_sql(
        f"""SELECT o.id, {_id("o.customer_id")}, {_id("o.channel_id")}, o.paid_at,
                   {_float("o.paid_total")}, {_float("o.discount_total")},
                   {_float("o.logistics_cost")}, {_float("COALESCE(c.commission_rate, 0)")}
            FROM {_t(Order)} o LEFT JOIN {_t(Channel)} c ON c.id = o.channel_id
            WHERE {where}""",
        params,
        columns=ORDER_HEADS,
        datetimes=["paid_at"],
        arrays=True,
    )
    _ids_of(frame, "customer_id", "channel_id")
    if cache is not None:
        cache[key] = frame
    return frame


def _return_sums(key: str, columns: dict[str, str]) -> pd.DataFrame:
    """Every return's ``columns`` (name → expression, numbers) summed per ``key``
    (order_id or order_line_id), indexed by it; returns without one are left out."""
    frame = read_sql(
        f"SELECT r.{key}, {', '.join(columns.values())} FROM {_t(Return)} r "
        f"WHERE r.{key} IS NOT NULL",
        columns=[key, *columns],
        arrays=True,
        split=False,
    )
    return frame.groupby(key)[list(columns)].sum()


def _take(sums: pd.Series, ids: pd.Series) -> np.ndarray:
    """``sums`` (indexed by id) at each of ``ids``; 0 where an id has none."""
    position = sums.index.get_indexer(ids)
    return np.r_[sums.to_numpy(), 0][position]  # -1 picks the appended 0


def _whole_paid_orders(as_of: date) -> pd.DataFrame:
    """:func:`_paid_orders` of the whole history: the order heads, the refunds summed per
    order and the cost of goods summed over the paid lines (shared within a run)."""
    heads = _order_heads(as_of)
    frame = heads[ORDER_HEADS[:-1]].copy()
    refunds = _return_sums("order_id", {"refund": _float("r.refund_amount")})["refund"]
    frame["refunds"] = _take(refunds.astype("float64"), frame["order_id"])
    # Within a run the paid lines are shared (and read with these heads); outside one only
    # their cost is needed here.
    shared = _SHARED.get() is not None
    lines = paid_lines(as_of=as_of) if shared else _whole_paid_lines(as_of, heads)
    cogs = (lines["quantity"] * lines["unit_cost"]).groupby(lines["order_id"].to_numpy()).sum()
    frame["cogs"] = _take(cogs.astype("float64"), frame["order_id"])
    frame["commission_rate"] = heads["commission_rate"]
    return _order_amounts(frame)


def _whole_paid_lines(as_of: date, heads: pd.DataFrame | None = None) -> pd.DataFrame:
    """The lines of :func:`_paid_lines` for the whole history: every line, kept where its
    order is paid, with the order's customer, channel and time and its own returns.
    ``heads``: the :func:`_order_heads` of ``as_of``, when the caller has them."""
    lines = read_sql(
        f"""SELECT ol.id, ol.order_id, ol.sku_id, ol.quantity, {_float("ol.unit_price")},
                   {_float("ol.unit_cost")}, {_float("ol.discount")}
            FROM {_t(OrderLine)} ol""",
        columns=[
            "line_id",
            "order_id",
            "sku_id",
            "quantity",
            "unit_price",
            "unit_cost",
            "discount",
        ],
        arrays=True,
    )
    if heads is None:
        heads = _order_heads(as_of)
    order = pd.Index(heads["order_id"]).get_indexer(lines["order_id"])
    paid = order >= 0
    lines, order = lines[paid].reset_index(drop=True), order[paid]
    returned = _return_sums(
        "order_line_id", {"quantity": "r.quantity", "refund": _float("r.refund_amount")}
    )
    frame = pd.DataFrame({"order_id": lines["order_id"].astype("int64")})
    for column in ("customer_id", "channel_id", "paid_at"):
        frame[column] = heads[column].to_numpy()[order]
    for column in ("sku_id", "quantity", "unit_price", "unit_cost", "discount"):
        frame[column] = lines[column].to_numpy()
    frame["returned_quantity"] = _take(returned["quantity"].astype("int64"), lines["line_id"])
    frame["refund_amount"] = _take(returned["refund"].astype("float64"), lines["line_id"])
    return frame


def paid_lines(*, as_of: date, since: date | None = None) -> pd.DataFrame:
    return _shared("paid_lines", as_of, since, _paid_lines)


def _paid_lines(*, as_of: date, since: date | None = None) -> pd.DataFrame:
    """Lines of paid orders paid up to the end of ``as_of`` (from ``since``, if given).

    Columns: order_id, customer_id, channel_id, paid_at (local), sku_id, product_id,
    category_id, launched_at, quantity, unit_price, unit_cost, discount, net_amount
    (quantity × unit_price − discount), returned_quantity, refund_amount.
    """
    frame = _whole_paid_lines(as_of) if since is None else _recent_paid_lines(as_of, since)
    # The catalogue columns are mapped from two small tables afterwards: joining them to
    # the lines would widen millions of rows in the database and on the wire.
    catalogue = read_sql(
        f"""SELECT s.id, s.product_id, p.category_id, p.launched_at
            FROM {_t(SKU)} s JOIN {_t(Product)} p ON p.id = s.product_id""",
        columns=["sku_id", "product_id", "category_id", "launched_at"],
    ).set_index("sku_id")
    catalogue["launched_at"] = pd.to_datetime(catalogue["launched_at"])
    position = catalogue.index.get_indexer(frame["sku_id"])
    for offset, column in enumerate(["product_id", "category_id", "launched_at"]):
        frame.insert(5 + offset, column, catalogue[column].to_numpy()[position])
    money = ["unit_price", "unit_cost", "discount", "refund_amount"]
    frame[money] = frame[money].astype("float64")
    frame["net_amount"] = frame["quantity"] * frame["unit_price"] - frame["discount"]
    return frame


def _recent_paid_lines(as_of: date, since: date) -> pd.DataFrame:
    """The lines of the orders paid from ``since``: one statement, the returns probed per
    line (a short read; the whole history is read apart, see :func:`_whole_paid_lines`)."""
    where, params = _paid_between(as_of, since)
    returns_join, returned = _returns(
        since, key="order_line_id", columns={"quantity": "quantity", "refund": "refund_amount"}
    )
    sql = f"""
        SELECT ol.order_id, {_id("o.customer_id")}, {_id("o.channel_id")}, o.paid_at,
               ol.sku_id, ol.quantity, {_float("ol.unit_price")}, {_float("ol.unit_cost")},
               {_float("ol.discount")}, {returned[0]}, {_float(returned[1])}
        FROM {_t(OrderLine)} ol
        JOIN {_t(Order)} o ON o.id = ol.order_id
        {returns_join}
        WHERE {where}
    """
    frame = read_sql(
        sql,
        params,
        columns=[
            "order_id",
            "customer_id",
            "channel_id",
            "paid_at",
            "sku_id",
            "quantity",
            "unit_price",
            "unit_cost",
            "discount",
            "returned_quantity",
            "refund_amount",
        ],
        datetimes=["paid_at"],
        arrays=True,
    )
    _ids_of(frame, "customer_id", "channel_id")
    return frame


def customers(*, as_of: date) -> pd.DataFrame:
    """Customers registered up to the end of ``as_of``: customer_id, registered_at (local)."""
    sql = f"SELECT id, registered_at FROM {_t(Customer)} WHERE registered_at < %s"
    return read_sql(
        sql,
        [day_end(as_of)],
        columns=["customer_id", "registered_at"],
        datetimes=["registered_at"],
        arrays=True,
        split=False,
    )


def events(*, start: date, end: date, types: Sequence[str] | None = None) -> pd.DataFrame:
    """Events from the start of ``start`` to the end of ``end``.

    Columns: session_id, customer_id, type, occurred_at (local), channel_id, product_id.
    """
    params: list = [day_start(start), day_end(end)]
    type_sql = ""
    if types:
        type_sql = f"AND type IN ({', '.join(['%s'] * len(types))})"
        params.extend(types)
    sql = f"""
        SELECT session_id, customer_id, type, {_ts("occurred_at")}, channel_id, product_id
        FROM {_t(Event)} WHERE occurred_at >= %s AND occurred_at < %s {type_sql}
    """
    return read_sql(
        sql,
        params,
        columns=["session_id", "customer_id", "type", "occurred_at", "channel_id", "product_id"],
        datetimes=["occurred_at"],
    )


def reviews(*, start: date, end: date) -> pd.DataFrame:
    """Reviews created from the start of ``start`` to the end of ``end``: product_id,
    rating, created_at (local)."""
    sql = f"""
        SELECT s.product_id, r.rating, {_ts("r.created_at")}
        FROM {_t(Review)} r
        JOIN {_t(OrderLine)} ol ON ol.id = r.order_line_id
        JOIN {_t(SKU)} s ON s.id = ol.sku_id
        WHERE r.created_at >= %s AND r.created_at < %s
    """
    return read_sql(
        sql,
        [day_start(start), day_end(end)],
        columns=["product_id", "rating", "created_at"],
        datetimes=["created_at"],
    )


def customer_tags() -> pd.DataFrame:
    """Every customer–tag link, computed and manual: customer_id, tag_id."""
    sql = f"SELECT customer_id, tag_id FROM {_t(CustomerTag)}"
    return read_sql(sql, columns=["customer_id", "tag_id"])


def categories() -> pd.DataFrame:
    """category_id, name, parent_id."""
    sql = f"SELECT id, name, parent_id FROM {_t(Category)}"
    return read_sql(sql, columns=["category_id", "name", "parent_id"])


def products() -> pd.DataFrame:
    """The catalogue: product_id, category_id, active, is_consumable, in_stock (any SKU
    with stock on hand)."""
    sql = f"""
        SELECT p.id, p.category_id, p.active, p.is_consumable,
               COALESCE(MAX(CASE WHEN s.stock_on_hand > 0 AND s.active THEN 1 ELSE 0 END), 0)
        FROM {_t(Product)} p LEFT JOIN {_t(SKU)} s ON s.product_id = p.id
        GROUP BY p.id, p.category_id, p.active, p.is_consumable
    """
    frame = read_sql(
        sql, columns=["product_id", "category_id", "active", "is_consumable", "in_stock"]
    )
    for column in ("active", "is_consumable", "in_stock"):
        frame[column] = frame[column].map(_truthy).astype(bool)
    return frame


def _truthy(value) -> bool:
    # Booleans arrive as t/f text through COPY, as 0/1 from SQLite.
    return value in (True, 1, "t", "true", "True", "1")


def skus() -> pd.DataFrame:
    """Active SKUs with stock: sku_id, product_id, stock_on_hand, unit_cost, lead_time_days,
    reorder_point."""
    sql = f"""
        SELECT id, product_id, stock_on_hand, unit_cost, lead_time_days, reorder_point
        FROM {_t(SKU)} WHERE active
    """
    frame = read_sql(
        sql,
        columns=[
            "sku_id",
            "product_id",
            "stock_on_hand",
            "unit_cost",
            "lead_time_days",
            "reorder_point",
        ],
    )
    frame["unit_cost"] = frame["unit_cost"].astype("float64")
    return frame


def customer_orders(*, as_of: date) -> pd.DataFrame:
    """The least the per-customer summary needs: customers' paid orders paid up to the end
    of ``as_of`` (guest orders left out) with customer_id, paid_at (local) and net_amount
    (paid total − refunds).

    The refunds are read as they are stored, one row per return, in a second statement
    and summed per order here: joining them in the database made the read three times
    slower than the orders alone, and summing them there (which needs the join to keep
    only these orders' returns) took as long as reading the orders. Returns of other
    orders are read and left out.
    """
    where, params = _paid_between(as_of, None)
    frame = read_sql(
        f"""SELECT o.id, o.customer_id, o.paid_at, {_float("o.paid_total")} FROM {_t(Order)} o
            WHERE {where} AND o.customer_id IS NOT NULL""",
        params,
        columns=["order_id", "customer_id", "paid_at", "paid_total"],
        datetimes=["paid_at"],
        arrays=True,
    )
    refunds = _return_sums("order_id", {"refund": _float("r.refund_amount")})["refund"]
    net = frame["paid_total"].to_numpy(dtype="float64") - _take(
        refunds.astype("float64"), frame["order_id"]
    )
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("int64"),
            "paid_at": frame["paid_at"],
            "net_amount": net,
        }
    )


def _float(expression: str, *, nullable: bool = False) -> str:
    """``expression`` (a NUMERIC) as a float, the type binary arrays carry; a ``nullable``
    one is NaN where it is NULL (on PostgreSQL; elsewhere NULL reads as NaN anyway)."""
    cast = f"CAST({expression} AS DOUBLE PRECISION)"
    if nullable and connection.vendor == "postgresql":
        return f"COALESCE({cast}, 'NaN'::float8)"
    return cast


def _id(expression: str) -> str:
    """A nullable id as -1 where it is NULL (binary arrays carry no NULLs); see _ids_of."""
    return f"COALESCE({expression}, -1)"


def _ids_of(frame: pd.DataFrame, *columns: str) -> None:
    """Turn the -1 of :func:`_id` back into NaN: float ids where some are missing, int64
    ids otherwise, as a CSV read gives them."""
    for column in columns:
        values = frame[column]
        if (values < 0).any():
            frame[column] = values.where(values >= 0).astype("float64")
        else:
            frame[column] = values.astype("int64")


# --- Incremental KPIs: what the days before a recomputation left ---------------------------


def first_paid_day(*, as_of: date) -> date | None:
    """The local day of the first paid order up to the end of ``as_of`` (None: no paid order)."""
    where, params = _paid_between(as_of, None)
    frame = read_sql(
        f"SELECT {_ts('MIN(o.paid_at)')} FROM {_t(Order)} o WHERE {where}",
        params,
        columns=["paid_at"],
        datetimes=["paid_at"],
    )
    first = frame["paid_at"].iloc[0] if len(frame) else pd.NaT
    return None if pd.isna(first) else first.date()


def _ids_table(ids) -> tuple[str, list]:
    """A table expression ``c`` with one row per id (column ``id``), as a single parameter
    however many ids: cheaper than looking each one up in the customers table."""
    ids = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return "unnest(%s::bigint[]) AS c(id)", [ids]
    return "(SELECT value AS id FROM json_each(%s)) c", [json.dumps(ids)]


def prior_orders(*, since: date, customers: Sequence[int]) -> pd.DataFrame:
    """For each of ``customers`` who had paid orders before ``since``: the first paid order
    (time, channel) and the last two before ``since``.

    Columns (``metrics.recency.PRIOR_COLUMNS``): customer_id, first_paid_at,
    first_channel_id (NaN: none), last_paid_at, previous_paid_at (NaT when only one).
    Orders tied on paid_at are ordered by id, as everywhere.
    """
    paid = f"status IN ({', '.join(['%s'] * len(PAID))})"
    customer_ids, id_params = _ids_table(customers)

    def earlier(order: str, offset: int = 0) -> str:
        # One probe of the (customer, paid_at) index per customer and order.
        return f"""(SELECT o.id FROM {_t(Order)} o
                    WHERE o.customer_id = c.id AND o.{paid} AND o.paid_at < %s
                    ORDER BY {order} LIMIT 1 OFFSET {offset})"""

    first, last = "o.paid_at, o.id", "o.paid_at DESC, o.id DESC"
    sql = f"""
        SELECT p.customer_id, {_ts("f.paid_at")}, f.channel_id, {_ts("l.paid_at")},
               {_ts("b.paid_at")}
        FROM (
            SELECT c.id AS customer_id, {earlier(first)} AS first_id, {earlier(last)} AS last_id,
                   {earlier(last, 1)} AS before_last_id
            FROM {customer_ids}
        ) p
        JOIN {_t(Order)} f ON f.id = p.first_id
        JOIN {_t(Order)} l ON l.id = p.last_id
        LEFT JOIN {_t(Order)} b ON b.id = p.before_last_id
    """
    probe = [*PAID, day_start(since)]
    frame = read_sql(
        sql,
        [*probe * 3, *id_params],
        columns=[
            "customer_id", "first_paid_at", "first_channel_id", "last_paid_at", "previous_paid_at",
        ],
        datetimes=["first_paid_at", "last_paid_at", "previous_paid_at"],
    )  # fmt: skip
    frame["first_channel_id"] = frame["first_channel_id"].astype("float64")
    return frame


def prior_events(*, since: date, customers: Sequence[int], days: int = 30) -> pd.DataFrame:
    """For each of ``customers``: their latest event in the ``days`` days before ``since``
    (no row when none).

    Columns: customer_id, last_active_at (local).
    """
    customer_ids, id_params = _ids_table(customers)
    sql = f"""
        SELECT customer_id, {_ts("last_active_at")} FROM (
            SELECT c.id AS customer_id,
                   (SELECT MAX(e.occurred_at) FROM {_t(Event)} e
                    WHERE e.customer_id = c.id
                    AND e.occurred_at >= %s AND e.occurred_at < %s) AS last_active_at
            FROM {customer_ids}
        ) prior
    """
    params = [day_start(since - timedelta(days=days)), day_start(since), *id_params]
    frame = read_sql(
        sql, params, columns=["customer_id", "last_active_at"], datetimes=["last_active_at"]
    )
    return frame[frame["last_active_at"].notna()].reset_index(drop=True)


RECENCY_COLUMNS = [
    "date", "latest_order", "previous_order", "returned", "latest_event", "first_orders",
    "second_orders",
]  # fmt: skip


def customer_recency(
    *, start: date | None, end: date, columns: Sequence[str] = RECENCY_COLUMNS
) -> pd.DataFrame:
    """The stored ``CustomerRecency`` days from ``start`` (None: the first) to ``end``, in
    ``metrics.recency.Recency.to_records``' columns (``date`` and ``columns``)."""
    from analytics.models import CustomerRecency

    rows = CustomerRecency.objects.filter(date__lte=end).order_by("date")
    if start is not None:
        rows = rows.filter(date__gte=start)
    names = ["date", *(c for c in columns if c != "date")]
    return pd.DataFrame.from_records(list(rows.values_list(*names)), columns=names)


def cohort_days(*, start: date, end: date) -> pd.DataFrame:
    """The stored ``CohortDay`` rows of ``start`` … ``end``: date, month, channel_id (NaN:
    none), customers, orders, revenue (float), intervals ({days: count})."""
    from analytics.models import CohortDay

    names = ["date", "month", "channel_id", "customers", "orders", "revenue", "intervals"]
    rows = CohortDay.objects.filter(date__gte=start, date__lte=end).order_by().values_list(*names)
    frame = pd.DataFrame.from_records(list(rows), columns=names)
    return frame.astype({"channel_id": "float64", "revenue": "float64"})


def sku_sales(*, end: date, starts: Sequence[date]) -> pd.DataFrame:
    """Units sold and their cost at sale per SKU (the stored ``SkuSales``) from ``starts[0]``
    to ``end``, summed over the segments the other ``starts`` cut those days into, each
    dated at its last sale — in the shape of paid lines: sku_id, paid_at, quantity, cogs.

    A sum over days from any of ``starts`` to ``end``, and the latest sale, are the same as
    over the daily rows, at a fraction of the rows (``inventory.inventory_health`` asks no
    more of them)."""
    from analytics.models import SkuSales

    cuts = sorted(set(starts))
    later = cuts[:0:-1]  # the segment of a day: how many cuts after the first it is on or after
    segment = " ".join(f"WHEN date >= %s THEN {len(later) - i}" for i in range(len(later)))
    sql = f"""
        SELECT sku_id, MAX(date), SUM(units), SUM(cost) FROM {_t(SkuSales)}
        WHERE date >= %s AND date <= %s
        GROUP BY sku_id, {f"CASE {segment} ELSE 0 END" if later else "0"}
    """
    params = [cuts[0], end, *later]
    frame = read_sql(sql, params, columns=["sku_id", "paid_at", "quantity", "cogs"])
    frame["paid_at"] = pd.to_datetime(frame["paid_at"])
    frame["cogs"] = frame["cogs"].astype("float64")
    return frame


def cohort_cells(*, where) -> pd.DataFrame:
    """The stored ``CohortCell`` rows matching ``where`` (a Q): month, channel_id (NaN:
    none), months_since, customers, orders, revenue (float), intervals ({days: count})."""
    from analytics.models import CohortCell

    names = ["month", "channel_id", "months_since", "customers", "orders", "revenue", "intervals"]
    rows = CohortCell.objects.filter(where).order_by().values_list(*names)
    frame = pd.DataFrame.from_records(list(rows), columns=names)
    return frame.astype({"channel_id": "float64", "revenue": "float64"})
