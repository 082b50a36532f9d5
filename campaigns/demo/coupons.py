"""Coupon templates, issued coupons and their redemptions on the demo orders.

Every new member receives the activation coupon "99 minus 50" (valid 7 days); those
whose first order comes soon enough and reaches 99 mostly use it. During the big sales
some orders over 200 use a "200 minus 20" coupon handed out a few days before. A
redemption on an order that was later cancelled or refunded is reversed, and the coupon
goes back to issued or expired, as ``free_usage_on_refund`` says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo.orders import CANCELLED, REFUNDED, Orders
from campaigns.demo.tables import NULL, Table, ids, text
from campaigns.demo.timeline import DAY, HOUR, Timeline
from campaigns.models import Coupon, CouponTemplate, Redemption

ACTIVATION_USE = 0.8
SALE_COUPON_USE = 0.3
CODE_ALPHABET = np.frombuffer(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", dtype=np.uint8)

# name, kind, value, min_spend, max_discount (cents), valid_days, per-customer limit, nth item
TEMPLATES = (
    ("99 minus 50", "threshold", 5000, 9900, NULL, 7, 1, NULL),
    ("200 minus 20", "threshold", 2000, 20000, NULL, 14, 3, NULL),
    ("Skincare 10% off", "percent_off", 1000, 0, 3000, 30, 1, NULL),
    ("Free shipping", "free_shipping", 0, 0, NULL, 30, 2, NULL),
    ("Second item half price", "nth_item", 5000, 0, NULL, 14, 1, 2),
    ("VIP 15% off", "percent_off", 1500, 0, 10000, 30, 2, NULL),
    ("Win-back 30 off", "amount_off", 3000, 12900, NULL, 14, 1, NULL),
)
ACTIVATION, SALE = 0, 1


@dataclass
class Coupons:
    template: Table
    template_categories: Table
    coupon: Table
    redemption: Table
    order_discount: np.ndarray  # cents of order-level discount, per order


def generate_coupons(
    rng: np.random.Generator,
    tl: Timeline,
    registered: np.ndarray,
    orders: Orders,
    net_goods: np.ndarray,
    skincare_category_id: int,
    vip_group_id: int | None,
) -> Coupons:
    """Templates, the coupons handed out, and which orders used them (``net_goods`` in
    cents per order: goods after line discounts)."""
    n_customers = len(registered)
    order_customer = orders.customer
    # Activation: the customer's first order, within the coupon's 7 days, reaching 99.
    first = np.flatnonzero(orders.first)
    on_time = orders.created[first] < registered[order_customer[first]] + 7 * DAY
    use_activation = first[
        on_time & (net_goods[first] >= 9900) & (rng.random(len(first)) < ACTIVATION_USE)
    ]
    promo = tl.promo[tl.day_of(orders.created)]
    use_sale = np.flatnonzero(
        promo & (net_goods >= 20000) & ~np.isin(np.arange(len(orders)), use_activation)
    )
    use_sale = use_sale[rng.random(len(use_sale)) < SALE_COUPON_USE]

    # Coupons: one activation coupon per customer (ids 1..n), then the sale coupons.
    sale_issued = np.maximum(
        orders.created[use_sale] - rng.integers(HOUR, 5 * DAY, len(use_sale)),
        registered[order_customer[use_sale]],
    )
    issued = np.r_[registered, sale_issued]
    valid = np.r_[np.full(n_customers, 7 * DAY), np.full(len(use_sale), 14 * DAY)]
    n_coupons = len(issued)
    coupon_customer = np.r_[np.arange(n_customers), order_customer[use_sale]] + 1
    template = np.r_[np.full(n_customers, ACTIVATION + 1), np.full(len(use_sale), SALE + 1)]

    redeemed_order = np.r_[use_activation, use_sale]
    redeemed_coupon = np.r_[order_customer[use_activation], n_customers + np.arange(len(use_sale))]
    amount = np.r_[np.full(len(use_activation), 5000), np.full(len(use_sale), 2000)]
    reverted = np.isin(orders.status[redeemed_order], (CANCELLED, REFUNDED))
    reversed_at = np.where(
        reverted,
        np.minimum(
            orders.created[redeemed_order] + rng.integers(HOUR, DAY, len(reverted)), tl.end - 1
        ),
        NULL,
    )
    used = np.zeros(n_coupons, dtype=bool)
    used[redeemed_coupon[~reverted]] = True
    expires = issued + valid
    status = np.where(used, "redeemed", np.where(expires < tl.end, "expired", "issued"))

    order_discount = np.zeros(len(orders), dtype=np.int64)
    order_discount[redeemed_order] = amount
    used_count = np.bincount(template[used] - 1, minlength=len(TEMPLATES))
    given = np.bincount(
        template[redeemed_coupon[~reverted]] - 1,
        weights=amount[~reverted],
        minlength=len(TEMPLATES),
    )
    return Coupons(
        template=_templates(tl, used_count, np.rint(given).astype(np.int64), vip_group_id),
        template_categories=Table(
            CouponTemplate.applicable_categories.through,
            {
                "id": ids(1),
                "coupontemplate_id": np.array([3]),
                "category_id": np.array([skincare_category_id]),
            },
        ),
        coupon=Table(
            Coupon,
            {
                "id": ids(n_coupons),
                "template_id": template,
                "code": _codes(rng, n_coupons),
                "customer_id": coupon_customer,
                "issued_at": issued,
                "expires_at": expires,
                "status": text(status),
                "times_used": used.astype(np.int64),
            },
        ),
        redemption=Table(
            Redemption,
            {
                "id": ids(len(redeemed_order)),
                "coupon_id": redeemed_coupon + 1,
                "customer_id": order_customer[redeemed_order] + 1,
                "order_id": redeemed_order + 1,
                "discount_amount": amount,
                "redeemed_at": orders.created[redeemed_order],
                "reversed_at": reversed_at,
            },
        ),
        order_discount=order_discount,
    )


def _templates(tl: Timeline, used_count, given, vip_group_id) -> Table:
    n = len(TEMPLATES)
    col = list(zip(*TEMPLATES, strict=True))
    group = np.full(n, NULL, dtype=np.int64)
    if vip_group_id is not None:
        group[5] = vip_group_id
    return Table(
        CouponTemplate,
        {
            "id": ids(n),
            "name": text(col[0]),
            "kind": text(col[1]),
            "value": np.array(col[2], dtype=np.int64),
            "min_spend": np.array(col[3], dtype=np.int64),
            "max_discount": np.array(col[4], dtype=np.int64),
            "valid_days": np.array(col[5], dtype=np.int64),
            "per_customer_limit": np.array(col[6], dtype=np.int64),
            "nth_item": np.array(col[7], dtype=np.int64),
            "used_count": used_count.astype(np.int64),
            "discount_given": given,
            "stackable": np.zeros(n, dtype=bool),
            "group_id": group,
            "free_usage_on_refund": np.ones(n, dtype=bool),
            "active": np.ones(n, dtype=bool),
            "created_at": np.full(n, tl.start, dtype=np.int64),
            "valid_from": np.full(n, NULL, dtype=np.int64),
            "valid_until": np.full(n, NULL, dtype=np.int64),
            "total_limit": np.full(n, NULL, dtype=np.int64),
            "budget": np.full(n, NULL, dtype=np.int64),
        },
    )


def _codes(rng: np.random.Generator, n: int, length: int = 12) -> np.ndarray:
    """Unique unguessable-looking codes (from the seeded generator, so reproducible)."""
    letters = CODE_ALPHABET[rng.integers(0, len(CODE_ALPHABET), (n, length))]
    codes = letters.view(f"S{length}").ravel().astype(str).astype(object)
    _, first = np.unique(codes, return_index=True)
    if len(first) < n:  # astronomically rare; keep codes unique anyway
        dup = np.setdiff1d(np.arange(n), first)
        codes[dup] = text(f"{c[:-6]}{i:06d}" for c, i in zip(codes[dup], dup.tolist(), strict=True))
    return codes
