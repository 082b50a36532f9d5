"""Exports: the generic columns each import reads, so that a round trip gives the same data.

An :class:`Exporter` names a kind's columns and turns a queryset into rows of typed
values, a bounded number of queries per thousand rows (``iterator(chunk_size=...)`` and
one query per chunk for related rows). :mod:`catalog.importing.export_files` writes the
rows to CSV or XLSX with formula escaping and PII masking. Catalog's kinds are defined
here; events register theirs from :mod:`analytics.importing`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from catalog.models import SKU, Category, ChannelSpend, Order, OrderLine, Product, Return, Review
from customers.models import Customer

CHUNK = 2000


@dataclass(frozen=True)
class Exporter:
    kind: str
    model: type[models.Model]
    columns: tuple[str, ...]
    rows: Callable[[models.QuerySet], Iterator[list]]
    # column → PII field name (masked for users without customers.view_pii)
    pii: dict[str, str] = field(default_factory=dict)
    # other models whose selection this exporter can export: model → (selection → queryset)
    selections: dict[type[models.Model], Callable[[models.QuerySet], models.QuerySet]] = field(
        default_factory=dict
    )

    def queryset(self) -> models.QuerySet:
        return self.model._default_manager.order_by("pk")


_EXPORTERS: dict[str, Exporter] = {}


def register_exporter(exporter: Exporter) -> Exporter:
    _EXPORTERS[exporter.kind] = exporter
    return exporter


def exporter_for(kind: str) -> Exporter | None:
    return _EXPORTERS.get(kind)


def exporter_for_model(model: type[models.Model]) -> tuple[Exporter, Callable] | None:
    """The exporter for a changelist's model, and how to turn its selection into the
    exporter's queryset."""
    for exporter in _EXPORTERS.values():
        if exporter.model is model:
            return exporter, lambda qs: qs
        if model in exporter.selections:
            return exporter, exporter.selections[model]
    return None


def exported_kinds() -> list[str]:
    return sorted(_EXPORTERS)


def chunked(queryset: models.QuerySet, size: int = CHUNK) -> Iterator[list]:
    """The queryset's rows in pk order, ``size`` at a time."""
    batch = []
    for obj in queryset.order_by("pk").iterator(chunk_size=size):
        batch.append(obj)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- customers ---------------------------------------------------------------------------


def customer_rows(queryset):
    for batch in chunked(queryset):
        tags = defaultdict(list)
        for customer_id, name in (
            Customer.tags.through.objects.filter(customer_id__in=[c.pk for c in batch])
            .order_by("tag__name")
            .values_list("customer_id", "tag__name")
        ):
            tags[customer_id].append(name)
        for c in batch:
            yield [
                c.external_id,
                c.name,
                c.email,
                c.phone,
                c.gender,
                c.birthday,
                c.city,
                c.region,
                c.registered_at,
                c.acquisition_channel,
                ";".join(tags[c.pk]),
                c.marketing_opt_in,
            ]


register_exporter(
    Exporter(
        "customers",
        Customer,
        (
            "customer_id",
            "name",
            "email",
            "phone",
            "gender",
            "birthday",
            "city",
            "region",
            "registered_at",
            "channel",
            "tags",
            "marketing_opt_in",
        ),
        customer_rows,
        pii={"email": "email", "phone": "phone", "birthday": "birthday"},
    )
)


# -- products ----------------------------------------------------------------------------


def category_paths() -> dict[int, str]:
    nodes = dict(Category.objects.values_list("pk", "name"))
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    paths = {}
    for pk in nodes:
        names, node = [], pk
        while node is not None:
            names.insert(0, nodes[node])
            node = parents[node]
        paths[pk] = " > ".join(names)
    return paths


def product_rows(queryset):
    paths = category_paths()
    for batch in chunked(queryset.select_related("product")):
        for s in batch:
            p = s.product
            yield [
                s.code,
                p.name,
                paths.get(p.category_id, ""),
                p.brand,
                s.list_price,
                s.unit_cost,
                s.stock_on_hand,
                s.reorder_point,
                s.lead_time_days,
                s.attributes,
                p.code,
                s.active,
            ]


register_exporter(
    Exporter(
        "products",
        SKU,
        (
            "sku",
            "product",
            "category",
            "brand",
            "list_price",
            "unit_cost",
            "stock",
            "reorder_point",
            "lead_time_days",
            "attributes",
            "product_code",
            "active",
        ),
        product_rows,
        selections={Product: lambda selected: SKU.objects.filter(product__in=selected)},
    )
)


# -- orders ------------------------------------------------------------------------------


def order_rows(queryset):
    for batch in chunked(queryset.select_related("customer", "channel")):
        lines = defaultdict(list)
        for line in (
            OrderLine.objects.filter(order_id__in=[o.pk for o in batch])
            .select_related("sku")
            .order_by("pk")
        ):
            lines[line.order_id].append(line)
        for o in batch:
            own = lines[o.pk]
            head = [
                o.external_id,
                o.customer.external_id if o.customer_id else "",
                o.created_at,
                o.paid_at,
                o.status,
                o.channel.code if o.channel_id else "",
                o.paid_total,
            ]
            order_discount = o.discount_total - sum((line.discount for line in own), Decimal("0"))
            tail = [
                o.shipping_total,
                o.shipping_region,
                order_discount or None,
                o.logistics_cost or None,
            ]
            if not own:
                yield [*head, "", None, None, None, *tail]
            for line in own:
                yield [*head, line.sku.code, line.quantity, line.unit_price, line.discount, *tail]


register_exporter(
    Exporter(
        "orders",
        Order,
        (
            "order_id",
            "customer_id",
            "created_at",
            "paid_at",
            "status",
            "channel",
            "total",
            "sku",
            "quantity",
            "unit_price",
            "discount",
            "shipping",
            "region",
            "order_discount",
            "logistics_cost",
        ),
        order_rows,
    )
)


# -- returns, reviews, channel spend -----------------------------------------------------


def return_rows(queryset):
    for batch in chunked(queryset.select_related("order", "order_line__sku")):
        for r in batch:
            sku = r.order_line.sku.code if r.order_line_id else ""
            yield [
                r.order.external_id,
                sku,
                r.quantity or None,
                r.reason,
                r.refund_amount,
                r.created_at,
            ]


def review_rows(queryset):
    for batch in chunked(
        queryset.select_related("order_line__order", "order_line__sku", "customer")
    ):
        for v in batch:
            line = v.order_line
            yield [
                line.order.external_id,
                line.sku.code,
                v.customer.external_id,
                v.rating,
                v.has_media,
                v.text,
                v.created_at,
                v.reply,
                v.replied_at,
            ]


def spend_rows(queryset):
    for batch in chunked(queryset.select_related("channel")):
        for s in batch:
            yield [s.channel.code, s.date, s.spend]


register_exporter(
    Exporter(
        "returns",
        Return,
        ("order_id", "sku", "quantity", "reason", "refund_amount", "created_at"),
        return_rows,
    )
)
register_exporter(
    Exporter(
        "reviews",
        Review,
        (
            "order_id",
            "sku",
            "customer_id",
            "rating",
            "has_media",
            "text",
            "created_at",
            "reply",
            "replied_at",
        ),
        review_rows,
    )
)
register_exporter(Exporter("channel-spend", ChannelSpend, ("channel", "date", "spend"), spend_rows))
