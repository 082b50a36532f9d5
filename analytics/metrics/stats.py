"""Statistics for experiments and campaign uplift (A/B 测试): tests, SRM, sample size, power.

Arm "a" is the control (or holdout), arm "b" the treatment; every difference is b − a and
every lift is b / a − 1. ``alternative`` is "two-sided", "larger" (b > a) or "smaller"
(b < a). Conventions, chosen to match the usual references exactly:

- Two-proportion z-test: the statistic uses the *pooled* proportion under H0 (statsmodels'
  ``proportions_ztest`` default); the confidence interval for the difference is the
  *unpooled* Wald interval p_b − p_a ± z · √(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b)
  (statsmodels ``confint_proportions_2indep(method="wald")``), since under H1 the two
  arms have different variances.
- Welch's t-test: sample variances with ddof = 1, Welch–Satterthwaite degrees of freedom
  (``scipy.stats.ttest_ind(equal_var=False)``).
- Intervals are two-sided at 1 − alpha for a two-sided test, and one-sided (the other end
  infinite) for a one-sided test, so that "the interval excludes 0" and "p < alpha" agree.
- Sample size and power: the normal approximation of the pooled z-test above, pooled
  variance under H0 and unpooled under H1 (Fleiss' formula without continuity
  correction; statsmodels ``samplesize_proportions_2indep_onetail`` and
  ``power_proportions_2indep``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, inf, isfinite, sqrt
from typing import Literal

import numpy as np
from scipy import stats
from scipy.optimize import brentq

Alternative = Literal["two-sided", "larger", "smaller"]
ALTERNATIVES = ("two-sided", "larger", "smaller")


@dataclass(frozen=True)
class ProportionTest:
    p_a: float
    p_b: float
    difference: float
    lift: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MeanTest:
    mean_a: float
    mean_b: float
    difference: float
    lift: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class SrmCheck:
    chi2: float
    df: int
    p_value: float
    mismatch: bool
    expected: tuple[float, ...]


@dataclass(frozen=True)
class SampleSize:
    """Customers needed per arm (rounded up); ``n_a_exact`` before rounding."""

    n_a: int
    n_b: int
    total: int
    p_a: float
    p_b: float
    n_a_exact: float


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}.")


def _p_value(statistic: float, distribution, alternative: Alternative) -> float:
    if alternative == "larger":
        return float(distribution.sf(statistic))
    if alternative == "smaller":
        return float(distribution.cdf(statistic))
    return float(2 * distribution.sf(abs(statistic)))


def _interval(
    estimate: float, se: float, distribution, alpha: float, alternative: Alternative
) -> tuple[float, float]:
    if alternative == "two-sided":
        half = distribution.isf(alpha / 2) * se
        return estimate - half, estimate + half
    margin = distribution.isf(alpha) * se
    return (estimate - margin, inf) if alternative == "larger" else (-inf, estimate + margin)


def _lift(a: float, b: float) -> float:
    return b / a - 1 if a else float("nan")


def two_proportion_ztest(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    *,
    alternative: Alternative = "two-sided",
    alpha: float = 0.05,
) -> ProportionTest:
    """Compare conversion of arm b against arm a (pooled z, unpooled Wald CI; module doc).

    z and p_value are NaN when both arms convert 0% or 100% (no variance to test with).
    """
    _check_alternative(alternative)
    if n_a <= 0 or n_b <= 0 or not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        raise ValueError("Need 0 ≤ successes ≤ n and n > 0 in both arms.")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    difference = p_b - p_a
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_null = sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = difference / se_null if se_null > 0 else float("nan")
    p_value = _p_value(z, stats.norm, alternative) if se_null > 0 else float("nan")
    se = sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    low, high = _interval(difference, se, stats.norm, alpha, alternative)
    return ProportionTest(p_a, p_b, difference, _lift(p_a, p_b), z, p_value, low, high)


def welch_ttest_from_stats(
    mean_a: float,
    var_a: float,
    n_a: int,
    mean_b: float,
    var_b: float,
    n_b: int,
    *,
    alternative: Alternative = "two-sided",
    alpha: float = 0.05,
) -> MeanTest:
    """Welch's t-test of mean_b − mean_a from summary statistics (variances with ddof = 1)."""
    _check_alternative(alternative)
    if n_a < 2 or n_b < 2:
        raise ValueError("Welch's t-test needs at least 2 observations per arm.")
    vn_a, vn_b = var_a / n_a, var_b / n_b
    se = sqrt(vn_a + vn_b)
    difference = mean_b - mean_a
    if se == 0:
        nan = float("nan")
        return MeanTest(mean_a, mean_b, difference, _lift(mean_a, mean_b), nan, nan, nan, nan, nan)
    df = (vn_a + vn_b) ** 2 / (vn_a**2 / (n_a - 1) + vn_b**2 / (n_b - 1))
    t = difference / se
    distribution = stats.t(df)
    p_value = _p_value(t, distribution, alternative)
    low, high = _interval(difference, se, distribution, alpha, alternative)
    return MeanTest(mean_a, mean_b, difference, _lift(mean_a, mean_b), t, df, p_value, low, high)


def welch_ttest(
    sample_a: Sequence[float] | np.ndarray,
    sample_b: Sequence[float] | np.ndarray,
    *,
    alternative: Alternative = "two-sided",
    alpha: float = 0.05,
) -> MeanTest:
    """Welch's t-test of mean(b) − mean(a), e.g. revenue per customer of two arms."""
    a = np.asarray(sample_a, dtype="float64")
    b = np.asarray(sample_b, dtype="float64")
    return welch_ttest_from_stats(
        float(a.mean()),
        float(a.var(ddof=1)) if a.size > 1 else float("nan"),
        a.size,
        float(b.mean()),
        float(b.var(ddof=1)) if b.size > 1 else float("nan"),
        b.size,
        alternative=alternative,
        alpha=alpha,
    )


def srm_check(
    observed_counts: Sequence[int], expected_shares: Sequence[float], *, threshold: float = 0.001
) -> SrmCheck:
    """Sample-ratio mismatch: chi-square goodness of fit of arm sizes to the allocation.

    ``expected_shares`` (e.g. [0.9, 0.1] for a 10% holdout) are normalised to sum 1.
    ``mismatch`` when p < ``threshold`` (0.001 by convention: SRM checks run on every
    experiment, so a strict level keeps false alarms rare); a mismatch means the assignment
    or the logging is broken and the results should not be trusted.
    """
    observed = np.asarray(observed_counts, dtype="float64")
    shares = np.asarray(expected_shares, dtype="float64")
    if observed.shape != shares.shape or observed.size < 2 or np.any(shares <= 0):
        raise ValueError("Need one positive expected share per arm, at least 2 arms.")
    expected = observed.sum() * shares / shares.sum()
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    df = observed.size - 1
    p_value = float(stats.chi2.sf(chi2, df))
    return SrmCheck(chi2, df, p_value, p_value < threshold, tuple(float(e) for e in expected))


def _proportions(baseline: float, mde: float, relative: bool) -> tuple[float, float]:
    p_b = baseline * (1 + mde) if relative else baseline + mde
    if not (0 < baseline < 1 and 0 < p_b < 1 and p_b != baseline):
        raise ValueError(
            f"Need 0 < baseline < 1 and a non-zero effect keeping it in (0, 1); "
            f"got baseline {baseline}, treatment {p_b}."
        )
    return baseline, p_b


def _standard_errors(p_a: float, p_b: float, n_a: float, ratio: float) -> tuple[float, float]:
    """SE of p_b − p_a under H0 (pooled) and H1 (unpooled) with n_b = ratio · n_a."""
    n_b = ratio * n_a
    pooled = (p_a * n_a + p_b * n_b) / (n_a + n_b)
    se_null = sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    se_alt = sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return se_null, se_alt


def min_sample_size_proportions(
    baseline: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    relative: bool = True,
    alternative: Alternative = "two-sided",
) -> SampleSize:
    """Customers per arm to detect ``mde`` on a ``baseline`` conversion rate.

    ``mde`` is relative (0.1 = +10% of the baseline) or absolute (percentage points as a
    fraction) per ``relative``; ``ratio`` = n_b / n_a. Closed form on the tail where the
    effect lies (the far tail of a two-sided test is negligible):
    n_a = ((z_α · σ0 + z_β · σ1) / δ)², σ0² = p̄(1−p̄)(1 + 1/ratio), σ1² = p_a(1−p_a) +
    p_b(1−p_b)/ratio, p̄ = (p_a + ratio · p_b) / (1 + ratio), z_α = z_(1−α/2) two-sided.
    """
    _check_alternative(alternative)
    p_a, p_b = _proportions(baseline, mde, relative)
    se_null, se_alt = _standard_errors(p_a, p_b, 1.0, ratio)  # per customer of arm a
    z_alpha = stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha)
    z_beta = stats.norm.isf(1 - power)
    n_a = ((z_alpha * se_null + z_beta * se_alt) / (p_b - p_a)) ** 2
    size_a, size_b = ceil(n_a), ceil(n_a * ratio)
    return SampleSize(size_a, size_b, size_a + size_b, p_a, p_b, n_a)


def power_proportions(
    baseline: float,
    mde: float,
    n_a: float,
    *,
    alpha: float = 0.05,
    ratio: float = 1.0,
    relative: bool = True,
    alternative: Alternative = "two-sided",
) -> float:
    """Power of the two-proportion z-test with n_a customers in arm a and ratio · n_a in b.

    Both tails count for a two-sided test: Φ((δ − z·σ0)/σ1) + Φ((−δ − z·σ0)/σ1).
    """
    _check_alternative(alternative)
    p_a, p_b = _proportions(baseline, mde, relative)
    se_null, se_alt = _standard_errors(p_a, p_b, n_a, ratio)
    delta = p_b - p_a
    z = stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha)
    upper = stats.norm.cdf((delta - z * se_null) / se_alt)
    lower = stats.norm.cdf((-delta - z * se_null) / se_alt)
    if alternative == "larger":
        return float(upper)
    if alternative == "smaller":
        return float(lower)
    return float(upper + lower)


def minimum_detectable_effect(
    baseline: float,
    n_a: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    relative: bool = True,
) -> float:
    """The smallest increase over ``baseline`` detected with ``power`` (two-sided test).

    Solves :func:`power_proportions` = ``power`` for the effect (relative or absolute per
    ``relative``); NaN when even a treatment rate near 100% would not reach the power.
    """
    ceiling = (1 - baseline) * (1 - 1e-9)  # largest absolute effect keeping p_b < 1

    def shortfall(effect: float) -> float:
        mde = effect / baseline if relative else effect
        return (
            power_proportions(baseline, mde, n_a, alpha=alpha, ratio=ratio, relative=relative)
            - power
        )

    if shortfall(ceiling) < 0:
        return float("nan")
    effect = brentq(shortfall, 1e-12, ceiling, xtol=1e-14, rtol=1e-12)
    result = effect / baseline if relative else effect
    return float(result) if isfinite(result) else float("nan")
