"""Plain-language verdicts for experiments and campaign arms (pure; no database).

Each verdict wraps a test of ``analytics.metrics.stats`` and says what a person should
conclude: "B converts better, 97% confidence", "no clear difference", or "not enough data:
about N more customers needed". Arm "a" is the control (or holdout).

- Conversion: the two-proportion z-test. When it is significant at ``alpha`` the better
  arm wins, with confidence = 1 − p (floored to a whole percent). When it is not, the
  customers still needed are estimated from the difference observed so far: the sample
  size per arm that would detect it at ``alpha`` with ``power``, minus the smaller arm
  (times two arms). With no difference at all there is nothing to wait for.
- Revenue per customer: Welch's t-test, same wording.
- A sample-ratio mismatch (``srm_check`` on the arm sizes against the allocation) comes
  first: the split itself is broken, so no winner is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import floor

from analytics.metrics.stats import (
    MeanTest,
    ProportionTest,
    min_sample_size_proportions,
    srm_check,
    two_proportion_ztest,
    welch_ttest,
)


@dataclass(frozen=True)
class Verdict:
    winner: str | None  # the better arm's name, or None
    confidence: float  # 1 − p, when there is a winner
    more_customers_needed: int | None
    sample_ratio_mismatch: bool
    text: str
    test: ProportionTest | MeanTest | None


def _confidence(p_value: float) -> float:
    return floor((1 - p_value) * 100) / 100


def conversion_verdict(
    *,
    a: tuple[str, int, int],
    b: tuple[str, int, int],
    allocation: Sequence[float] = (0.5, 0.5),
    alpha: float = 0.05,
    power: float = 0.8,
) -> Verdict:
    """``a`` and ``b`` are (name, converted customers, customers)."""
    (name_a, won_a, n_a), (name_b, won_b, n_b) = a, b
    srm = srm_check([n_a, n_b], list(allocation))
    if srm.mismatch:
        return Verdict(None, 0.0, None, True, _srm_text(n_a, n_b, allocation), None)
    test = two_proportion_ztest(won_a, n_a, won_b, n_b, alpha=alpha)
    if test.p_value == test.p_value and test.p_value < alpha:
        better = name_b if test.difference > 0 else name_a
        confidence = _confidence(test.p_value)
        text = f"{better} converts better, {confidence:.0%} confidence"
        return Verdict(better, confidence, None, False, text, test)
    if test.difference == 0 or not 0 < test.p_a < 1:
        return Verdict(None, 0.0, None, False, "no difference in conversion so far", test)
    needed = min_sample_size_proportions(
        test.p_a, abs(test.difference), alpha=alpha, power=power, relative=False,
        ratio=n_b / n_a,
    )  # fmt: skip
    more = max(0, needed.n_a - n_a) + max(0, needed.n_b - n_b)
    if more == 0:
        return Verdict(None, 0.0, 0, False, "no clear difference in conversion", test)
    text = f"not enough data: about {more:,} more customers needed"
    return Verdict(None, 0.0, more, False, text, test)


def revenue_verdict(
    *,
    a: tuple[str, Sequence[float]],
    b: tuple[str, Sequence[float]],
    allocation: Sequence[float] = (0.5, 0.5),
    alpha: float = 0.05,
) -> Verdict:
    """``a`` and ``b`` are (name, revenue of each customer of the arm, 0 for non-buyers)."""
    (name_a, values_a), (name_b, values_b) = a, b
    n_a, n_b = len(values_a), len(values_b)
    srm = srm_check([n_a, n_b], list(allocation))
    if srm.mismatch:
        return Verdict(None, 0.0, None, True, _srm_text(n_a, n_b, allocation), None)
    test = welch_ttest(values_a, values_b, alpha=alpha)
    if test.p_value == test.p_value and test.p_value < alpha:
        better = name_b if test.difference > 0 else name_a
        confidence = _confidence(test.p_value)
        text = f"{better} earns more per customer, {confidence:.0%} confidence"
        return Verdict(better, confidence, None, False, text, test)
    return Verdict(None, 0.0, None, False, "no clear difference in revenue per customer", test)


def _srm_text(n_a: int, n_b: int, allocation: Sequence[float]) -> str:
    total = sum(allocation)
    shares = "/".join(f"{share / total:.0%}" for share in allocation)
    return (
        f"the split is broken: {n_a:,} and {n_b:,} customers for a {shares} allocation "
        "(sample-ratio mismatch); check the assignment before reading any result"
    )
