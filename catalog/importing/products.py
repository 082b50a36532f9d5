"""Products and SKUs: ``sku, product, category, brand, list_price, unit_cost, stock,
reorder_point, lead_time_days, attributes`` (+ optional ``product_code``, ``active``).

One row per SKU, upserted by ``sku`` (the SKU code). The product is found by
``product_code`` when given, else by exact name; a new product's code is ``P-`` + the
first 10 hex digits of the SHA-1 of its name. ``category`` is a path (``Women > Dresses``)
whose missing nodes are created; a new product without one goes to ``Uncategorised``.
``attributes`` is a JSON object or ``size=M; colour=red``. A new SKU needs ``product``,
``list_price`` and ``unit_cost``; a file of ``sku, stock`` updates stock only.

From a platform export (``--format shopify`` or ``online-retail``) the SKUs the orders
name are created, one product per SKU (code = SKU code, name = the line-item name or
``Description``, list price = the highest unit price seen, unit cost 0 until a products
file says otherwise); existing SKUs are left untouched.
"""

from __future__ import annotations

import hashlib
import json

from catalog.importing.base import Cells, register
from catalog.importing.errors import FieldError
from catalog.importing.formats import GENERIC, ONLINE_RETAIL, SHOPIFY, generic_layout
from catalog.importing.parsing import parse_bool, parse_int, parse_money, text
from catalog.importing.platforms import ONLINE_RETAIL_ORDERS, SHOPIFY_ORDERS, highest_price
from catalog.importing.writers import KeyedImporter
from catalog.models import SKU, Category, Product

FIELDS = (
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
)
UNCATEGORISED = "Uncategorised"
SKU_FIELDS = (
    ("list_price", "list_price", "money"),
    ("unit_cost", "unit_cost", "money"),
    ("stock", "stock_on_hand", "count"),
    ("reorder_point", "reorder_point", "count"),
    ("lead_time_days", "lead_time_days", "days"),
    ("attributes", "attributes", "attributes"),
    ("active", "active", "bool"),
)


@register
class ProductsImporter(KeyedImporter):
    kind = "products"
    model = SKU
    permission = "catalog.add_sku"
    key_field = "sku"
    layouts = {
        GENERIC: generic_layout(FIELDS, required=("sku",)),
        SHOPIFY: SHOPIFY_ORDERS,
        ONLINE_RETAIL: ONLINE_RETAIL_ORDERS,
    }

    def begin(self) -> None:
        super().begin()
        self.categories = CategoryTree()
        self.platform_skus: dict[str, dict] = {}

    def process(self, rows) -> None:
        if self.layout.name == GENERIC:
            super().process(rows)
        else:
            self._collect_platform(rows)

    # -- generic -----------------------------------------------------------------------

    def parse(self, cells: Cells):
        code = self.cell(cells, "sku", _code, required=True)
        values: dict = {}
        for name, field, kind in SKU_FIELDS:
            if self.has(name):
                value = self.cell(cells, name, PARSERS[kind])
                if value is not None or kind == "attributes":
                    values[field] = value if value is not None else {}
        product = {
            "name": self.cell(cells, "product", lambda v: text(v, limit=200, what="product")),
            "code": self.cell(cells, "product_code", _code),
            "category": self.cell(cells, "category", _category_path),
            "brand": self.cell(cells, "brand", lambda v: text(v, limit=100, what="brand")),
        }
        values["_product"] = tuple(sorted(product.items()))
        return None if cells.bad else (code, values)

    def fetch_existing(self, keys):
        return SKU.objects.in_bulk(keys, field_name="code")

    def check(self, parsed):
        existing = set(
            SKU.objects.filter(code__in=[c for c, _ in parsed]).values_list("code", flat=True)
        )
        good = []
        for code, values in parsed:
            product = dict(values["_product"])
            if code not in existing:
                missing = [f for f in ("list_price", "unit_cost") if f not in values]
                if not product["name"] and not product["code"]:
                    missing.insert(0, "product")
                if missing:
                    line = self.seen[code][0]
                    self.fail(line, missing[0], f"a new SKU needs {', '.join(missing)}", "required")
                    continue
            good.append((code, values))
        return good

    def write(self, parsed) -> None:
        existing = self.fetch_existing([code for code, _ in parsed])
        self.products = ProductResolver(self.categories).resolve(parsed, existing)
        for code, values in parsed:
            values["product_id"] = self.products.ids[code]
        super().write(parsed)

    def build(self, key, values):
        sku = super().build(key, values)
        sku.code = key
        return sku

    def after_write(self, written) -> set:
        return self.products.changed_skus

    # -- platform exports --------------------------------------------------------------

    def _collect_platform(self, rows) -> None:
        for line, row in rows:
            cells = Cells(line, self.project(row))
            code = self.cell(cells, "sku", _code)
            if code is None:
                continue
            name = self.cell(cells, "product_name", lambda v: text(v, limit=200, what="name"))
            price = self.cell(cells, "unit_price", parse_money)
            if "compare_at_price" in self.index:
                price = highest_price(price, self.cell(cells, "compare_at_price", parse_money))
            brand = (
                self.cell(cells, "brand", lambda v: text(v, limit=100, what="brand"))
                if "brand" in self.index
                else None
            )
            if cells.bad:
                continue
            entry = self.platform_skus.setdefault(
                code, {"line": line, "name": "", "price": None, "brand": ""}
            )
            entry["name"] = entry["name"] or name or ""
            entry["brand"] = entry["brand"] or brand or ""
            if price is not None and price >= 0:
                entry["price"] = highest_price(entry["price"], price)

    def finish(self) -> dict[str, int]:
        if self.layout.name == GENERIC:
            return super().finish()
        existing = set(
            SKU.objects.filter(code__in=self.platform_skus).values_list("code", flat=True)
        )
        new = {code: e for code, e in self.platform_skus.items() if code not in existing}
        category = self.categories.node(("Imported",))
        products = Product.objects.bulk_create(
            Product(code=code, name=e["name"] or code, category_id=category, brand=e["brand"])
            for code, e in new.items()
        )
        SKU.objects.bulk_create(
            SKU(product=product, code=code, list_price=e["price"] or 0, unit_cost=0)
            for product, (code, e) in zip(products, new.items(), strict=True)
        )
        return {"created": len(new), "updated": 0, "unchanged": len(existing)}


class CategoryTree:
    """Category paths → ids, creating missing nodes (cached for the import)."""

    def __init__(self):
        self.ids: dict[tuple[str, ...], int] = {}

    def node(self, path: tuple[str, ...]) -> int:
        if path in self.ids:
            return self.ids[path]
        parent = self.node(path[:-1]) if len(path) > 1 else None
        category, _ = Category.objects.get_or_create(name=path[-1], parent_id=parent)
        self.ids[path] = category.pk
        return category.pk

    def path_of(self, category_id: int) -> tuple[str, ...]:
        for path, pk in self.ids.items():
            if pk == category_id:
                return path
        names = []
        node = Category.objects.get(pk=category_id)
        while node is not None:
            names.insert(0, node.name)
            node = node.parent
        self.ids[tuple(names)] = category_id
        return tuple(names)


class ProductResolver:
    """The product of each SKU row: found by code or name, created or updated."""

    def __init__(self, categories: CategoryTree):
        self.categories = categories
        self.ids: dict[str, int] = {}
        self.changed_skus: set[str] = set()

    def resolve(self, parsed, existing_skus) -> ProductResolver:
        wanted = {code: dict(values["_product"]) for code, values in parsed}
        codes = {p["code"] for p in wanted.values() if p["code"]}
        names = {p["name"] for p in wanted.values() if p["name"] and not p["code"]}
        by_code = Product.objects.in_bulk(codes, field_name="code") if codes else {}
        by_name = {p.name: p for p in Product.objects.filter(name__in=names)} if names else {}
        by_sku = {sku.code: sku.product_id for sku in existing_skus.values()}
        current = Product.objects.in_bulk(set(by_sku.values()))
        to_update: dict[int, Product] = {}
        for code, spec in wanted.items():
            product = self._find(spec, by_code, by_name, current.get(by_sku.get(code)))
            if product is None:
                product = Product(
                    code=spec["code"] or product_code_for(spec["name"]),
                    name=spec["name"] or spec["code"],
                    category_id=self.categories.node(spec["category"] or (UNCATEGORISED,)),
                    brand=spec["brand"] or "",
                )
                product.save()
                by_code[product.code] = product
                by_name.setdefault(product.name, product)
            elif self._apply(product, spec):
                to_update[product.pk] = product
                self.changed_skus.add(code)
            self.ids[code] = product.pk
        if to_update:
            Product.objects.bulk_update(to_update.values(), ["name", "category", "brand"])
        return self

    @staticmethod
    def _find(spec, by_code, by_name, current):
        if spec["code"]:
            return by_code.get(spec["code"])
        if spec["name"]:
            if current is not None and current.name == spec["name"]:
                return current
            return by_name.get(spec["name"])
        return current

    def _apply(self, product: Product, spec: dict) -> bool:
        changed = False
        if spec["name"] and product.name != spec["name"]:
            product.name, changed = spec["name"], True
        if spec["brand"] is not None and product.brand != spec["brand"]:
            product.brand, changed = spec["brand"], True
        if spec["category"]:
            category = self.categories.node(spec["category"])
            if product.category_id != category:
                product.category_id, changed = category, True
        return changed


def product_code_for(name: str) -> str:
    return "P-" + hashlib.sha1(name.encode()).hexdigest()[:10].upper()


def _code(value) -> str:
    code = text(value, limit=64, what="the code")
    if not code:
        raise FieldError("the code is blank", "required")
    return code


def _category_path(value) -> tuple[str, ...]:
    parts = tuple(text(p, limit=100, what="a category") for p in str(value).split(">"))
    if any(not p for p in parts):
        raise FieldError(
            f"{value!r} is not a category path (e.g. Women > Dresses)", "invalid_value"
        )
    return parts


def _money(value):
    amount = parse_money(value)
    if amount < 0:
        raise FieldError(f"{value!r} is negative", "negative")
    return amount


def _count(value) -> int:
    number = parse_int(value)
    if number < 0:
        raise FieldError(f"{number} is negative", "negative")
    return number


def _days(value) -> int:
    days = _count(value)
    if days > 32767:
        raise FieldError(f"{days} days is too long", "invalid_value")
    return days


def _attributes(value) -> dict:
    raw = str(value).strip()
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FieldError(
                f"attributes are not valid JSON ({exc.msg})", "invalid_value"
            ) from None
        if not isinstance(parsed, dict):
            raise FieldError("attributes must be a JSON object", "invalid_value")
        return parsed
    pairs = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise FieldError(f"{part.strip()!r} is not key=value", "invalid_value")
        pairs[key.strip()] = val.strip()
    return pairs


PARSERS = {
    "money": _money,
    "count": _count,
    "days": _days,
    "attributes": _attributes,
    "bool": parse_bool,
}
