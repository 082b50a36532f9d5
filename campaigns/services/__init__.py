"""Writes of the campaigns app, one module per part (coupons first; campaigns, points and
automations follow)."""

from campaigns.services.coupons import (
    CouponError,
    Quote,
    coupon_create_public,
    coupon_quote,
    coupon_redeem,
    coupon_redemptions_reverse,
    coupons_issue,
)

__all__ = [
    "CouponError",
    "Quote",
    "coupon_create_public",
    "coupon_quote",
    "coupon_redeem",
    "coupon_redemptions_reverse",
    "coupons_issue",
]
