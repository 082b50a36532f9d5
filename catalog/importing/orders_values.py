"""Cell parsers of the orders import, shared by its careful and fast paths."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from catalog.importing.errors import FieldError
from catalog.importing.parsing import choice_spellings, parse_choice, parse_int, parse_money, text
from catalog.models import Order

STATUS_SPELLINGS = choice_spellings(
    Order.Status,
    {
        "待付款": "pending",
        "已付款": "paid",
        "待发货": "paid",
        "已发货": "shipped",
        "已完成": "completed",
        "交易成功": "completed",
        "已取消": "cancelled",
        "交易关闭": "cancelled",
        "已退款": "refunded",
    },
)


def ident(value) -> str:
    result = text(value, limit=64, what="the id")
    if not result:
        raise FieldError("the id is blank", "required")
    return result


def status(value) -> str:
    return parse_choice(str(value), STATUS_SPELLINGS, "status")


def amount(value):
    amount = parse_money(value)
    if amount < 0:
        raise FieldError(f"{value!r} is negative", "negative")
    return amount


def quantity(value) -> int:
    quantity = parse_int(value)
    if quantity < 0:
        raise FieldError(f"negative quantity {quantity}", "negative")
    if quantity == 0:
        raise FieldError("quantity must be at least 1", "invalid_value")
    return quantity


def region(value) -> str:
    return text(value, limit=100, what="region")


def email(value) -> str:
    email = text(value, limit=254, what="email")
    try:
        validate_email(email)
    except ValidationError:
        raise FieldError(f"{email!r} is not an e-mail address", "invalid_value") from None
    return email
