"""analytics.metrics.stats against statsmodels 0.15 and scipy: p-values equal to 1e-9.

Conventions matched (see the module docstring): the z statistic pools the variance
(statsmodels ``proportions_ztest``'s default, ``prop_var=False``); the interval for the
difference is the unpooled Wald interval (``confint_proportions_2indep(method="wald")``);
sample size and power use pooled variance under H0 and unpooled under H1
(``samplesize_proportions_2indep_onetail``, ``power_proportions_2indep``). statsmodels'
"sample 1" is our arm b (treatment), so its ratio nobs2 / nobs1 is our 1 / ratio.
"""

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from analytics.metrics.stats import (
    min_sample_size_proportions,
    power_proportions,
    srm_check,
    two_proportion_ztest,
    welch_ttest,
    welch_ttest_from_stats,
)

ALTERNATIVES = ["two-sided", "larger", "smaller"]
SCIPY_ALTERNATIVE = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}
PROPORTION_CASES = [
    (100, 1000, 130, 1000),
    (480, 10_000, 520, 10_000),
    (37, 412, 29, 398),
    (5, 90_000, 21, 10_000),
    (612, 700, 590, 705),
]


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("case", PROPORTION_CASES)
def test_two_proportion_ztest_matches_statsmodels(case, alternative):
    x_a, n_a, x_b, n_b = case
    ours = two_proportion_ztest(x_a, n_a, x_b, n_b, alternative=alternative)
    z, p_value = proportions_ztest([x_b, x_a], [n_b, n_a], alternative=alternative)

    assert ours.z == pytest.approx(z, rel=1e-12)
    assert abs(ours.p_value - p_value) < 1e-9
    assert ours.p_value == pytest.approx(p_value, rel=1e-9)


@pytest.mark.parametrize("case", PROPORTION_CASES)
def test_difference_interval_matches_statsmodels_wald(case):
    x_a, n_a, x_b, n_b = case
    two_sided = two_proportion_ztest(x_a, n_a, x_b, n_b, alpha=0.05)
    low, high = confint_proportions_2indep(
        x_b, n_b, x_a, n_a, method="wald", compare="diff", alpha=0.05
    )
    assert (two_sided.ci_low, two_sided.ci_high) == pytest.approx((low, high), abs=1e-12)
    # a one-sided bound at alpha is an end of the two-sided interval at 2·alpha
    larger = two_proportion_ztest(x_a, n_a, x_b, n_b, alternative="larger", alpha=0.05)
    low_90, _ = confint_proportions_2indep(
        x_b, n_b, x_a, n_a, method="wald", compare="diff", alpha=0.10
    )
    assert larger.ci_low == pytest.approx(low_90, abs=1e-12)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_ttest_matches_scipy(seed, alternative):
    rng = np.random.default_rng(seed)
    # revenue per customer: mostly zeros, a skewed tail, unequal arms and variances
    a = rng.gamma(0.3, 200, 800) * (rng.uniform(size=800) < 0.2)
    b = rng.gamma(0.3, 260, 1100) * (rng.uniform(size=1100) < 0.22)
    ours = welch_ttest(a, b, alternative=alternative)
    theirs = scipy_stats.ttest_ind(
        b, a, equal_var=False, alternative=SCIPY_ALTERNATIVE[alternative]
    )

    assert ours.t == pytest.approx(theirs.statistic, rel=1e-12)
    assert ours.df == pytest.approx(theirs.df, rel=1e-12)
    assert abs(ours.p_value - theirs.pvalue) < 1e-9
    interval = theirs.confidence_interval(confidence_level=0.95)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_welch_ttest_from_stats_matches_scipy():
    theirs = scipy_stats.ttest_ind_from_stats(31.2, 40.1, 2500, 28.9, 37.5, 2400, equal_var=False)
    ours = welch_ttest_from_stats(28.9, 37.5**2, 2400, 31.2, 40.1**2, 2500)
    assert abs(ours.p_value - theirs.pvalue) < 1e-9
    assert ours.t == pytest.approx(theirs.statistic, rel=1e-12)


@pytest.mark.parametrize(
    ("observed", "shares"),
    [
        ([5100, 4900], [0.5, 0.5]),
        ([9120, 880], [0.9, 0.1]),
        ([3300, 3350, 3210], [1, 1, 1]),
        ([50_400, 49_100], [1, 1]),
    ],
)
def test_srm_check_matches_scipy_chisquare(observed, shares):
    ours = srm_check(observed, shares)
    expected = np.sum(observed) * np.asarray(shares) / np.sum(shares)
    theirs = scipy_stats.chisquare(observed, expected)

    assert ours.chi2 == pytest.approx(theirs.statistic, rel=1e-12)
    assert abs(ours.p_value - theirs.pvalue) < 1e-9
    assert ours.mismatch == (theirs.pvalue < 0.001)


SAMPLE_SIZE_CASES = [
    # baseline, relative mde, ratio n_b / n_a, alternative (one-sided in the effect's direction)
    *[(0.10, 0.20, 1.0, alternative) for alternative in ("two-sided", "larger")],
    *[(0.03, 0.10, 1.0, alternative) for alternative in ("two-sided", "larger")],
    *[(0.25, -0.08, 2.0, alternative) for alternative in ("two-sided", "smaller")],
    *[(0.05, 0.30, 1 / 9, alternative) for alternative in ("two-sided", "larger")],
]


@pytest.mark.parametrize(("baseline", "mde", "ratio", "alternative"), SAMPLE_SIZE_CASES)
def test_sample_size_and_power_match_statsmodels(baseline, mde, ratio, alternative):
    ours = min_sample_size_proportions(
        baseline, mde, ratio=ratio, alternative=alternative, power=0.8, alpha=0.05
    )
    diff = baseline * mde
    n_treatment = samplesize_proportions_2indep_onetail(
        diff, baseline, 0.8, ratio=1 / ratio, alpha=0.05, alternative=alternative
    )
    assert ours.n_a_exact * ratio == pytest.approx(n_treatment, rel=1e-9)

    for n_a in (500, 4000, ours.n_a_exact):
        power = power_proportions(baseline, mde, n_a, ratio=ratio, alternative=alternative)
        theirs = power_proportions_2indep(
            diff, baseline, n_a * ratio, ratio=1 / ratio, alternative=alternative
        ).power
        assert abs(power - theirs) < 1e-9
