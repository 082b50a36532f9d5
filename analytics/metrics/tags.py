"""Computed customer tags: behaviour labels refreshed by the analytics run.

Each tag has one documented rule; the thresholds are keyword arguments (the Django
settings layer passes ``ANALYTICS_TAG_THRESHOLDS``). Manual tags are never produced or
touched here. Inputs are the frames the loaders build (timestamps naive, in the shop's
local time; money as float64):

- ``orders``: customer_id, order_id, paid_at, discount_total, net_amount — paid orders only.
- ``lines``: customer_id, order_id, product_id, category_id, launched_at (date or NaT),
  paid_at, quantity, net_amount, returned_quantity — lines of paid orders.
- ``events``: customer_id, type, occurred_at.
- ``referrals``: referrer_id, paid_orders — one row per referred customer.

Rules (all windows end with ``as_of``, inclusive):

===================  ====================================================================
price-sensitive      ≥ ``price_min_orders`` paid orders, and more than ``price_share`` of
                     them carried a discount (coupon or markdown: discount_total > 0).
new-product-trier    bought ≥ ``trier_min_products`` distinct products within
                     ``trier_days`` days of the product's launch date.
high-returner        ≥ ``returner_min_units`` units bought and returned units / bought
                     units ≥ ``returner_rate``.
night-shopper        ≥ ``night_min_orders`` paid orders and at least ``night_share`` of
                     them paid between ``night_start``:00 and ``night_end``:00 (wrapping
                     midnight).
category-lover       ≥ ``lover_min_orders`` paid orders and ≥ ``lover_share`` of net spend
                     in one category.
koc-candidate        share events in the last ``koc_days`` days + ``koc_referral_weight`` ×
                     referred customers with a paid order ≥ ``koc_min_score``.
===================  ====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp

PRICE_SENSITIVE = "price-sensitive"
NEW_PRODUCT_TRIER = "new-product-trier"
HIGH_RETURNER = "high-returner"
NIGHT_SHOPPER = "night-shopper"
CATEGORY_LOVER = "category-lover"
KOC_CANDIDATE = "koc-candidate"

TAG_DESCRIPTIONS = {
    PRICE_SENSITIVE: "Most paid orders used a coupon or a discount.",
    NEW_PRODUCT_TRIER: "Repeatedly buys products within 30 days of their launch.",
    HIGH_RETURNER: "Returns a large share of the units bought.",
    NIGHT_SHOPPER: "Most paid orders are placed late at night (22:00-06:00).",
    CATEGORY_LOVER: "At least 60% of spend goes to one category.",
    KOC_CANDIDATE: "Shares products and refers paying customers: a key opinion consumer in the making.",
}


@dataclass(frozen=True)
class TagThresholds:
    price_min_orders: int = 2
    price_share: float = 0.5
    trier_days: int = 30
    trier_min_products: int = 2
    returner_min_units: int = 3
    returner_rate: float = 0.3
    night_min_orders: int = 2
    night_share: float = 0.5
    night_start: int = 22
    night_end: int = 6
    lover_min_orders: int = 2
    lover_share: float = 0.6
    koc_days: int = 90
    koc_referral_weight: int = 3
    koc_min_score: int = 5


def computed_tags(
    *,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    events: pd.DataFrame,
    referrals: pd.DataFrame,
    as_of: date,
    thresholds: TagThresholds = TagThresholds(),
) -> pd.DataFrame:
    """One row per (customer_id, tag) that the rules above give, sorted."""
    t = thresholds
    end = pd.Timestamp(as_of + timedelta(days=1))
    orders = _before(orders, "paid_at", end)
    lines = _before(lines, "paid_at", end)
    events = _before(events, "occurred_at", end)
    parts = [
        _price_sensitive(orders, t),
        _new_product_trier(lines, t),
        _high_returner(lines, t),
        _night_shopper(orders, t),
        _category_lover(lines, orders, t),
        _koc_candidate(events, referrals, as_of, t),
    ]
    frames = [pd.DataFrame({"customer_id": ids, "tag": tag}) for tag, ids in parts]
    result = pd.concat(frames, ignore_index=True)
    result["customer_id"] = result["customer_id"].astype("int64")
    return result.sort_values(["tag", "customer_id"], ignore_index=True)


def _before(frame: pd.DataFrame, column: str, end: pd.Timestamp) -> pd.DataFrame:
    # The loaders already stop at as_of: filtering 2.5M lines that all pass would copy them.
    inside = frame[column] < end
    return frame if inside.all() else frame[inside]


def _ids(mask: pd.Series) -> list[int]:
    return sorted(int(i) for i in mask[mask].index)


def _price_sensitive(orders: pd.DataFrame, t: TagThresholds) -> tuple[str, list[int]]:
    per = orders.assign(discounted=orders["discount_total"] > 0).groupby("customer_id")[
        "discounted"
    ]
    count, share = per.size(), per.mean()
    return PRICE_SENSITIVE, _ids((count >= t.price_min_orders) & (share > t.price_share))


def _new_product_trier(lines: pd.DataFrame, t: TagThresholds) -> tuple[str, list[int]]:
    launched = pd.to_datetime(lines["launched_at"])
    age_days = (lines["paid_at"].dt.normalize() - launched).dt.days
    early = lines[(age_days >= 0) & (age_days <= t.trier_days)]
    products = early.groupby("customer_id")["product_id"].nunique()
    return NEW_PRODUCT_TRIER, _ids(products >= t.trier_min_products)


def _high_returner(lines: pd.DataFrame, t: TagThresholds) -> tuple[str, list[int]]:
    per = lines.groupby("customer_id")[["quantity", "returned_quantity"]].sum()
    rate = per["returned_quantity"] / per["quantity"]
    return HIGH_RETURNER, _ids(
        (per["quantity"] >= t.returner_min_units) & (rate >= t.returner_rate)
    )


def _night_shopper(orders: pd.DataFrame, t: TagThresholds) -> tuple[str, list[int]]:
    hour = orders["paid_at"].dt.hour
    if t.night_start > t.night_end:  # the night wraps midnight
        night = (hour >= t.night_start) | (hour < t.night_end)
    else:
        night = (hour >= t.night_start) & (hour < t.night_end)
    per = orders.assign(night=night).groupby("customer_id")["night"]
    return NIGHT_SHOPPER, _ids((per.size() >= t.night_min_orders) & (per.mean() >= t.night_share))


def _category_lover(
    lines: pd.DataFrame, orders: pd.DataFrame, t: TagThresholds
) -> tuple[str, list[int]]:
    if lines.empty:
        return CATEGORY_LOVER, []
    # customers × categories net spend, duplicates summed: a sparse matrix is about twice
    # as fast as a two-key groupby over millions of lines.
    customer_codes, customer_ids = pd.factorize(lines["customer_id"])
    category_codes, categories = pd.factorize(lines["category_id"])
    known = customer_codes >= 0  # guest lines (no customer) are left out, as groupby does
    spend = sp.csr_matrix(
        (
            lines["net_amount"].to_numpy(dtype="float64")[known],
            (customer_codes[known], category_codes[known]),
        ),
        shape=(len(customer_ids), len(categories)),
    )
    spend.sum_duplicates()
    spend.data[spend.data < 0] = 0  # only categories with a positive net spend count
    total = np.asarray(spend.sum(axis=1)).ravel()
    top = spend.max(axis=1).toarray().ravel()
    top_share = pd.Series(
        np.divide(top, total, out=np.zeros_like(total), where=total > 0), index=customer_ids
    )
    order_count = orders.groupby("customer_id").size().reindex(top_share.index, fill_value=0)
    return CATEGORY_LOVER, _ids((order_count >= t.lover_min_orders) & (top_share >= t.lover_share))


def _koc_candidate(
    events: pd.DataFrame, referrals: pd.DataFrame, as_of: date, t: TagThresholds
) -> tuple[str, list[int]]:
    start = pd.Timestamp(as_of - timedelta(days=t.koc_days - 1))
    shares = events[(events["type"] == "share") & (events["occurred_at"] >= start)]
    share_count = shares.groupby("customer_id").size()
    paying = referrals[referrals["paid_orders"] > 0].groupby("referrer_id").size()
    score = share_count.add(paying * t.koc_referral_weight, fill_value=0)
    return KOC_CANDIDATE, _ids(score >= t.koc_min_score)
