"""Platform exports: Shopify's orders CSV and the UCI Online Retail file.

Each platform layout reads the platform's own header and a *transform* turns one of its
rows into the generic orders fields (:data:`ORDER_FIELDS` + :data:`ORDER_EXTRAS`), so that
validation and writing have one path.

Shopify (Admin → Orders → Export): one row per line item; order-level values (Financial
Status, Paid at, totals, addresses) are on the order's first row and blank on the others.

* ``Name`` (``#1001``) is the order id. Customers are keyed by e-mail: the customer's
  ``external_id`` is the lower-cased e-mail, or ``email:`` + the first 32 hex digits of
  its SHA-1 when it is longer than 64 characters. A row without e-mail is a guest order.
* Status: ``refunded`` → refunded; ``voided`` or a ``Cancelled at`` → cancelled; ``paid``,
  ``partially_paid``, ``partially_refunded`` → completed when fulfilled, shipped when
  partially fulfilled, else paid; ``pending``, ``authorized``, ``expired`` → pending.
* ``Discount Amount`` is the order's whole discount (the ``Lineitem discount`` values are
  its allocation to lines); ``Total`` is what was paid; ``Refunded Amount`` > 0 becomes an
  order-level return (no line) dated ``Cancelled at`` if any, else when paid.
* ``Source`` is not a channel code; map it with ``--map Source=channel`` if it is one.

Online Retail (UCI, 2010-2011; also the "Online Retail II" spellings): ``InvoiceNo``
groups lines into orders; invoices starting with ``C`` are cancellations, recorded as
returns of the customer's latest earlier line of the same ``StockCode``; rows without
``CustomerID`` are guest orders (no customer, left out of customer analytics);
``Country`` is the shipping region (and a new customer's region). ``InvoiceDate`` may be
the file's US style ``12/1/2010 8:26``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from catalog.importing.errors import FieldError
from catalog.importing.formats import ONLINE_RETAIL, SHOPIFY, Layout

ORDER_FIELDS = (
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
)
ORDER_EXTRAS = (
    "customer_name",
    "customer_email",
    "customer_phone",
    "customer_city",
    "customer_region",
    "marketing",
    "refund",
    "refunded_at",
)

SHOPIFY_ORDERS = Layout(
    SHOPIFY,
    fields=(
        "order_id",
        "customer_email",
        "financial_status",
        "fulfillment_status",
        "paid_at",
        "created_at",
        "cancelled_at",
        "quantity",
        "product_name",
        "unit_price",
        "compare_at_price",
        "sku",
        "discount",
        "order_discount",
        "shipping",
        "total",
        "refund",
        "customer_name",
        "customer_phone",
        "phone",
        "customer_city",
        "customer_region",
        "region",
        "shipping_country",
        "brand",
        "marketing",
        "channel",
    ),
    headers={
        "Name": "order_id",
        "Email": "customer_email",
        "Financial Status": "financial_status",
        "Fulfillment Status": "fulfillment_status",
        "Paid at": "paid_at",
        "Created at": "created_at",
        "Cancelled at": "cancelled_at",
        "Lineitem quantity": "quantity",
        "Lineitem name": "product_name",
        "Lineitem price": "unit_price",
        "Lineitem compare at price": "compare_at_price",
        "Lineitem sku": "sku",
        "Lineitem discount": "discount",
        "Discount Amount": "order_discount",
        "Shipping": "shipping",
        "Total": "total",
        "Refunded Amount": "refund",
        "Billing Name": "customer_name",
        "Billing Phone": "customer_phone",
        "Phone": "phone",
        "Billing City": "customer_city",
        "Billing Province": "customer_region",
        "Shipping Province": "region",
        "Shipping Country": "shipping_country",
        "Vendor": "brand",
        "Accepts Marketing": "marketing",
    },
    required=(
        (("order_id",),),
        (("created_at",),),
        (("sku",),),
        (("quantity",),),
        (("unit_price",),),
    ),
)

ONLINE_RETAIL_ORDERS = Layout(
    ONLINE_RETAIL,
    fields=(
        "order_id",
        "sku",
        "product_name",
        "quantity",
        "created_at",
        "unit_price",
        "customer_id",
        "region",
    ),
    headers={
        "InvoiceNo": "order_id",
        "Invoice": "order_id",
        "StockCode": "sku",
        "Description": "product_name",
        "Quantity": "quantity",
        "InvoiceDate": "created_at",
        "UnitPrice": "unit_price",
        "Price": "unit_price",
        "CustomerID": "customer_id",
        "Customer ID": "customer_id",
        "Country": "region",
    },
    required=(
        (("order_id",),),
        (("sku",),),
        (("quantity",),),
        (("created_at",),),
        (("unit_price",),),
        (("customer_id",),),
    ),
)

_PAID_LIKE = {"paid", "partially_paid", "partially_refunded"}
_PENDING = {"pending", "authorized", "expired"}


def shopify_customer_id(email: str) -> str:
    email = email.strip().lower()
    if len(email) <= 64:
        return email
    return "email:" + hashlib.sha1(email.encode()).hexdigest()[:32]


def shopify_status(financial: str, fulfillment: str, cancelled_at: object) -> str:
    financial = financial.strip().lower().replace(" ", "_")
    fulfillment = fulfillment.strip().lower()
    if not financial:
        return "cancelled" if cancelled_at else ""
    if financial == "refunded":
        return "refunded"
    if financial == "voided" or cancelled_at:
        return "cancelled"
    if financial in _PAID_LIKE:
        if fulfillment == "fulfilled":
            return "completed"
        return "shipped" if fulfillment in {"partial", "partially_fulfilled"} else "paid"
    if financial in _PENDING:
        return "pending"
    raise FieldError(
        f"{financial!r} is not a Shopify financial status",
        "invalid_value",
        field="financial_status",
    )


def shopify_order_row(get) -> list:
    """A Shopify row (``get(field)`` → cell) as generic order fields + extras."""
    email = str(get("customer_email")).strip()
    status = shopify_status(
        str(get("financial_status")), str(get("fulfillment_status")), get("cancelled_at")
    )
    region = get("region") or get("shipping_country")
    phone = get("customer_phone") or get("phone")
    values = {
        "order_id": get("order_id"),
        "customer_id": shopify_customer_id(email) if email else "",
        "created_at": get("created_at"),
        "paid_at": get("paid_at"),
        "status": status,
        "channel": get("channel"),
        "total": get("total"),
        "sku": get("sku"),
        "quantity": get("quantity"),
        "unit_price": get("unit_price"),
        "discount": get("discount"),
        "shipping": get("shipping"),
        "region": region,
        "order_discount": get("order_discount"),
        "logistics_cost": "",
        "customer_name": get("customer_name"),
        "customer_email": email,
        "customer_phone": phone,
        "customer_city": get("customer_city"),
        "customer_region": get("customer_region"),
        "marketing": get("marketing"),
        "refund": get("refund"),
        "refunded_at": get("cancelled_at"),
    }
    return [values[f] for f in (*ORDER_FIELDS, *ORDER_EXTRAS)]


def retail_customer_id(value: object) -> str:
    """``17850.0`` (how spreadsheets write the UCI ids) → ``17850``."""
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def retail_is_cancellation(invoice: object) -> bool:
    return str(invoice).strip().upper().startswith("C")


def retail_order_row(get) -> list:
    """An Online Retail row as generic order fields + extras (not for cancellations)."""
    region = get("region")
    values = {
        "order_id": str(get("order_id")).strip(),
        "customer_id": retail_customer_id(get("customer_id")),
        "created_at": get("created_at"),
        "paid_at": "",
        "status": "completed",
        "sku": get("sku"),
        "quantity": get("quantity"),
        "unit_price": get("unit_price"),
        "region": region,
        "customer_region": region,
    }
    return [values.get(f, "") for f in (*ORDER_FIELDS, *ORDER_EXTRAS)]


def highest_price(current: Decimal | None, candidate: Decimal | None) -> Decimal | None:
    """The list price of a SKU derived from sales: the highest unit price seen (lower
    ones are discounts or volume tiers)."""
    if candidate is None:
        return current
    return candidate if current is None or candidate > current else current
