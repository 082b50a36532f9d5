"""What a coupon takes off a cart: pure functions over cart lines, no database.

The offer of a :class:`~campaigns.models.CouponTemplate` applies to the *eligible* lines:
every line when the template names no category or product, otherwise the lines whose
product is named or whose category is named (or lies under a named category — the caller
passes the expanded set). Minimum spend is checked against the eligible subtotal (what
the customer pays for those lines before this coupon). All money is ``Decimal``, rounded
to cents half up, and a discount never exceeds what it applies to:

- amount off: ``value`` off the eligible subtotal;
- percent off: ``value`` % of the eligible subtotal, at most ``max_discount``;
- threshold, "spend X save Y" (满X减Y): ``value`` (Y) once the eligible subtotal reaches
  ``min_spend`` (X);
- free shipping: the order's shipping;
- Nth item at X% off (第N件X折): the eligible units are ordered from the dearest down; every
  ``nth_item``-th of them (the 2nd, 4th, ... for N = 2) gets ``value`` % off, so the
  customer gets the cheaper item of each pair discounted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CartLine:
    product_id: int
    category_id: int | None
    quantity: int
    unit_price: Decimal
    line_discount: Decimal = ZERO  # already taken off this line (a promotion)

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity - self.line_discount


@dataclass(frozen=True)
class Offer:
    """The pricing part of a coupon template."""

    kind: str
    value: Decimal
    min_spend: Decimal = ZERO
    max_discount: Decimal | None = None
    nth_item: int | None = None
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()  # already expanded to their subtrees


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def eligible_lines(offer: Offer, lines: Iterable[CartLine]) -> list[CartLine]:
    if not offer.product_ids and not offer.category_ids:
        return list(lines)
    return [
        line
        for line in lines
        if line.product_id in offer.product_ids or line.category_id in offer.category_ids
    ]


def eligible_subtotal(offer: Offer, lines: Iterable[CartLine]) -> Decimal:
    return cents(sum((line.amount for line in eligible_lines(offer, lines)), ZERO))


def discount(offer: Offer, lines: Sequence[CartLine], *, shipping: Decimal = ZERO) -> Decimal:
    """The discount of ``offer`` on ``lines`` (0 when it does not apply; the caller tells
    the customer why: see ``campaigns.services.coupons``)."""
    eligible = eligible_lines(offer, lines)
    subtotal = cents(sum((line.amount for line in eligible), ZERO))
    if not eligible or subtotal < offer.min_spend:
        return ZERO
    if offer.kind == "amount_off":
        amount = offer.value
    elif offer.kind == "percent_off":
        amount = subtotal * offer.value / HUNDRED
        if offer.max_discount is not None:
            amount = min(amount, offer.max_discount)
    elif offer.kind == "threshold":
        amount = offer.value
    elif offer.kind == "free_shipping":
        return cents(max(shipping, ZERO))
    elif offer.kind == "nth_item":
        amount = _nth_item(eligible, offer.nth_item or 2, offer.value)
    else:
        raise ValueError(f"unknown coupon kind {offer.kind!r}")
    return cents(max(min(amount, subtotal), ZERO))


def _nth_item(lines: list[CartLine], n: int, percent: Decimal) -> Decimal:
    units = sorted(
        (line.amount / line.quantity for line in lines for _ in range(line.quantity)),
        reverse=True,
    )
    return sum((price * percent / HUNDRED for price in units[n - 1 :: n]), ZERO)


def describe(offer: Offer) -> str:
    """The offer in a few words, for messages and pages: "50 off orders of 99 or more"."""

    def money(amount: Decimal) -> str:
        return f"{amount.normalize():f}"

    spend = f" on orders of {money(offer.min_spend)} or more" if offer.min_spend > 0 else ""
    if offer.kind == "amount_off":
        return f"{money(offer.value)} off{spend}"
    if offer.kind == "percent_off":
        cap = f" (up to {money(offer.max_discount)})" if offer.max_discount is not None else ""
        return f"{money(offer.value)}% off{spend}{cap}"
    if offer.kind == "threshold":
        return f"spend {money(offer.min_spend)}, save {money(offer.value)}"
    if offer.kind == "free_shipping":
        return f"free shipping{spend}"
    if offer.kind == "nth_item":
        return f"{money(offer.value)}% off every item number {offer.nth_item or 2}{spend}"
    raise ValueError(f"unknown coupon kind {offer.kind!r}")
