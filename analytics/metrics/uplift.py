"""Campaign uplift: an arm against its holdout, with intervals (pure; DESIGN §3).

Input per arm: one row per recipient with ``converted`` (0/1: a paid order in the
attribution window), ``revenue`` (net revenue of those orders), ``contribution`` (their
contribution: net revenue − cost of goods − commission − logistics; discounts are already
out of the revenue) and ``contacted`` (0/1). Costs of the arm: ``discount_cost`` (coupon
discounts redeemed) and ``contact_cost`` (contacts × cost per contact).

- Conversion: two-proportion z-test of arm vs holdout, Wald interval of the difference.
- Revenue and contribution per customer: Welch's t-test, interval of the difference.
- Incremental revenue (contribution) = difference per customer × customers of the arm,
  with the interval scaled the same way.
- ROI on contribution = (incremental contribution − contact cost) / (discount cost +
  contact cost): what the campaign earned over what it spent. Discounts are not taken
  off twice (they are already out of the contribution); the costs are known amounts, so
  the interval of the ROI is the interval of the incremental contribution carried through
  the same formula. None when nothing was spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.metrics.stats import two_proportion_ztest, welch_ttest


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Uplift:
    conversion: Interval  # difference of rates, arm − holdout
    conversion_p_value: float
    revenue_per_customer: Interval  # difference of means
    revenue_p_value: float
    incremental_revenue: Interval
    incremental_contribution: Interval
    cost: float
    roi: Interval | None


def _nan_interval() -> Interval:
    nan = float("nan")
    return Interval(nan, nan, nan)


def _scaled(estimate: float, low: float, high: float, factor: float) -> Interval:
    return Interval(estimate * factor, low * factor, high * factor)


def uplift(
    arm: dict[str, np.ndarray],
    holdout: dict[str, np.ndarray],
    *,
    discount_cost: float,
    contact_cost: float,
    alpha: float = 0.05,
) -> Uplift:
    """``arm`` and ``holdout`` map converted / revenue / contribution to per-customer arrays."""
    n_arm, n_hold = len(arm["converted"]), len(holdout["converted"])
    cost = float(discount_cost) + float(contact_cost)
    if n_arm == 0 or n_hold == 0:
        nan = _nan_interval()
        return Uplift(nan, float("nan"), nan, float("nan"), nan, nan, cost, None)
    conversion = two_proportion_ztest(
        int(np.sum(holdout["converted"])), n_hold, int(np.sum(arm["converted"])), n_arm,
        alpha=alpha,
    )  # fmt: skip
    intervals = {}
    p_values = {}
    for column in ("revenue", "contribution"):
        if n_arm > 1 and n_hold > 1:
            test = welch_ttest(holdout[column], arm[column], alpha=alpha)
            low, high = test.ci_low, test.ci_high
            if not np.isfinite(low):  # no variance in either arm: the difference is exact
                low = high = test.difference
            intervals[column] = (test.difference, low, high)
            p_values[column] = test.p_value
        else:
            difference = float(np.mean(arm[column]) - np.mean(holdout[column]))
            intervals[column] = (difference, float("nan"), float("nan"))
            p_values[column] = float("nan")
    incremental_contribution = _scaled(*intervals["contribution"], n_arm)
    roi = None
    if cost > 0:
        roi = Interval(
            *(
                (value - float(contact_cost)) / cost
                for value in (
                    incremental_contribution.estimate,
                    incremental_contribution.low,
                    incremental_contribution.high,
                )
            )
        )
    return Uplift(
        conversion=Interval(conversion.difference, conversion.ci_low, conversion.ci_high),
        conversion_p_value=conversion.p_value,
        revenue_per_customer=Interval(*intervals["revenue"]),
        revenue_p_value=p_values["revenue"],
        incremental_revenue=_scaled(*intervals["revenue"], n_arm),
        incremental_contribution=incremental_contribution,
        cost=cost,
        roi=roi,
    )
