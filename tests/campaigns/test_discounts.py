"""Coupon arithmetic on carts small enough to check on paper."""

from decimal import Decimal as D

import pytest

from campaigns.discounts import CartLine, Offer, discount, eligible_subtotal

SHIRT = CartLine(product_id=1, category_id=10, quantity=2, unit_price=D("80.00"))  # 160
MUG = CartLine(product_id=2, category_id=20, quantity=1, unit_price=D("45.50"))  # 45.50
SOCKS = CartLine(
    product_id=3, category_id=10, quantity=3, unit_price=D("9.90"), line_discount=D("2.70")
)  # 27.00
CART = [SHIRT, MUG, SOCKS]  # 232.50


@pytest.mark.parametrize(
    ("offer", "expected"),
    [
        (Offer("amount_off", D("20")), D("20.00")),
        (Offer("amount_off", D("500")), D("232.50")),  # never more than the cart
        (Offer("percent_off", D("15")), D("34.88")),  # 232.50 × 15% = 34.875 -> half up
        (Offer("percent_off", D("15"), max_discount=D("30")), D("30.00")),
        (Offer("threshold", D("50"), min_spend=D("99")), D("50.00")),  # 满99减50
        (Offer("threshold", D("50"), min_spend=D("300")), D("0.00")),  # not reached
        (Offer("free_shipping", D("0")), D("12.00")),
        # units from the dearest: 80, 80, 45.50, 9, 9, 9 -> 2nd, 4th, 6th (80+9+9) at 50%
        (Offer("nth_item", D("50"), nth_item=2), D("49.00")),
        (Offer("nth_item", D("100"), nth_item=3), D("54.50")),  # 3rd 45.50 and 6th 9
    ],
)
def test_each_kind(offer, expected):
    assert discount(offer, CART, shipping=D("12.00")) == expected


def test_an_offer_on_a_category_counts_only_its_lines():
    offer = Offer("percent_off", D("10"), min_spend=D("180"), category_ids=frozenset({10}))
    assert eligible_subtotal(offer, CART) == D("187.00")  # shirts 160 + socks 27
    assert discount(offer, CART) == D("18.70")
    assert discount(Offer("amount_off", D("5"), product_ids=frozenset({2})), CART) == D("5.00")
    nothing = Offer("amount_off", D("5"), product_ids=frozenset({99}))
    assert eligible_subtotal(nothing, CART) == D("0.00") and discount(nothing, CART) == 0


def test_min_spend_applies_to_every_kind():
    assert discount(Offer("amount_off", D("20"), min_spend=D("232.51")), CART) == 0
    assert discount(Offer("amount_off", D("20"), min_spend=D("232.50")), CART) == D("20.00")
