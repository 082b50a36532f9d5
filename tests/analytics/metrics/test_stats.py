"""Experiment statistics on numbers worked out by hand (z quantiles: 1.959964, 0.841621)."""

from math import inf, sqrt

import pytest

from analytics.metrics.stats import (
    min_sample_size_proportions,
    minimum_detectable_effect,
    power_proportions,
    srm_check,
    two_proportion_ztest,
    welch_ttest,
    welch_ttest_from_stats,
)


def test_two_proportion_ztest_by_hand():
    # control 100 / 1000 = 10%, treatment 130 / 1000 = 13%
    result = two_proportion_ztest(100, 1000, 130, 1000)

    # pooled p = 230 / 2000 = 0.115; SE0 = √(0.115 · 0.885 · (1/1000 + 1/1000)) = 0.0142671
    # z = 0.03 / 0.0142671 = 2.10274; p = 2 · (1 − Φ(2.10274)) = 0.035488
    # unpooled SE = √(0.1 · 0.9 / 1000 + 0.13 · 0.87 / 1000) = 0.0142513
    # CI = 0.03 ± 1.959964 · 0.0142513 = (0.002068, 0.057932); lift = 0.13 / 0.10 − 1 = 0.3
    assert result.difference == pytest.approx(0.03)
    assert result.lift == pytest.approx(0.3)
    assert result.z == pytest.approx(2.10274, abs=1e-5)
    assert result.p_value == pytest.approx(0.035488, abs=1e-6)
    assert result.ci_low == pytest.approx(0.002068, abs=1e-6)
    assert result.ci_high == pytest.approx(0.057932, abs=1e-6)


def test_two_proportion_ztest_one_sided():
    larger = two_proportion_ztest(100, 1000, 130, 1000, alternative="larger")
    smaller = two_proportion_ztest(100, 1000, 130, 1000, alternative="smaller")

    # one tail of the two-sided p: 0.035488 / 2; the other tail is the rest
    assert larger.p_value == pytest.approx(0.017744, abs=1e-6)
    assert smaller.p_value == pytest.approx(1 - 0.017744, abs=1e-6)
    # one-sided 95% bound: 0.03 − 1.644854 · 0.0142513 = 0.006559
    assert larger.ci_low == pytest.approx(0.006559, abs=1e-6) and larger.ci_high == inf
    assert smaller.ci_low == -inf


def test_two_proportion_ztest_refuses_impossible_counts_and_has_no_variance_at_zero():
    with pytest.raises(ValueError):
        two_proportion_ztest(11, 10, 1, 10)
    with pytest.raises(ValueError, match="alternative"):
        two_proportion_ztest(1, 10, 1, 10, alternative="greater")
    result = two_proportion_ztest(0, 10, 0, 10)
    assert result.p_value != result.p_value  # NaN: nothing to test


def test_welch_ttest_by_hand():
    # a = 1, 2, 3, 4: mean 2.5, variance 5 / 3; b = 2, 4, 6, 8, 10: mean 6, variance 40 / 4 = 10
    # SE² = (5/3) / 4 + 10 / 5 = 0.416667 + 2 = 2.416667; t = 3.5 / 1.554563 = 2.251436
    # df = 2.416667² / (0.416667² / 3 + 2² / 4) = 5.840278 / 1.057870 = 5.520788
    result = welch_ttest([1, 2, 3, 4], [2, 4, 6, 8, 10])

    assert result.difference == 3.5
    assert result.lift == pytest.approx(6 / 2.5 - 1)
    assert result.t == pytest.approx(2.251436, abs=1e-6)
    assert result.df == pytest.approx(5.520788, abs=1e-6)
    assert 0.05 < result.p_value < 0.10  # t(5.52) two-sided; exact value in tests/reference
    assert result.ci_low < 0 < result.ci_high


def test_welch_ttest_from_summary_statistics_matches_the_samples():
    from_samples = welch_ttest([1, 2, 3, 4], [2, 4, 6, 8, 10], alternative="larger")
    from_stats = welch_ttest_from_stats(2.5, 5 / 3, 4, 6.0, 10.0, 5, alternative="larger")
    assert from_stats.t == pytest.approx(from_samples.t, rel=1e-12)
    assert from_stats.p_value == pytest.approx(from_samples.p_value, rel=1e-12)
    assert from_stats.ci_high == inf


def test_srm_check_flags_only_a_real_mismatch():
    # 5100 / 4900 against 50 / 50: χ² = (100² + 100²) / 5000 = 4, p = 0.0455 -> no mismatch
    fine = srm_check([5100, 4900], [0.5, 0.5])
    assert fine.chi2 == pytest.approx(4.0)
    assert fine.p_value == pytest.approx(0.0455003, abs=1e-7)
    assert not fine.mismatch
    # 5300 / 4700: χ² = 2 · 300² / 5000 = 36, p ≈ 2·10⁻⁹ -> mismatch
    broken = srm_check([5300, 4700], [1, 1])
    assert broken.chi2 == pytest.approx(36.0) and broken.mismatch
    # a 10% holdout exactly on target
    holdout = srm_check([9000, 1000], [0.9, 0.1])
    assert holdout.chi2 == pytest.approx(0.0) and holdout.expected == (9000.0, 1000.0)


def test_min_sample_size_by_hand():
    # baseline 10%, +2 points (relative 20%): p̄ = 0.11
    # σ0 = √(2 · 0.11 · 0.89) = 0.442493, σ1 = √(0.1 · 0.9 + 0.12 · 0.88) = 0.442267
    # n = ((1.959964 · 0.442493 + 0.841621 · 0.442267) / 0.02)² = 3840.85 -> 3841 per arm
    size = min_sample_size_proportions(0.10, 0.20)
    assert size.n_a_exact == pytest.approx(3840.85, abs=0.01)
    assert (size.n_a, size.n_b, size.total) == (3841, 3841, 7682)
    assert size.p_b == pytest.approx(0.12)
    assert min_sample_size_proportions(0.10, 0.02, relative=False).n_a == 3841


def test_min_sample_size_with_unequal_arms_and_one_sided():
    # ratio 9 (a 10% control): p̄ = (0.1 + 9 · 0.12) / 10 = 0.118
    # σ0 = √(0.118 · 0.882 · (1 + 1/9)) = √0.115640 = 0.340059
    # σ1 = √(0.09 + 0.1056 / 9) = √0.101733 = 0.318957
    # n_a = ((1.959964 · 0.340059 + 0.841621 · 0.318957) / 0.02)² = 46.7472² = 2185.30
    size = min_sample_size_proportions(0.10, 0.20, ratio=9)
    assert size.n_a_exact == pytest.approx(2185.30, abs=0.01)
    assert (size.n_a, size.n_b) == (2186, 19668)  # ceil(2185.30), ceil(9 · 2185.30)
    one_sided = min_sample_size_proportions(0.10, 0.20, alternative="larger")
    # z 1.644854 instead of 1.959964: ((1.644854 · 0.442493 + 0.841621 · 0.442267) / 0.02)²
    #   = (1.100058 / 0.02)² = 55.0029² = 3025.32
    assert one_sided.n_a_exact == pytest.approx(3025.32, abs=0.01)


def test_power_and_minimum_detectable_effect_invert_the_sample_size():
    size = min_sample_size_proportions(0.10, 0.20)
    # at the exact n the near tail gives 0.8; the far tail adds a negligible amount
    assert power_proportions(0.10, 0.20, size.n_a_exact) == pytest.approx(0.8, abs=1e-6)
    assert power_proportions(0.10, 0.20, 100) < 0.2
    mde = minimum_detectable_effect(0.10, size.n_a_exact)
    assert mde == pytest.approx(0.20, rel=1e-4)
    absolute = minimum_detectable_effect(0.10, size.n_a_exact, relative=False)
    assert absolute == pytest.approx(0.02, rel=1e-4)


def test_sample_size_refuses_rates_outside_zero_and_one():
    with pytest.raises(ValueError, match="baseline"):
        min_sample_size_proportions(0.9, 0.2)  # 0.9 · 1.2 = 1.08
    with pytest.raises(ValueError):
        min_sample_size_proportions(0.1, 0.0)


def test_hand_numbers_in_this_file_are_consistent():
    # guards the arithmetic in the comments above
    assert sqrt(2 * 0.11 * 0.89) == pytest.approx(0.442493, abs=1e-6)
    assert sqrt(0.118 * 0.882 * (1 + 1 / 9)) == pytest.approx(0.340059, abs=1e-6)
    assert sqrt(0.09 + 0.1056 / 9) == pytest.approx(0.318957, abs=1e-6)
