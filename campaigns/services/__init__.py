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
from campaigns.services.loyalty import loyalty_order_paid, loyalty_order_reversed, order_points
from campaigns.services.tiers import loyalty_tier_upgrade, loyalty_tiers_evaluate, tier_set

__all__ = [
    "CouponError",
    "Quote",
    "coupon_create_public",
    "coupon_quote",
    "coupon_redeem",
    "coupon_redemptions_reverse",
    "coupons_issue",
    "loyalty_order_paid",
    "loyalty_order_reversed",
    "loyalty_tier_upgrade",
    "loyalty_tiers_evaluate",
    "order_points",
    "tier_set",
]
