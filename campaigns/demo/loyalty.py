"""Membership tiers and the points ledger, consistent with the orders.

A customer's tier is the highest whose threshold their rolling 12-month spend (Σ paid
totals of paid orders in the 365 days before) reaches; each paid order earns
``floor(paid yuan × multiplier)`` points at the tier held when it was placed. Reviews
and referrals earn points too, and whenever a customer's lifetime earnings pass another
3,000 points they spend 1,000 on a voucher. Because at most a third of what was earned
is ever spent, ``balance_after`` can never go negative, and the customer's
``points_balance`` is the ledger's sum by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo import reference as ref
from campaigns.demo.aftersales import Aftersales
from campaigns.demo.orders import Orders, Totals
from campaigns.demo.tables import (
    Lazy,
    Table,
    group_starts,
    grouped_cumsum,
    ids,
    lookup,
    numbered,
    repeat_text,
    text,
)
from campaigns.demo.timeline import DAY, HOUR, Timeline
from customers.models import MembershipTier, PointsEntry

YEAR = 365 * DAY
KEY = 2**33  # customer × KEY + instant: one sortable int64 per (customer, time)
MEDIA_REVIEW_POINTS, REFERRAL_POINTS = 30, 200
REDEEM_EVERY, REDEEM_POINTS = 3000, 1000
KINDS = ("order", "review", "referral", "redemption")
ORDER, REVIEW, REFERRAL, REDEMPTION = range(4)


@dataclass
class Loyalty:
    ledger: Table
    customer_tier: np.ndarray  # tier rank per customer
    tier_since: np.ndarray
    balance: np.ndarray  # points per customer
    last_entry: np.ndarray  # instant of the customer's last ledger row (or -1)


def tier_table() -> Table:
    tiers = ref.TIERS
    return Table(
        MembershipTier,
        {
            "id": ids(len(tiers)),
            "name": text(t.name for t in tiers),
            "rank": np.array([t.rank for t in tiers], dtype=np.int64),
            "qualify_by": text(["spend"] * len(tiers)),
            "min_spend_12m": np.array([t.min_spend_12m * 100 for t in tiers], dtype=np.int64),
            "min_points": np.zeros(len(tiers), dtype=np.int64),
            "points_multiplier": np.array(
                [round(float(t.multiplier) * 100) for t in tiers], dtype=np.int64
            ),
            "benefits": text(t.benefits for t in tiers),
        },
    )


def generate_loyalty(
    rng: np.random.Generator,
    tl: Timeline,
    registered: np.ndarray,
    referred_by: np.ndarray,
    orders: Orders,
    totals: Totals,
    after: Aftersales,
) -> Loyalty:
    """Tiers now and at each order, and every ledger row with its running balance."""
    n_customers = len(registered)
    thresholds = np.array([t.min_spend_12m * 100 for t in ref.TIERS])
    multiplier = np.array([float(t.multiplier) for t in ref.TIERS])

    paid = np.flatnonzero(orders.is_paid)
    paid = paid[np.lexsort((orders.paid_at[paid], orders.customer[paid]))]
    who, when, amount = orders.customer[paid], orders.paid_at[paid], totals.paid[paid]
    keys = who * KEY + when
    prefix = np.r_[0, np.cumsum(amount)]
    window_start = np.searchsorted(keys, who * KEY + when - YEAR, side="left")
    before = prefix[np.arange(len(paid))] - prefix[window_start]
    after_order = before + amount
    tier_then = np.searchsorted(thresholds, before, side="right") - 1
    earned = np.floor(amount * multiplier[tier_then] / 100).astype(np.int64)

    everyone = np.arange(n_customers)
    lo = np.searchsorted(keys, everyone * KEY + tl.end - YEAR, side="left")
    hi = np.searchsorted(keys, everyone * KEY + tl.end, side="left")
    tier_now = np.searchsorted(thresholds, prefix[hi] - prefix[lo], side="right") - 1
    # Since when: the last order that lifted the rolling spend into today's tier.
    reached = np.searchsorted(thresholds, after_order, side="right") - 1 >= tier_now[who]
    prev_reached = np.r_[False, reached[:-1]] & ~group_starts(who)
    lifted = reached & ~prev_reached & (tier_now[who] > 0)
    tier_since = registered.copy()
    np.maximum.at(tier_since, who[lifted], when[lifted])

    # Referral bonus: to the referrer, when the referred customer's first order is paid.
    first_paid = group_starts(who)
    referee = who[first_paid]
    referrer = referred_by[referee]
    has = referrer > 0
    media = np.flatnonzero(after.review_media)  # reviews with photos or video earn points
    # (kind, customer, at, delta, source): source is what the key and reference name —
    # the order id, review id or referred customer id (the redemption number comes later).
    entries = [
        (ORDER, who, when, earned, paid + 1),
        (REVIEW, after.review_customer[media], after.review_at[media],
         np.full(len(media), MEDIA_REVIEW_POINTS), media + 1),
        (REFERRAL, referrer[has] - 1, when[first_paid][has] + 1,
         np.full(has.sum(), REFERRAL_POINTS), referee[has] + 1),
    ]  # fmt: skip
    kind, customer, at, delta, source = (
        np.concatenate(
            [np.broadcast_to(np.asarray(e[i], dtype=np.int64), len(e[1])) for e in entries]
        )
        for i in range(5)
    )
    at = np.minimum(at, tl.end - 1)
    keep = delta != 0
    kind, customer, at, delta, source = (a[keep] for a in (kind, customer, at, delta, source))

    # Redemptions: each time lifetime earnings pass another REDEEM_EVERY points.
    order = np.lexsort((kind, at, customer))
    kind, customer, at, delta, source = (a[order] for a in (kind, customer, at, delta, source))
    lifetime = grouped_cumsum(delta, customer)
    crossings = lifetime // REDEEM_EVERY - np.where(
        group_starts(customer), 0, np.r_[0, lifetime[:-1]] // REDEEM_EVERY
    )
    r = np.flatnonzero(crossings > 0)
    r_at = np.minimum(at[r] + rng.integers(HOUR, 72 * HOUR, len(r)), tl.end - 1)
    seq = np.r_[np.zeros(len(at), dtype=np.int64), lifetime[r] // REDEEM_EVERY]
    kind = np.r_[kind, np.full(len(r), REDEMPTION)]
    source = np.r_[source, customer[r] + 1]
    customer = np.r_[customer, customer[r]]
    at = np.r_[at, r_at]
    delta = np.r_[delta, -REDEEM_POINTS * crossings[r]]

    order = np.lexsort((kind, at, customer))
    kind, customer, at, delta, source, seq = (
        a[order] for a in (kind, customer, at, delta, source, seq)
    )
    balance_after = grouped_cumsum(delta, customer)
    if (balance_after < 0).any():  # the one-third rule makes this impossible
        raise AssertionError("points ledger would go negative")
    balance = np.zeros(n_customers, dtype=np.int64)
    last_entry = np.full(n_customers, -1, dtype=np.int64)
    ends = np.r_[customer[1:] != customer[:-1], True] if len(customer) else np.zeros(0, bool)
    balance[customer[ends]] = balance_after[ends]
    last_entry[customer[ends]] = at[ends]

    by_time = np.lexsort((kind, customer, at))  # ids in time order
    kind, source, seq = kind[by_time], source[by_time], seq[by_time]
    ledger = Table(
        PointsEntry,
        {
            "id": ids(len(at)),
            "customer_id": customer[by_time] + 1,
            "delta": delta[by_time],
            "balance_after": balance_after[by_time],
            "reason": lookup(KINDS, kind),
            "reference": Lazy(
                len(kind), lambda lo, hi: _texts(kind, source, seq, lo, hi, key=False)
            ),
            "idempotency_key": Lazy(
                len(kind), lambda lo, hi: _texts(kind, source, seq, lo, hi, key=True)
            ),
            "note": repeat_text("", len(kind)),
            "created_at": at[by_time],
        },
    )
    return Loyalty(
        ledger=ledger,
        customer_tier=tier_now,
        tier_since=tier_since,
        balance=balance,
        last_entry=last_entry,
    )


def _texts(kind, source, seq, lo: int, hi: int, *, key: bool) -> np.ndarray:
    """Idempotency keys (``key``) or references of ledger rows lo..hi, e.g.
    ``order:SO000000042`` / ``SO000000042``; built per chunk when written."""
    kind, source, seq = kind[lo:hi], source[lo:hi], seq[lo:hi]
    out = np.empty(hi - lo, dtype=object)
    for k, prefix, ref_prefix, width in (
        (ORDER, "order:", "", 9),
        (REVIEW, "review:", "review ", 0),
        (REFERRAL, "referral:", "", 7),
        (REDEMPTION, "redemption:", "", 7),
    ):
        rows = np.flatnonzero(kind == k)
        if not len(rows):
            continue
        if width:
            code = numbered("SO" if k == ORDER else "C", source[rows], width)
        else:
            code = text(map(str, source[rows].tolist()))
        if k == REDEMPTION:
            n = text(map(str, seq[rows].tolist()))
            out[rows] = (prefix + code + ":" + n) if key else ("voucher " + n)
        else:
            out[rows] = (prefix + code) if key else (ref_prefix + code)
    return out
