"""Returns: ``order_id, sku, quantity, reason, refund_amount, created_at``.

The order must exist. With ``sku`` the return is of that order's line of the SKU (the
first, if the order has several) and ``quantity`` (default: the line's quantity) may not
exceed what the line sold; without ``sku`` it is an order-level refund (quantity 0).
``reason``: quality, size, not_as_described, damaged, changed_mind, cancelled, other (or
their labels, or 质量问题, 尺码不合适, 与描述不符, 破损, 不想要了/七天无理由, 取消, 其他);
blank is other. A return has no id of its own in an export, so it is keyed by (order,
line, created_at): re-importing the same file changes nothing.
"""

from __future__ import annotations

from catalog.importing.base import Cells, register
from catalog.importing.errors import FieldError
from catalog.importing.formats import GENERIC, generic_layout
from catalog.importing.parsing import (
    choice_spellings,
    parse_choice,
    parse_datetime,
    parse_int,
    parse_money,
    text,
)
from catalog.importing.sales_refs import OrderLines
from catalog.importing.writers import KeyedImporter
from catalog.models import Return

FIELDS = ("order_id", "sku", "quantity", "reason", "refund_amount", "created_at")
REASONS = choice_spellings(
    Return.Reason,
    {
        "质量问题": "quality",
        "尺码不合适": "size",
        "尺码": "size",
        "与描述不符": "not_as_described",
        "破损": "damaged",
        "运输损坏": "damaged",
        "不想要了": "changed_mind",
        "七天无理由": "changed_mind",
        "取消": "cancelled",
        "其他": "other",
    },
)


@register
class ReturnsImporter(KeyedImporter):
    kind = "returns"
    model = Return
    permission = "catalog.add_return"
    key_field = "created_at"
    layouts = {GENERIC: generic_layout(FIELDS, required=("order_id", "created_at"))}

    def prepare(self, rows) -> None:
        self.refs = OrderLines(self.raw(rows, "order_id"))

    def parse(self, cells: Cells):
        order_ext = self.cell(
            cells, "order_id", lambda v: text(v, limit=64, what="order_id"), required=True
        )
        code = self.cell(cells, "sku", lambda v: text(v, limit=64, what="sku"))
        quantity = self.cell(cells, "quantity", parse_int)
        reason = self.cell(cells, "reason", _reason, default=Return.Reason.OTHER)
        refund = self.cell(cells, "refund_amount", _refund, default=None)
        created = self.cell(cells, "created_at", parse_datetime, required=True)
        if cells.bad:
            return None
        order = self.refs.orders.get(order_ext)
        if order is None:
            self.fail(
                cells.line,
                "order_id",
                f"unknown order {order_ext!r} (import orders first)",
                "unknown_order",
            )
            return None
        line_id = None
        if code:
            lines = self.refs.lines.get((order[0], code))
            if not lines:
                self.fail(
                    cells.line,
                    "sku",
                    f"order {order_ext} has no line of SKU {code!r}",
                    "unknown_sku",
                )
                return None
            line_id, sold = lines[0]
            quantity = sold if quantity is None else quantity
            if quantity < 1 or quantity > sold:
                self.fail(
                    cells.line,
                    "quantity",
                    f"returns {quantity} of a line that sold {sold}",
                    "invalid_value",
                )
                return None
        elif quantity:
            self.fail(
                cells.line,
                "quantity",
                "a quantity needs the sku of the line returned",
                "invalid_value",
            )
            return None
        values = {
            "order_id": order[0],
            "order_line_id": line_id,
            "quantity": quantity or 0,
            "reason": reason,
            "created_at": created,
        }
        if refund is not None or not self.has("refund_amount"):
            values["refund_amount"] = refund if refund is not None else 0
        return (order[0], line_id, created), values

    def fetch_existing(self, keys):
        found = Return.objects.filter(order_id__in={k[0] for k in keys})
        return {(r.order_id, r.order_line_id, r.created_at): r for r in found}


def _reason(value) -> str:
    return parse_choice(str(value), REASONS, "return reason")


def _refund(value):
    amount = parse_money(value)
    if amount < 0:
        raise FieldError(f"{value!r} is negative", "negative")
    return amount
