"""BG/NBD and Gamma-Gamma against lifetimes 0.11.3 on 6,000 simulated customers.

The transactions are simulated from the models themselves with a fixed seed: per customer
a purchase rate λ ~ Gamma(r, α), a drop-out probability p ~ Beta(a, b), a first purchase
on a random day of the last two years, then exponential gaps with a drop-out coin after
each repeat purchase; order values are Gamma(p, ν) with ν ~ Gamma(q, v) per customer.

Checked: our summary equals lifetimes' ``summary_data_from_transaction_data``; our fitted
parameters are within 1% of lifetimes' fitters (same penalizer); per-customer predicted
purchases (90 days), p_alive and expected average value are within 2%.

Relative differences are taken per customer with an absolute floor of 1e-12: every value
compared here is positive, but a long-gone customer's predicted purchases can be as small
as 1e-10, where a relative error says nothing about money; the floor only matters there.

lifetimes 0.11.3 notes: it runs on pandas 3 / numpy 2 as used here, except that its import
sets a pandas option removed in pandas 3 (a Pandas4Warning, silenced below); its conditional
expectation takes log(2F1), which is NaN when 2F1 < 0 (a + b < 1 with a large penalizer),
so the comparison uses penalizers where it is finite (checked, not assumed).
"""

import warnings
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from pandas.errors import Pandas4Warning

from analytics.metrics.clv import (
    bgnbd_summary,
    expected_average_value,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    predict_clv,
    predicted_purchases,
)

with warnings.catch_warnings():
    # lifetimes.utils sets pandas' removed "mode.chained_assignment" option on import.
    warnings.simplefilter("ignore", Pandas4Warning)
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

AS_OF = date(2026, 6, 30)
CUSTOMERS = 6000
TRUE_BGNBD = {"r": 0.6, "alpha": 25.0, "a": 0.8, "b": 3.0}
TRUE_GG = {"p": 5.0, "q": 4.0, "v": 120.0}


def simulate_transactions(seed: int = 20260630) -> pd.DataFrame:
    """customer_id, paid_at (naive local), net_amount; vectorised over customers."""
    rng = np.random.default_rng(seed)
    n = CUSTOMERS
    rate = rng.gamma(TRUE_BGNBD["r"], 1 / TRUE_BGNBD["alpha"], n)
    dropout = rng.beta(TRUE_BGNBD["a"], TRUE_BGNBD["b"], n)
    nu = rng.gamma(TRUE_GG["q"], 1 / TRUE_GG["v"], n)
    end = pd.Timestamp(AS_OF + timedelta(days=1))  # the end of as_of
    # First purchase somewhere in the 730 days up to as_of, at any time of day.
    first = end - pd.to_timedelta(rng.uniform(0, 730, n), unit="D")
    horizon = ((end - first) / pd.Timedelta(days=1)).to_numpy()

    customer = [np.arange(n)]
    offset = [np.zeros(n)]
    elapsed = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():  # one round per purchase number, all customers at once
        elapsed = elapsed + rng.exponential(1 / rate)
        buys = alive & (elapsed < horizon)
        customer.append(np.flatnonzero(buys))
        offset.append(elapsed[buys])
        alive = buys & (rng.uniform(size=n) >= dropout)
    customer = np.concatenate(customer)
    offset = np.concatenate(offset)
    amount = rng.gamma(TRUE_GG["p"], 1 / nu[customer])
    return pd.DataFrame(
        {
            "customer_id": customer + 1,
            "paid_at": first[customer] + pd.to_timedelta(offset, unit="D"),
            "net_amount": np.round(amount, 2),
        }
    )


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return simulate_transactions()


@pytest.fixture(scope="module")
def summary(transactions) -> pd.DataFrame:
    return bgnbd_summary(transactions, as_of=AS_OF)


def relative_difference(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(theirs))
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)))


def test_simulation_is_large_and_varied(transactions, summary):
    assert len(summary) == CUSTOMERS
    assert len(transactions) > 20_000
    assert (summary["frequency"] > 0).sum() > 2_000
    assert (transactions.groupby("customer_id").size() > 1).sum() > 2_000


def test_summary_equals_lifetimes(transactions, summary):
    theirs = summary_data_from_transaction_data(
        transactions,
        "customer_id",
        "paid_at",
        monetary_value_col="net_amount",
        observation_period_end=pd.Timestamp(AS_OF),
    ).sort_index()

    assert (summary.index == theirs.index.astype("int64")).all()
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(summary[column].to_numpy(), theirs[column].to_numpy())
    # same-day totals are summed in a different order: equal up to float rounding
    np.testing.assert_allclose(
        summary["monetary_value"].to_numpy(), theirs["monetary_value"].to_numpy(), rtol=1e-12
    )


@pytest.mark.parametrize("penalizer", [0.0, 0.001])
def test_bgnbd_matches_lifetimes(summary, penalizer):
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    ours = fit_bgnbd(x, t_x, T, penalizer=penalizer)
    theirs = BetaGeoFitter(penalizer_coef=penalizer).fit(x, t_x, T)

    ours_params = [ours.params.r, ours.params.alpha, ours.params.a, ours.params.b]
    params_diff = relative_difference(ours_params, theirs.params_[["r", "alpha", "a", "b"]])
    assert params_diff < 0.01

    purchases_diff = relative_difference(
        predicted_purchases(ours.params, 90, x, t_x, T),
        theirs.conditional_expected_number_of_purchases_up_to_time(90, x, t_x, T),
    )
    alive_diff = relative_difference(
        p_alive(ours.params, x, t_x, T), theirs.conditional_probability_alive(x, t_x, T)
    )
    assert purchases_diff < 0.02
    assert alive_diff < 0.02
    print(
        f"\nBG/NBD penalizer {penalizer}: max rel. diff params {params_diff:.2e}, "
        f"purchases(90d) {purchases_diff:.2e}, p_alive {alive_diff:.2e}; "
        f"params {ours_params}"
    )


def test_bgnbd_recovers_the_simulated_parameters(summary):
    # Not a comparison with lifetimes: a sanity check that the simulation and the model
    # agree. Daily rounding of the purchase times biases the estimates a little.
    fit = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    for name, true in TRUE_BGNBD.items():
        assert getattr(fit.params, name) == pytest.approx(true, rel=0.25), name


def test_gamma_gamma_matches_lifetimes(summary):
    x, m = summary["frequency"], summary["monetary_value"]
    ours = fit_gamma_gamma(x, m)
    used = (x > 0) & (m > 0)
    theirs = GammaGammaFitter(penalizer_coef=0.0).fit(x[used], m[used])

    ours_params = [ours.params.p, ours.params.q, ours.params.v]
    params_diff = relative_difference(ours_params, theirs.params_[["p", "q", "v"]])
    assert params_diff < 0.01
    value_diff = relative_difference(
        expected_average_value(ours.params, x, m), theirs.conditional_expected_average_profit(x, m)
    )
    assert value_diff < 0.02
    for name, true in TRUE_GG.items():
        assert getattr(ours.params, name) == pytest.approx(true, rel=0.25), name
    print(
        f"\nGamma-Gamma: max rel. diff params {params_diff:.2e}, "
        f"expected average value {value_diff:.2e}; params {ours_params}"
    )


def test_predicted_value_matches_lifetimes_and_differs_from_its_discounted_clv(summary):
    x, t_x, T, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    ours = predict_clv(summary).frame["predicted_value"]
    used = (x > 0) & (m > 0)
    bg = BetaGeoFitter().fit(x, t_x, T)
    gg = GammaGammaFitter().fit(x[used], m[used])
    undiscounted = bg.conditional_expected_number_of_purchases_up_to_time(
        90, x, t_x, T
    ) * gg.conditional_expected_average_profit(x, m)
    assert relative_difference(ours, undiscounted) < 0.02

    # lifetimes' CLV over 3 months of 30 days, discounted 1% a month: a little lower.
    discounted = gg.customer_lifetime_value(bg, x, t_x, T, m, time=3, discount_rate=0.01)
    ratio = discounted.sum() / ours.sum()
    assert 0.97 < ratio < 1.0
