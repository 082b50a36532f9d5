"""Re-importing orders that exist: their lines are matched, not replaced.

An order line has no id of its own in an export, so a line is identified by its order,
its SKU and which occurrence of that SKU it is within the order (by file order for the
file, by id for the database). Matched lines whose quantity, price or discount changed
are updated (their ``unit_cost``, the cost when sold, is kept); lines only in the file
are inserted at the SKU's current cost; lines only in the database are deleted, unless
returns or reviews point at them, in which case they are kept and the order's first
line gets an error saying so. Every order so touched counts as updated.
"""

from __future__ import annotations

from catalog.importing.stage import drop_temp, execute, fetch, table, temp_as
from catalog.models import SKU, OrderLine, Return, Review

MATCH = "m.order_id = n.order_id AND m.sku_id = n.sku_id AND m.rk = n.rk"
DIFFERS = "m.quantity <> n.quantity OR m.unit_price <> n.unit_price OR m.discount <> n.discount"


def drop() -> None:
    drop_temp("_import_new_lines")
    drop_temp("_import_old_lines")


def rewrite(merge) -> int:
    """Bring the lines of the file's existing orders in line with the file; returns
    lines inserted, updated or deleted."""
    s, io, ol, t = merge.stage, merge.orders.sql_name, table(OrderLine), merge.touched.sql_name
    new = temp_as(
        "_import_new_lines",
        f"SELECT io.order_id, s.sku_id, s.quantity, s.unit_price, s.unit_cost, "
        f"COALESCE(s.discount, 0) AS discount, s.line_no, ROW_NUMBER() OVER "
        f"(PARTITION BY s.order_key, s.sku_id ORDER BY s.line_no) AS rk FROM {s} AS s "
        f"JOIN {io} AS io ON io.ext = s.order_key "
        f"WHERE io.is_new IS NULL AND s.sku_id IS NOT NULL",
    )
    old = temp_as(
        "_import_old_lines",
        f"SELECT l.id, l.order_id, l.sku_id, l.quantity, l.unit_price, l.discount, "
        f"ROW_NUMBER() OVER (PARTITION BY l.order_id, l.sku_id ORDER BY l.id) AS rk "
        f"FROM {ol} AS l WHERE l.order_id IN (SELECT order_id FROM {io} WHERE is_new IS NULL)",
    )
    execute(
        f"INSERT INTO {t} (order_id) SELECT n.order_id FROM {new} AS n "
        f"JOIN {old} AS m ON {MATCH} WHERE {DIFFERS}"
    )
    updated = execute(
        f"UPDATE {ol} SET quantity = c.quantity, unit_price = c.unit_price, "
        f"discount = c.discount FROM (SELECT m.id, n.quantity, n.unit_price, n.discount "
        f"FROM {new} AS n JOIN {old} AS m ON {MATCH} WHERE {DIFFERS}) AS c "
        f"WHERE {ol}.id = c.id"
    )
    only_new = f"NOT EXISTS (SELECT 1 FROM {old} AS m WHERE {MATCH})"
    execute(f"INSERT INTO {t} (order_id) SELECT n.order_id FROM {new} AS n WHERE {only_new}")
    inserted = execute(
        f"INSERT INTO {ol} (order_id, sku_id, quantity, unit_price, unit_cost, discount) "
        f"SELECT n.order_id, n.sku_id, n.quantity, n.unit_price, n.unit_cost, n.discount "
        f"FROM {new} AS n WHERE {only_new} ORDER BY n.line_no"
    )
    return updated + inserted + _delete_vanished(merge, new, old)


def _delete_vanished(merge, new: str, old: str) -> int:
    ol, io = table(OrderLine), merge.orders.sql_name
    vanished = (
        f"SELECT m.id FROM {old} AS m WHERE NOT EXISTS (SELECT 1 FROM {new} AS n WHERE {MATCH})"
    )
    referenced = (
        f"(EXISTS (SELECT 1 FROM {table(Return)} AS r WHERE r.order_line_id = l.id) OR "
        f"EXISTS (SELECT 1 FROM {table(Review)} AS v WHERE v.order_line_id = l.id))"
    )
    for line, key, sku in fetch(
        f"SELECT io.first_line, io.ext, sku.code FROM {ol} AS l JOIN {io} AS io "
        f"ON io.order_id = l.order_id JOIN {table(SKU)} AS sku ON sku.id = l.sku_id "
        f"WHERE l.id IN ({vanished}) AND {referenced} ORDER BY io.first_line"
    ):
        merge.imp.fail(
            line,
            "sku",
            f"order {key}: its line of SKU {sku} is not in the file but has returns or "
            "reviews, so it is kept",
            "protected_line",
        )
    doomed = fetch(
        f"SELECT l.id, l.order_id FROM {ol} AS l WHERE l.id IN ({vanished}) AND NOT {referenced}"
    )
    for start in range(0, len(doomed), 500):
        batch = doomed[start : start + 500]
        marks = ", ".join(["%s"] * len(batch))
        execute(f"DELETE FROM {ol} WHERE id IN ({marks})", [pk for pk, _ in batch])
        execute(
            f"INSERT INTO {merge.touched.sql_name} (order_id) VALUES "
            + ", ".join(["(%s)"] * len(batch)),
            [order_id for _, order_id in batch],
        )
    return len(doomed)
