"""BG/NBD and Gamma-Gamma on hand-checkable inputs; the fits against lifetimes are in
tests/reference/test_clv_lifetimes.py."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from analytics.metrics.clv import (
    BgNbdParams,
    FitError,
    GammaGammaParams,
    _bgnbd_loglik,
    _BgNbdData,
    _GammaGammaData,
    _gg_loglik,
    bgnbd_summary,
    expected_average_value,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    predict_clv,
    predicted_purchases,
    predicted_value,
)


def test_bgnbd_summary_counts_distinct_days_and_averages_repeat_days():
    orders = pd.DataFrame(
        [
            (1, datetime(2026, 1, 1, 9), 10.0),  # first day: 10 + 20
            (1, datetime(2026, 1, 1, 21), 20.0),
            (1, datetime(2026, 1, 11, 9), 30.0),  # repeat day: 30
            (1, datetime(2026, 1, 31, 8), 15.0),  # repeat day: 15 + 25 = 40
            (1, datetime(2026, 1, 31, 23, 59), 25.0),
            (2, datetime(2026, 2, 10, 23, 0), 99.0),  # one order on as_of
            (2, datetime(2026, 2, 11, 0, 0), 99.0),  # after as_of: ignored
            (None, datetime(2026, 1, 5), 5.0),
        ],
        columns=["customer_id", "paid_at", "net_amount"],
    )
    summary = bgnbd_summary(orders, as_of=date(2026, 2, 10))

    # customer 1: 3 distinct days -> frequency 2; recency Jan 1 -> Jan 31 = 30;
    # T Jan 1 -> Feb 10 = 40; monetary = mean(30, 40) = 35 (the first day is left out).
    # customer 2: frequency 0, recency 0, T 0, monetary 0 (lifetimes' convention).
    expected = pd.DataFrame(
        {
            "frequency": [2.0, 0.0],
            "recency": [30.0, 0.0],
            "T": [40.0, 0.0],
            "monetary_value": [35.0, 0.0],
        },
        index=pd.Index([1, 2], name="customer_id"),
    )
    pd.testing.assert_frame_equal(summary, expected)


def test_p_alive_by_hand():
    params = BgNbdParams(r=1.0, alpha=1.0, a=1.0, b=1.0)
    # x = 1, t_x = 1, T = 3: odds of being dead = a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x)
    #   = 1 / 1 · (4 / 2)² = 4 -> p_alive = 1 / (1 + 4) = 0.2; x = 0 -> 1 by convention
    result = p_alive(params, [1, 0], [1, 0], [3, 3])
    np.testing.assert_allclose(result, [0.2, 1.0], rtol=1e-14)


def test_predicted_purchases_by_hand():
    # r = 2, α = 1, a = 2, b = 1, t = 5, T = 4: z = t / (α + T + t) = 0.5.
    # FHL eq. 10 numerator: (a + b + x − 1) / (a − 1) · [1 − ((α+T)/(α+T+t))^(r+x)
    #   · 2F1(r + x, b + x; a + b + x − 1; z)], and 2F1(A, B; A; z) = (1 − z)^(−B).
    # x = 0: 2 · [1 − 0.5² · 2F1(2, 1; 2; 0.5)] = 2 · [1 − 0.25 · 2] = 1; denominator 1.
    # x = 1, t_x = 2: 3 · [1 − 0.5³ · 2F1(3, 2; 3; 0.5)] = 3 · [1 − 0.125 · 4] = 1.5;
    #   denominator 1 + a / (b + x − 1) · (5 / 3)³ = 1 + 2 · 125 / 27 = 277 / 27
    #   -> 1.5 · 27 / 277 = 0.1462094
    params = BgNbdParams(r=2.0, alpha=1.0, a=2.0, b=1.0)
    result = predicted_purchases(params, 5, [0, 1], [0, 2], [4, 4])
    np.testing.assert_allclose(result, [1.0, 1.5 * 27 / 277], rtol=1e-12)


def test_predicted_purchases_stay_finite_for_very_frequent_buyers():
    params = BgNbdParams(r=0.24, alpha=4.41, a=0.79, b=2.43)
    result = predicted_purchases(params, 90, [1000, 5000], [364, 364], [365, 365])
    assert np.all(np.isfinite(result))
    # x = 1000: posterior rate (r + x) / (α + T) = 1000.24 / 369.41 = 2.708 a day, so
    # n = 243.7 purchases in 90 days if she never dropped out; she drops out after each one
    # with probability ≈ a / (a + b + x) = 0.79 / 1003.2 = 0.000787, which keeps
    # (1 − (1 − p)^n) / (n·p) = (1 − e^(−0.1918)) / 0.1918 = 0.9098 of them: ≈ 221.7.
    assert result[0] == pytest.approx(221.7, rel=0.01)


def test_expected_average_value_by_hand():
    params = GammaGammaParams(p=2.0, q=3.0, v=10.0)
    # population mean v·p / (q − 1) = 10; x = 2, m = 30: weight p·x / (p·x + q − 1) = 4 / 6
    #   -> (1/3) · 10 + (2/3) · 30 = 70 / 3; x = 0 or m ≤ 0 -> the population mean
    result = expected_average_value(params, [2, 0, 3], [30.0, 0.0, -5.0])
    np.testing.assert_allclose(result, [70 / 3, 10.0, 10.0], rtol=1e-14)


def test_predicted_value_is_purchases_times_average_value():
    bg = BgNbdParams(r=2.0, alpha=1.0, a=2.0, b=1.0)
    gg = GammaGammaParams(p=2.0, q=3.0, v=10.0)
    # 1.0 purchase (test above, with t = 5) × population mean 10
    assert predicted_value(bg, gg, [0], [0], [4], [0.0], days=5)[0] == pytest.approx(10.0)


def simulated_summary(customers: int, seed: int = 7) -> pd.DataFrame:
    """A small BG/NBD population in closed form (no transactions needed for the fit)."""
    rng = np.random.default_rng(seed)
    T = rng.integers(30, 365, customers).astype(float)
    rate = rng.gamma(0.8, 1 / 20, customers)
    x = np.minimum(rng.poisson(rate * T), 30).astype(float)
    recency = np.where(x > 0, np.floor(T * rng.uniform(0.3, 1.0, customers)), 0.0)
    monetary = np.where(x > 0, rng.gamma(5, 20, customers), 0.0)
    return pd.DataFrame({"frequency": x, "recency": recency, "T": T, "monetary_value": monetary})


def test_fits_converge_and_predict_for_every_customer():
    summary = simulated_summary(400)
    result = predict_clv(summary)

    assert result.bgnbd.converged and result.gamma_gamma.converged
    assert result.value_error is None
    frame = result.frame
    assert frame.notna().all().all() and len(frame) == 400
    assert frame["p_alive"].between(0, 1).all()
    assert (frame["predicted_purchases"] > 0).all()
    np.testing.assert_allclose(
        frame["predicted_value"], frame["predicted_purchases"] * frame["expected_average_value"]
    )
    # a customer with more repeat purchases and the same recency/T is expected to buy more
    more = predicted_purchases(result.bgnbd.params, 90, [5, 1], [100, 100], [120, 120])
    assert more[0] > more[1]


def test_likelihood_summed_by_distinct_values_equals_the_per_customer_sum():
    # The likelihoods compute frequency-only terms once per distinct frequency and spread
    # logs over distinct ages; the totals must equal FHL eq. 6 / Hardie 025 eq. 1a written
    # out per customer, and the analytic gradients their finite differences.
    from scipy.special import gammaln

    summary = simulated_summary(300)
    x, t_x, T, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    log_params = np.log([0.7, 25.0, 0.9, 2.5])
    r, alpha, a, b = np.exp(log_params)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    per_customer = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
        + np.where(x > 0, np.logaddexp(a3, a4), a3)
    )
    data = _BgNbdData.of(x, t_x, T)
    ll, grad = _bgnbd_loglik(log_params, data)
    assert ll == pytest.approx(per_customer.sum(), rel=1e-12)
    numeric = approx_fprime(log_params, lambda p: _bgnbd_loglik(p, data)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)

    used = (x > 0) & (m > 0)
    xu, mu = x[used], m[used]
    log_params = np.log([3.0, 4.0, 60.0])
    p, q, v = np.exp(log_params)
    per_customer = (
        gammaln(p * xu + q)
        - gammaln(p * xu)
        - gammaln(q)
        + q * np.log(v)
        + (p * xu - 1) * np.log(mu)
        + p * xu * np.log(xu)
        - (p * xu + q) * np.log(xu * mu + v)
    )
    data = _GammaGammaData.of(xu, mu)
    ll, grad = _gg_loglik(log_params, data)
    assert ll == pytest.approx(per_customer.sum(), rel=1e-12)
    numeric = approx_fprime(log_params, lambda p: _gg_loglik(p, data)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_fit_refuses_too_few_repeat_customers():
    summary = simulated_summary(400)
    summary.loc[summary.index[5:], ["frequency", "recency", "monetary_value"]] = 0.0
    repeaters = int((summary["frequency"] > 0).sum())
    assert repeaters < 20

    with pytest.raises(FitError) as error:
        fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    assert error.value.code == "too_few_repeat_customers"
    assert f"{repeaters} customers with repeat purchases" in error.value.message


def test_value_is_left_empty_with_a_reason_when_only_gamma_gamma_fails():
    summary = simulated_summary(400)
    summary["monetary_value"] = 0.0  # every repeat purchase refunded

    result = predict_clv(summary)

    assert result.gamma_gamma is None and result.value_error.code == "too_few_repeat_customers"
    assert result.frame["predicted_value"].isna().all()
    assert result.frame["predicted_purchases"].notna().all()


def test_fit_refuses_malformed_input():
    with pytest.raises(ValueError, match="recency ≤ T"):
        fit_bgnbd([1, 2], [5, 10], [4, 20], min_repeat_customers=1)
    with pytest.raises(ValueError):
        fit_gamma_gamma([1, 2], [5.0])


def test_fit_reports_a_degenerate_optimum():
    # Everybody buys on exactly every 10th day up to T: no heterogeneity in the rate, so the
    # gamma mixing distribution degenerates (r, alpha -> infinity).
    T = np.full(200, 300.0)
    x = np.full(200, 30.0)
    with pytest.raises(FitError) as error:
        fit_bgnbd(x, np.full(200, 300.0), T)
    assert error.value.code in {"degenerate", "did_not_converge"}
