"""Experiment verdicts in plain words, and an A/A simulation of their false positives."""

from math import erf, sqrt

import numpy as np
import pytest

from analytics.metrics.stats import min_sample_size_proportions
from campaigns.verdicts import conversion_verdict, revenue_verdict


def two_sided_p(z: float) -> float:
    return 2 * (1 - 0.5 * (1 + erf(abs(z) / sqrt(2))))


def test_a_clear_winner_is_named_with_its_confidence():
    verdict = conversion_verdict(a=("A", 100, 1000), b=("B", 130, 1000))
    pooled = 230 / 2000
    z = 0.03 / sqrt(pooled * (1 - pooled) * (2 / 1000))  # 2.103
    assert verdict.test.p_value == pytest.approx(two_sided_p(z), rel=1e-9)
    assert verdict.winner == "B" and verdict.confidence == 0.96  # 1 − 0.0355, floored
    assert verdict.text == "B converts better, 96% confidence"
    assert conversion_verdict(a=("A", 130, 1000), b=("B", 100, 1000)).winner == "A"


def test_too_little_data_says_how_many_more_customers():
    verdict = conversion_verdict(a=("A", 100, 1000), b=("B", 110, 1000))
    needed = min_sample_size_proportions(0.10, 0.01, relative=False)
    assert verdict.winner is None
    assert verdict.more_customers_needed == (needed.n_a - 1000) + (needed.n_b - 1000)
    assert (
        verdict.text
        == f"not enough data: about {verdict.more_customers_needed:,} more customers needed"
    )
    assert 25_000 < verdict.more_customers_needed < 30_000  # about 14,750 per arm
    same = conversion_verdict(a=("A", 100, 1000), b=("B", 100, 1000))
    assert (same.winner, same.text) == (None, "no difference in conversion so far")


def test_a_broken_split_names_no_winner():
    verdict = conversion_verdict(a=("A", 100, 1000), b=("B", 300, 800))
    assert verdict.sample_ratio_mismatch and verdict.winner is None
    assert "sample-ratio mismatch" in verdict.text
    holdout = conversion_verdict(
        a=("holdout", 10, 100), b=("treated", 90, 900), allocation=(0.1, 0.9)
    )
    assert not holdout.sample_ratio_mismatch


def test_revenue_per_customer():
    rng = np.random.default_rng(1)
    low = rng.exponential(20, 3000)
    high = rng.exponential(24, 3000)
    verdict = revenue_verdict(a=("control", low), b=("new page", high))
    assert verdict.winner == "new page" and verdict.text.startswith(
        "new page earns more per customer"
    )
    flat = revenue_verdict(a=("A", low[:1500]), b=("B", low[1500:]))
    assert flat.winner is None and flat.text == "no clear difference in revenue per customer"


def test_a_a_simulation_false_positive_rate_is_five_percent():
    rng = np.random.default_rng(2026)
    runs, n, rate = 1000, 2000, 0.10
    conversions = rng.binomial(n, rate, size=(runs, 2))
    winners = sum(
        conversion_verdict(a=("A", int(x), n), b=("B", int(y), n)).winner is not None
        for x, y in conversions
    )
    assert 0.035 <= winners / runs <= 0.065  # 5% ± 1.5%
