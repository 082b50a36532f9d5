"""Reviews: ``order_id, sku, customer_id, rating, has_media, text, created_at, reply,
replied_at``. One review per order line, so it is keyed by the line: the order must
exist and have a line of the SKU (the first, if several). ``customer_id`` defaults to the
order's customer and may not name someone else; a guest order's line needs one.
``rating`` is 1-5.
"""

from __future__ import annotations

from catalog.importing.base import Cells, register
from catalog.importing.errors import FieldError
from catalog.importing.formats import GENERIC, generic_layout
from catalog.importing.parsing import parse_bool, parse_datetime, parse_int, text
from catalog.importing.sales_refs import OrderLines
from catalog.importing.writers import KeyedImporter
from catalog.models import Review
from customers.models import Customer

FIELDS = (
    "order_id",
    "sku",
    "customer_id",
    "rating",
    "has_media",
    "text",
    "created_at",
    "reply",
    "replied_at",
)


@register
class ReviewsImporter(KeyedImporter):
    kind = "reviews"
    model = Review
    permission = "catalog.add_review"
    key_field = "sku"
    layouts = {
        GENERIC: generic_layout(FIELDS, required=("order_id", "sku", "rating", "created_at"))
    }

    def prepare(self, rows) -> None:
        self.refs = OrderLines(self.raw(rows, "order_id"))
        self.customers = dict(
            Customer.objects.filter(external_id__in=self.raw(rows, "customer_id")).values_list(
                "external_id", "pk"
            )
        )

    def parse(self, cells: Cells):
        order_ext = self.cell(
            cells, "order_id", lambda v: text(v, limit=64, what="order_id"), required=True
        )
        code = self.cell(cells, "sku", lambda v: text(v, limit=64, what="sku"), required=True)
        customer_ext = self.cell(
            cells, "customer_id", lambda v: text(v, limit=64, what="customer_id")
        )
        rating = self.cell(cells, "rating", _rating, required=True)
        values = {
            "rating": rating,
            "has_media": self.cell(cells, "has_media", parse_bool, default=False),
            "text": self.cell(cells, "text", _long_text, default=""),
            "created_at": self.cell(cells, "created_at", parse_datetime, required=True),
            "reply": self.cell(cells, "reply", _long_text, default=""),
            "replied_at": self.cell(cells, "replied_at", parse_datetime),
        }
        values = {k: v for k, v in values.items() if self.has(k) or k in ("rating", "created_at")}
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
        lines = self.refs.lines.get((order[0], code))
        if not lines:
            self.fail(
                cells.line, "sku", f"order {order_ext} has no line of SKU {code!r}", "unknown_sku"
            )
            return None
        customer = order[1]
        if customer_ext:
            named = self.customers.get(customer_ext)
            if named is None:
                self.fail(
                    cells.line,
                    "customer_id",
                    f"unknown customer {customer_ext!r}",
                    "unknown_customer",
                )
                return None
            if customer is not None and named != customer:
                self.fail(
                    cells.line,
                    "customer_id",
                    f"customer {customer_ext} did not place order {order_ext}",
                    "invalid_value",
                )
                return None
            customer = named
        if customer is None:
            self.fail(
                cells.line,
                "customer_id",
                f"order {order_ext} is a guest order: name the reviewer",
                "required",
            )
            return None
        line_id = lines[0][0]
        values.update(order_line_id=line_id, customer_id=customer)
        return line_id, values

    def fetch_existing(self, keys):
        return {
            review.order_line_id: review for review in Review.objects.filter(order_line_id__in=keys)
        }


def _rating(value) -> int:
    rating = parse_int(value)
    if not 1 <= rating <= 5:
        raise FieldError(f"rating {rating} is not between 1 and 5", "invalid_value")
    return rating


def _long_text(value) -> str:
    return text(value, limit=100_000, what="text")
