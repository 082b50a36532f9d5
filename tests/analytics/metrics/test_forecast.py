"""Weekly demand forecast: weekly bucketing, backtest errors, constant and seasonal series."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics import forecast
from analytics.metrics.forecast import backtest, forecast_weekly, weekly_units


def weekly(rows: dict[int, list[float]], first_monday: str = "2023-01-02") -> pd.DataFrame:
    length = len(next(iter(rows.values())))
    weeks = pd.date_range(first_monday, periods=length, freq="7D")
    index = pd.Index(list(rows), name="product_id")
    return pd.DataFrame(np.array(list(rows.values()), dtype=float), index=index, columns=weeks)


def seasonal_series(n_weeks: int = 156, noise: float = 2.0, seed: int = 3) -> np.ndarray:
    t = np.arange(n_weeks)
    rng = np.random.default_rng(seed)
    return 100 + 0.2 * t + 30 * np.sin(2 * np.pi * t / 52) + rng.normal(0, noise, n_weeks)


def test_weekly_units_keeps_whole_weeks_only():
    lines = pd.DataFrame(
        [
            (1, "2026-06-07 12:00", 5),  # Sunday of a week that starts before `start`
            (1, "2026-06-08 00:00", 2),
            (1, "2026-06-14 23:59", 3),
            (1, "2026-06-15 10:00", 4),
            (1, "2026-06-22 10:00", 9),  # week of 06-22 ends after `end`
            (2, "2026-06-16 10:00", 1),
        ],
        columns=["product_id", "paid_at", "quantity"],
    )
    lines["paid_at"] = pd.to_datetime(lines["paid_at"])
    # start Wednesday 06-03 -> first whole week 06-08; end Wednesday 06-24 -> last 06-15
    table = weekly_units(lines, start=date(2026, 6, 3), end=date(2026, 6, 24))
    assert list(table.columns) == [pd.Timestamp("2026-06-08"), pd.Timestamp("2026-06-15")]
    assert table.loc[1].tolist() == [5.0, 4.0]  # 2 + 3, then 4
    assert table.loc[2].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("n_weeks", [20, 120])  # without and with two seasons of history
def test_constant_series_forecasts_itself_with_zero_error(n_weeks):
    data = weekly({1: [7.0] * n_weeks, 2: [0.0] * n_weeks})
    predicted = forecast_weekly(data)
    assert predicted.loc[1].tolist() == [7.0, 7.0, 7.0, 7.0]
    assert predicted.loc[2].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert predicted.columns[0] == data.columns[-1] + pd.Timedelta(weeks=1)
    result = backtest(data)
    assert result.per_product.loc[1].tolist() == [0.0, 0.0]
    assert result.per_product.loc[2].isna().all()  # all actuals 0: no MAPE, no WAPE
    assert result.mape == 0.0 and result.wape == 0.0


def test_mape_skips_zero_actuals_and_pools_overall():
    # product 1 is 10 a week, then the held-out weeks are 0, 10, 20, 5; forecast 10 each
    # errors 10, 0, 10, 5: MAPE = (0/10 + 10/20 + 5/5) / 3 = 0.5; WAPE = 25 / 35
    # product 2 is 7 throughout: both errors 0
    data = weekly({1: [10.0] * 30 + [0, 10, 20, 5], 2: [7.0] * 34})
    result = backtest(data)
    assert result.forecast.loc[1].tolist() == [10.0] * 4
    assert result.per_product.loc[1, "mape"] == pytest.approx(0.5)
    assert result.per_product.loc[1, "wape"] == pytest.approx(25 / 35)
    # pooled: MAPE over the 7 non-zero actuals = 1.5 / 7; WAPE = 25 / (35 + 28)
    assert result.mape == pytest.approx(1.5 / 7)
    assert result.wape == pytest.approx(25 / 63)


def test_seasonal_series_backtest_error_is_small():
    data = weekly({1: seasonal_series(), 2: seasonal_series(seed=4) * 0.5})
    result = backtest(data)
    assert result.mape < 0.05
    assert result.wape < 0.05
    # The held-out weeks 152-155 are weeks 48-51 of the 52-week cycle, where the sine
    # climbs steeply: a model without a seasonal term lags behind it.
    flat = backtest(data, season_length=200)  # too long a season: no seasonal term
    assert result.wape < flat.wape / 2


def test_forecast_follows_the_season_ahead():
    history = seasonal_series(noise=0.0)
    t = np.arange(156, 160)
    truth = 100 + 0.2 * t + 30 * np.sin(2 * np.pi * t / 52)
    predicted = forecast_weekly(weekly({1: history})).loc[1].to_numpy()
    np.testing.assert_allclose(predicted, truth, rtol=0.03)


def test_forecasts_are_never_negative():
    data = weekly({1: [100.0 - 10 * t for t in range(11)]})  # 100 down to 0
    predicted = forecast_weekly(data).loc[1]
    assert (predicted >= 0).all()
    assert predicted.iloc[-1] == 0.0


def test_products_are_independent_of_their_batch(monkeypatch):
    data = weekly({1: seasonal_series(), 2: [5.0] * 156, 3: seasonal_series(seed=9) + 50})
    together = forecast_weekly(data)
    monkeypatch.setattr(forecast, "PRODUCT_BATCH", 2)  # products 1-2, then 3 alone
    batched = forecast_weekly(data)
    alone = pd.concat([forecast_weekly(data.loc[[p]]) for p in data.index])
    np.testing.assert_allclose(together.to_numpy(), batched.to_numpy())
    np.testing.assert_allclose(together.to_numpy(), alone.to_numpy())


def test_too_short_a_history_is_refused():
    with pytest.raises(ValueError, match="two weeks"):
        forecast_weekly(weekly({1: [3.0]}))
