"""After the sale: returns and reviews of completed orders.

About 8% of the lines of paid orders are returned. Apparel comes back most (wrong size);
food hardly ever. The problem products of the catalogue come back about a third of the
time and collect mostly poor reviews, so the quality flags (≥ 20% returns, < 70%
positive reviews, ≥ 30 units) have something to find. Refunded orders get one
order-level refund row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo import reference as ref
from campaigns.demo.catalog import Catalog
from campaigns.demo.lines import Lines
from campaigns.demo.orders import COMPLETED, REFUNDED, Orders, Totals
from campaigns.demo.tables import NULL, Table, ids, lookup, text
from campaigns.demo.timeline import DAY, HOUR, Timeline
from catalog.models import Return, Review

RETURNED_SHARE = 0.08
PROBLEM_RETURN_RATE = 0.33
REASONS = ("quality", "size", "not_as_described", "damaged", "changed_mind", "cancelled", "other")
REASON_MIX = {
    "problem": (0.45, 0.0, 0.35, 0.10, 0.10, 0.0, 0.0),
    "apparel": (0.15, 0.50, 0.10, 0.05, 0.20, 0.0, 0.0),
    "other": (0.25, 0.0, 0.20, 0.20, 0.30, 0.0, 0.05),
    "order": (0.0, 0.0, 0.0, 0.0, 0.55, 0.35, 0.10),
}
RATINGS = np.arange(1, 6)
RATING_MIX = {
    "happy": np.array([0.03, 0.04, 0.10, 0.28, 0.55]),
    "unhappy": np.array([0.25, 0.25, 0.20, 0.15, 0.15]),
}
REVIEW_SHARE = 0.12


@dataclass
class Aftersales:
    returns: Table
    reviews: Table
    returned_line: np.ndarray  # bool per line
    review_customer: np.ndarray  # customer index per review (ids follow this order)
    review_at: np.ndarray
    review_media: np.ndarray


def _between(rng, low, high):
    """Uniform instants in [low, high) (element-wise; high > low)."""
    return low + np.floor(rng.random(len(low)) * (high - low)).astype(np.int64)


def _mix(rng, keys: np.ndarray, mixes: dict[str, tuple], names: list[str]) -> np.ndarray:
    out = np.empty(len(keys), dtype=np.int64)
    for k, name in enumerate(names):
        rows = np.flatnonzero(keys == k)
        p = np.asarray(mixes[name], dtype=float)
        out[rows] = rng.choice(len(p), len(rows), p=p / p.sum())
    return out


def generate_aftersales(
    rng: np.random.Generator,
    tl: Timeline,
    catalog: Catalog,
    orders: Orders,
    totals: Totals,
    lines: Lines,
) -> Aftersales:
    """Returns and reviews, with times after delivery and before the end of ``as_of``."""
    paid_at = orders.paid_at[lines.order]
    completed = orders.status[lines.order] == COMPLETED
    problem = catalog.problem[lines.product]
    root = catalog.product_root[lines.product]

    # Returns: probabilities scaled so that RETURNED_SHARE of paid lines come back.
    can_return = completed & (paid_at != NULL) & (paid_at + DAY < tl.end)
    base = np.array([r.return_rate for r in ref.ROOTS])[root] * catalog.return_factor[lines.product]
    fixed = (can_return & problem).sum() * PROBLEM_RETURN_RATE
    target = RETURNED_SHARE * orders.is_paid[lines.order].sum()
    scale = max(target - fixed, 0.0) / max(base[can_return & ~problem].sum(), 1e-9)
    p = np.where(problem, PROBLEM_RETURN_RATE, np.minimum(base * scale, 0.6))
    returned = can_return & (rng.random(len(lines)) < p)
    rl = np.flatnonzero(returned)
    qty = lines.quantity[rl]
    back_qty = np.where(
        (qty > 1) & (rng.random(len(rl)) < 0.3), 1 + np.floor(rng.random(len(rl)) * (qty - 1)), qty
    ).astype(np.int64)
    refund = np.rint(back_qty * (lines.gross[rl] - lines.discount[rl]) / qty).astype(np.int64)
    start = paid_at[rl] + DAY
    when = paid_at[rl] + rng.integers(2 * DAY, 20 * DAY, len(rl))
    late = when >= tl.end
    when[late] = _between(rng, start[late], np.full(late.sum(), tl.end))
    kind = np.where(problem[rl], 0, np.where(root[rl] == 0, 1, 2))
    reason = _mix(rng, kind, REASON_MIX, ["problem", "apparel", "other"])

    # Refunded orders: one order-level refund of what was paid.
    ro = np.flatnonzero(orders.status == REFUNDED)
    ro_when = np.minimum(orders.created[ro] + rng.integers(2 * HOUR, 3 * DAY, len(ro)), tl.end - 1)
    ro_reason = _mix(rng, np.zeros(len(ro), dtype=np.int64), REASON_MIX, ["order"])

    created = np.r_[when, ro_when]
    by_time = np.argsort(created, kind="stable")
    returns = Table(
        Return,
        {
            "order_id": (np.r_[lines.order[rl], ro] + 1)[by_time],
            "order_line_id": np.r_[rl + 1, np.full(len(ro), NULL)][by_time],
            "quantity": np.r_[back_qty, np.zeros(len(ro), dtype=np.int64)][by_time],
            "reason": lookup(REASONS, np.r_[reason, ro_reason])[by_time],
            "refund_amount": np.r_[refund, totals.paid[ro]][by_time],
            "created_at": created[by_time],
        },
    )
    returns.columns = {"id": ids(len(created)), **returns.columns}

    # Reviews: a share of completed lines, more of the disappointing ones.
    can_review = completed & (paid_at != NULL) & (paid_at + 3 * DAY < tl.end)
    share = np.where(returned | problem, 0.40, REVIEW_SHARE)
    rv = np.flatnonzero(can_review & (rng.random(len(lines)) < share))
    unhappy = (returned[rv] | problem[rv]).astype(np.int64)
    rating = 1 + _mix(rng, unhappy, RATING_MIX, ["happy", "unhappy"])
    start = paid_at[rv] + 3 * DAY
    at = start + rng.integers(0, 27 * DAY, len(rv))
    late = at >= tl.end
    at[late] = _between(rng, start[late], np.full(late.sum(), tl.end))
    media = rng.random(len(rv)) < 0.18
    replied = rng.random(len(rv)) < np.where(rating <= 2, 0.6, 0.3)
    replied_at = at + rng.integers(2 * HOUR, 72 * HOUR, len(rv))
    replied &= replied_at < tl.end
    texts = _texts(rng, rating)
    by_time = np.argsort(at, kind="stable")
    customer = orders.customer[lines.order[rv]]
    reviews = Table(
        Review,
        {
            "id": ids(len(rv)),
            "order_line_id": (rv + 1)[by_time],
            "customer_id": (customer + 1)[by_time],
            "rating": rating[by_time],
            "has_media": media[by_time],
            "text": texts[by_time],
            "created_at": at[by_time],
            "reply": np.where(replied, lookup(ref.REVIEW_REPLIES, rng.integers(0, 3, len(rv))), "")[
                by_time
            ],
            "replied_at": np.where(replied, replied_at, NULL)[by_time],
        },
    )
    return Aftersales(
        returns=returns,
        reviews=reviews,
        returned_line=returned,
        review_customer=customer[by_time],
        review_at=at[by_time],
        review_media=media[by_time],
    )


def _texts(rng, rating: np.ndarray) -> np.ndarray:
    out = np.empty(len(rating), dtype=object)
    for stars, options in ref.REVIEW_TEXTS.items():
        rows = np.flatnonzero(rating == stars)
        out[rows] = text(options)[rng.integers(0, len(options), len(rows))]
    return out
