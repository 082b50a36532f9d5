"""RFM (最近一次消费 recency, 消费频率 frequency, 消费金额 monetary): table, scores, labels.

- :func:`rfm_table` — recency_days, frequency, monetary per customer (DESIGN §3).
- :func:`rfm_scores` — 1–5 scores by quintile, ties sharing a score;
  :func:`rfm_scores_fixed` — the same from business-set cut points.
- :func:`rfm_class` — the 8-class scheme (重要价值 …); :func:`rfm_segment` — the 11 segments.
- ``RECOMMENDED_ACTIONS`` — the action shown next to every class and segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from analytics.metrics.summary import order_summary

SCORE_COLUMNS = {"r": "recency_days", "f": "frequency", "m": "monetary"}

# 8-class codes (analytics.models.RfmClass), indexed by 4·R + 2·F + M with 1 = high.
RFM_CLASSES = (
    "general_win_back",  # L L L 一般挽留
    "important_win_back",  # L L H 重要挽留
    "general_retain",  # L H L 一般保持
    "important_retain",  # L H H 重要保持
    "general_develop",  # H L L 一般发展
    "important_develop",  # H L H 重要发展
    "general_value",  # H H L 一般价值
    "important_value",  # H H H 重要价值
)

# 11-segment codes (analytics.models.RfmSegment): rows R = 1..5, columns FM = 1..5.
SEGMENT_GRID = (
    ("lost", "lost", "at_risk", "at_risk", "cannot_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
)


def _(text: str) -> str:
    """Marks a text for the translation catalogs (shown through ``Segment.action_text``);
    the metric itself stays free of Django."""
    return text


RECOMMENDED_ACTIONS = {
    # 8-class scheme
    "important_value": _(
        "Exclusive benefits and an invitation to the VIP group; early access to new products."
    ),
    "important_develop": _(
        "Raise purchase frequency: membership upgrade path, points multipliers, replenishment reminders."
    ),
    "important_retain": _(
        "Bring them back now: personal outreach by the group owner with a high-value coupon."
    ),
    "important_win_back": _(
        "Win back a big spender: targeted high-value coupon and a survey on why they left."
    ),
    "general_value": _(
        "Raise basket size: bundles, threshold coupons (spend X save Y), premium products."
    ),
    "general_develop": _(
        "Nurture: welcome series, second-order coupon, invitation to an interest group."
    ),
    "general_retain": _(
        "Keep in touch at low cost: group content, points reminders, light offers."
    ),
    "general_win_back": _(
        "Low-cost reactivation: automated limited-time discount; stop contacting if no response."
    ),
    # 11-segment scheme
    "champions": _("Reward them: VIP group, early access, referral programme; ask for reviews."),
    "loyal": _("Upsell higher-value products; loyalty points and tier benefits; ask for reviews."),
    "potential_loyalist": _(
        "Bundle or second-item coupon; membership and points to build the habit."
    ),
    "new": _("Onboarding: welcome coupon for the second order, invitation to the community group."),
    "promising": _(
        "Build awareness: free trials, samples, a small coupon on a complementary product."
    ),
    "need_attention": _(
        "Limited-time offer on products they viewed; recommendations from purchase history."
    ),
    "about_to_sleep": _("Limited-time discount with personalised picks before they lapse."),
    "at_risk": _("Personal win-back message with a strong offer; remind them of new arrivals."),
    "cannot_lose": _(
        "Win them back at any reasonable cost: top-tier coupon, call or 1:1 message, ask what went wrong."
    ),
    "hibernating": _("Limited-time discount with personalised picks; otherwise keep contact low."),
    "lost": _("One last reactivation campaign; then exclude from paid contact."),
}


def rfm_table(orders: pd.DataFrame, *, as_of: date, window_days: int | None = 365) -> pd.DataFrame:
    """Recency, frequency and monetary of each customer with ≥ 1 paid order in the window.

    orders: customer_id, paid_at (naive local), net_amount (float: paid total − refunds) —
    paid orders. The window is ``as_of - window_days + 1`` … ``as_of`` (local dates,
    inclusive); ``window_days`` 0 or None means all history up to ``as_of``.

    Returns, indexed by customer_id (sorted): recency_days (int: days from the last paid
    order to ``as_of``), frequency (int: paid orders in the window), monetary (float: net
    revenue in the window). Recency looks at all history up to ``as_of``; for a customer in
    the table the last paid order is necessarily in the window, so window and all-history
    recency agree. Customers without an order in the window get no row.
    """
    return rfm_from_summary(order_summary(orders, as_of=as_of, window_days=window_days), as_of)


def rfm_from_summary(summary: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """:func:`rfm_table` from a ``summary.order_summary`` computed with the RFM window."""
    per = summary[summary["window_orders"] > 0]
    return pd.DataFrame(
        {
            "recency_days": (pd.Timestamp(as_of) - per["last_day"]).dt.days.astype("int64"),
            "frequency": per["window_orders"].astype("int64"),
            "monetary": per["window_net"].astype("float64"),
        },
        index=per.index,
    )


def quintile_score(values: pd.Series) -> pd.Series:
    """1–5 by quintile, ties sharing a score: 1 + floor(5 · (rank_min − 1) / n).

    Higher values get higher scores; n is the number of values.
    """
    n = len(values)
    if n == 0:
        return pd.Series(index=values.index, dtype="int64")
    rank_min = values.rank(method="min").to_numpy()
    return pd.Series(1 + np.floor(5 * (rank_min - 1) / n).astype("int64"), index=values.index)


def rfm_scores(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (from :func:`rfm_table`) with scores r, f, m (int 1–5) by quintile.

    DESIGN §3: score = 1 + floor(5 · (rank_min − 1) / n), rank_min = pandas
    ``rank(method="min")``, n = customers in the table (≥ 1 paid order). Recency is ranked
    on −recency_days so that the most recent customers score 5.
    """
    return table.assign(
        r=quintile_score(-table["recency_days"]),
        f=quintile_score(table["frequency"]),
        m=quintile_score(table["monetary"]),
    )


def rfm_scores_fixed(
    table: pd.DataFrame, thresholds: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """``table`` with scores r, f, m from business-set cut points instead of quintiles.

    ``thresholds`` maps "r", "f" and "m" to 4 strictly ascending cut points c1 < c2 < c3 < c4:

    - f and m: score = 1 + number of cut points ≤ value; with f = [2, 3, 5, 8]:
      1 order → 1, 2 → 2, 3–4 → 3, 5–7 → 4, 8 or more → 5.
    - r (in days, fewer is better): score = 5 − number of cut points < recency_days;
      with r = [30, 60, 90, 180]: 0–30 days → 5, 31–60 → 4, 61–90 → 3, 91–180 → 2, > 180 → 1.
    """
    scores = {}
    for dimension, column in SCORE_COLUMNS.items():
        cuts = np.asarray(thresholds[dimension], dtype="float64")
        if cuts.shape != (4,) or not np.all(np.diff(cuts) > 0):
            raise ValueError(
                f"RFM thresholds for {dimension!r} must be 4 strictly ascending numbers, "
                f"got {list(thresholds[dimension])!r}."
            )
        values = table[column].to_numpy(dtype="float64")
        if dimension == "r":
            score = 5 - np.searchsorted(cuts, values, side="left")
        else:
            score = 1 + np.searchsorted(cuts, values, side="right")
        scores[dimension] = pd.Series(score.astype("int64"), index=table.index)
    return table.assign(**scores)


def rfm_class(
    scores: pd.DataFrame, *, high: Literal["score", "mean"] = "score", threshold: int = 3
) -> pd.Series:
    """The 8-class label (RfmClass code) of each row of ``scores`` (columns r, f, m).

    A dimension is high when its score ≥ ``threshold`` (``high="score"``), or when its score
    is above the mean of that score over all rows (``high="mean"``, strictly greater).
    Classes (R F M): important_value HHH 重要价值, important_develop HLH 重要发展,
    important_retain LHH 重要保持, important_win_back LLH 重要挽留, general_value HHL
    一般价值, general_develop HLL 一般发展, general_retain LHL 一般保持, general_win_back LLL
    一般挽留. Returns a Series of codes indexed like ``scores``.
    """
    if high not in ("score", "mean"):
        raise ValueError(f'high must be "score" or "mean", got {high!r}.')
    r, f, m = scores["r"], scores["f"], scores["m"]
    if high == "mean":
        flags = (r > r.mean(), f > f.mean(), m > m.mean())
    else:
        flags = (r >= threshold, f >= threshold, m >= threshold)
    code = 4 * flags[0].to_numpy(int) + 2 * flags[1].to_numpy(int) + flags[2].to_numpy(int)
    return pd.Series(
        np.asarray(RFM_CLASSES, dtype=object)[code], index=scores.index, name="rfm_class"
    )


def rfm_segment(scores: pd.DataFrame) -> pd.Series:
    """The 11-segment label (RfmSegment code) of each row of ``scores`` (columns r, f, m).

    The widely used R × F segment map of RFM tutorials (regexes ``[1-2][1-2]`` →
    hibernating, ``[1-2][3-4]`` → at risk, ``[1-2]5`` → can't lose, ``3[1-2]`` → about to
    sleep, ``33`` → need attention, ``[3-4][4-5]`` → loyal, ``41`` → promising, ``51`` → new,
    ``[4-5][2-3]`` → potential loyalist, ``5[4-5]`` → champions), read with the combined
    FM = ceil((F + M) / 2) in place of F so that spend counts, and with its bottom-left cell
    split so that the eleventh segment exists: R = 1 → lost, R = 2 → hibernating.

    =====  ==============  ==============  ==============  =========  ===========
    R\\FM   1               2               3               4          5
    =====  ==============  ==============  ==============  =========  ===========
    5      new             potential       potential       champions  champions
    4      promising       potential       potential       loyal      loyal
    3      about_to_sleep  about_to_sleep  need_attention  loyal      loyal
    2      hibernating     hibernating     at_risk         at_risk    cannot_lose
    1      lost            lost            at_risk         at_risk    cannot_lose
    =====  ==============  ==============  ==============  =========  ===========

    (potential = potential_loyalist.) Every (r, f, m) in 1..5 maps to exactly one segment.
    """
    r = scores["r"].to_numpy(int)
    fm = (scores["f"].to_numpy(int) + scores["m"].to_numpy(int) + 1) // 2
    grid = np.asarray(SEGMENT_GRID, dtype=object)
    return pd.Series(grid[r - 1, fm - 1], index=scores.index, name="rfm_segment")
