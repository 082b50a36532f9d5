"""Returns that arrive inside an orders export.

* Shopify ``Refunded Amount``: an order-level return (no line, quantity 0) of that amount,
  dated ``Cancelled at`` if the order was cancelled, else when it was paid (the export has
  no refund date). It is keyed by (order, no line, date): a re-import updates the amount.
* Online Retail cancellations (invoices ``C...``): a return of the customer's latest line
  of the same StockCode created at or before the cancellation, reason ``cancelled``,
  refund = quantity × unit price, keyed by (line, date). A cancellation that matches no
  line, or cancels more units than the line has, is a row error.
"""

from __future__ import annotations

from catalog.importing.stage import execute, fetch, table, temp_as
from catalog.models import Order, OrderLine, Return
from customers.models import Customer


def refunds(orders_table: str) -> int:
    """Upsert the refund returns of the staged orders; returns rows written."""
    o, r = table(Order), table(Return)
    staged = temp_as(
        "_import_refunds",
        f"SELECT o.id AS order_id, io.refund, COALESCE(io.refunded_at, io.paid_at, "
        f"io.created_at) AS at FROM {orders_table} AS io JOIN {o} AS o "
        f"ON o.external_id = io.ext WHERE io.refund > 0",
    )
    same = f"{r}.order_id = x.order_id AND {r}.order_line_id IS NULL AND {r}.created_at = x.at"
    updated = execute(
        f"UPDATE {r} SET refund_amount = x.refund FROM {staged} AS x "
        f"WHERE {same} AND {r}.refund_amount <> x.refund"
    )
    created = execute(
        f"INSERT INTO {r} (order_id, order_line_id, quantity, reason, refund_amount, created_at) "
        f"SELECT x.order_id, NULL, 0, 'other', x.refund, x.at FROM {staged} AS x "
        f"WHERE NOT EXISTS (SELECT 1 FROM {r} WHERE {same})"
    )
    return updated + created


def cancellations(importer) -> int:
    """Match the staged cancellations to lines and upsert their returns."""
    ol, o, c, r = table(OrderLine), table(Order), table(Customer), table(Return)
    matched = temp_as(
        "_import_cancel_match",
        f"SELECT x.line_no, x.invoice, x.customer_ext, x.quantity, x.unit_price, x.created_at, "
        f"(SELECT l.id FROM {ol} AS l JOIN {o} AS o ON o.id = l.order_id JOIN {c} AS c "
        f"ON c.id = o.customer_id WHERE c.external_id = x.customer_ext AND l.sku_id = x.sku_id "
        f"AND o.created_at <= x.created_at ORDER BY o.created_at DESC, l.id DESC LIMIT 1) "
        f"AS line_id FROM {importer.cancels.sql_name} AS x",
    )
    problems = fetch(
        f"SELECT m.line_no, m.invoice, m.customer_ext, m.quantity, l.quantity FROM {matched} AS m "
        f"LEFT JOIN {ol} AS l ON l.id = m.line_id "
        f"WHERE m.line_id IS NULL OR m.quantity > l.quantity ORDER BY m.line_no"
    )
    for line, invoice, customer, wanted, sold in problems:
        if sold is None:
            reason = (
                f"cancellation {invoice}: customer {customer} has no earlier line of this "
                "StockCode to cancel"
            )
            importer.fail(line, "sku", reason, "unmatched")
        else:
            reason = f"cancellation {invoice} cancels {wanted} units but the line sold {sold}"
            importer.fail(line, "quantity", reason, "invalid_value")
    execute(
        f"DELETE FROM {matched} WHERE line_id IS NULL OR quantity > "
        f"(SELECT l.quantity FROM {ol} AS l WHERE l.id = {matched}.line_id)"
    )
    same = f"{r}.order_line_id = x.line_id AND {r}.created_at = x.created_at"
    source = (
        f"(SELECT m.line_id, l.order_id, m.quantity, ROUND(m.quantity * m.unit_price, 2) AS refund, "
        f"m.created_at FROM {matched} AS m JOIN {ol} AS l ON l.id = m.line_id) AS x"
    )
    updated = execute(
        f"UPDATE {r} SET quantity = x.quantity, refund_amount = x.refund FROM {source} "
        f"WHERE {same} AND ({r}.quantity <> x.quantity OR {r}.refund_amount <> x.refund)"
    )
    created = execute(
        f"INSERT INTO {r} (order_id, order_line_id, quantity, reason, refund_amount, created_at) "
        f"SELECT x.order_id, x.line_id, x.quantity, 'cancelled', x.refund, x.created_at "
        f"FROM {source} WHERE NOT EXISTS (SELECT 1 FROM {r} WHERE {same})"
    )
    return updated + created
