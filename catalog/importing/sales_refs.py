"""Lookups shared by returns and reviews: orders by external id, and their lines by SKU."""

from __future__ import annotations

from collections import defaultdict

from catalog.models import Order, OrderLine


class OrderLines:
    """For one chunk: order external id → (order id, customer id), and (order id, SKU
    code) → the order's lines of that SKU as (line id, quantity), in id order."""

    def __init__(self, external_ids: set[str]):
        self.orders = {
            ext: (pk, customer)
            for ext, pk, customer in Order.objects.filter(external_id__in=external_ids).values_list(
                "external_id", "pk", "customer_id"
            )
        }
        self.lines: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
        for pk, order_id, code, quantity in (
            OrderLine.objects.filter(order_id__in=[pk for pk, _ in self.orders.values()])
            .order_by("pk")
            .values_list("pk", "order_id", "sku__code", "quantity")
        ):
            self.lines[(order_id, code)].append((pk, quantity))
