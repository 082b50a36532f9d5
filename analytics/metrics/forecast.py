"""Weekly demand forecast per product, with its backtest error (DESIGN §3, issue 5).

The model is additive Holt-Winters with a damped trend (ETS(A,Ad,A) in error-correction
form), written in numpy and run for all products at once: the time loop steps through the
weeks, every operation inside it works on a vector of (product × parameter set) states.
For each product the smoothing parameters are picked from a small grid by the in-sample
sum of squared one-step-ahead errors (ties: the first grid entry). Error-correction form
keeps a constant series exact: every error is 0, so every state stays put.

- Weeks run Monday to Sunday (local dates); only whole weeks inside ``[start, end]``
  count, so a partial week at either end is left out rather than read as low demand.
- Seasonality has period ``season_length`` weeks (52: weeks of the year, a 53-week year
  drifts by one week) and is used when the history holds at least two full seasons;
  otherwise the model is Holt's damped trend without a seasonal term.
- Initial states (seasonal history): trend = (mean of season 2 − mean of season 1) / m;
  level = mean of season 1 shifted back to the week before the first; seasonal indices =
  season 1 minus that trend line. Non-seasonal: level = first week, trend = 0.
- Forecasts are floored at 0 units.
- Backtest: hold out the last ``horizon`` weeks, fit on the weeks before, forecast, and
  compare. MAPE = mean of |actual − forecast| / actual over the weeks with actual ≠ 0
  (zero actuals are skipped; NaN when all are 0); WAPE = Σ |actual − forecast| / Σ actual
  (NaN when Σ actual = 0). Both are fractions (0.05 = 5 %). Overall figures pool every
  (product, week) pair, they are not means of per-product figures.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

ALPHAS = (0.05, 0.2, 0.4, 0.7)
BETA_SHARES = (0.0, 0.1, 0.3)  # β = share × α keeps 0 ≤ β ≤ α
GAMMA_SHARES = (0.0, 0.1, 0.3)  # γ = share × (1 − α) keeps 0 ≤ γ ≤ 1 − α
PHIS = (0.9, 1.0)
PRODUCT_BATCH = 2_000  # bounds memory: states are (products × grid) × season_length floats


@dataclass(frozen=True)
class Backtest:
    """Backtest result: per-product errors, pooled errors and the held-out forecast."""

    per_product: pd.DataFrame  # index product_id; columns mape, wape
    mape: float
    wape: float
    forecast: pd.DataFrame  # product × held-out week


def weekly_units(
    lines: pd.DataFrame, *, start: date, end: date, product_column: str = "product_id"
) -> pd.DataFrame:
    """Units sold per product and week.

    ``lines``: product_id, paid_at (naive local), quantity — lines of paid orders. Returns
    a frame with one row per product sold in the range (index ``product_column``) and one
    column per whole Monday–Sunday week inside ``[start, end]`` (labelled by its Monday,
    a Timestamp), float64, zeros where nothing sold.
    """
    first_monday = pd.Timestamp(start + timedelta(days=(7 - start.weekday()) % 7))
    last_sunday = pd.Timestamp(end - timedelta(days=(end.weekday() + 1) % 7))
    weeks = pd.date_range(first_monday, last_sunday - pd.Timedelta(days=6), freq="7D")
    days = lines["paid_at"].dt.normalize()
    rows = lines[(days >= first_monday) & (days <= last_sunday)]
    week = first_monday + pd.to_timedelta(
        (days[rows.index] - first_monday).dt.days // 7 * 7, unit="D"
    )
    table = rows.groupby([rows[product_column], week.rename("week")])["quantity"].sum()
    wide = table.unstack("week", fill_value=0) if len(table) else pd.DataFrame(columns=weeks)
    wide = wide.reindex(columns=weeks, fill_value=0).astype("float64")
    wide.index.name = product_column
    wide.columns.name = "week"
    return wide


def forecast_weekly(
    weekly: pd.DataFrame, *, horizon: int = 4, season_length: int = 52
) -> pd.DataFrame:
    """Forecast the ``horizon`` weeks after the last column of ``weekly``.

    ``weekly``: products × consecutive weeks (as ``weekly_units`` returns), at least two
    weeks. Returns products × the next ``horizon`` week labels (Monday Timestamps when the
    input is labelled so, else 1…horizon), float64 ≥ 0.
    """
    values = weekly.to_numpy(dtype="float64")
    if values.shape[1] < 2:
        raise ValueError("a forecast needs at least two weeks of history")
    forecasts = np.vstack(
        [
            _forecast_batch(values[i : i + PRODUCT_BATCH], horizon, season_length)
            for i in range(0, len(values), PRODUCT_BATCH)
        ]
        or [np.empty((0, horizon))]
    )
    return pd.DataFrame(forecasts, index=weekly.index, columns=_future_labels(weekly, horizon))


def backtest(weekly: pd.DataFrame, *, horizon: int = 4, season_length: int = 52) -> Backtest:
    """Fit on all but the last ``horizon`` weeks, forecast them and score (see module doc)."""
    train, actual = weekly.iloc[:, :-horizon], weekly.iloc[:, -horizon:]
    predicted = forecast_weekly(train, horizon=horizon, season_length=season_length)
    predicted.columns = actual.columns
    truth = actual.to_numpy(dtype="float64")
    error = np.abs(truth - predicted.to_numpy())
    nonzero = truth != 0
    # Division only where the actual is non-zero, so MAPE never sees an infinity.
    ape = np.divide(error, truth, out=np.zeros_like(error), where=nonzero)
    with np.errstate(invalid="ignore", divide="ignore"):
        mape = ape.sum(axis=1) / nonzero.sum(axis=1)
        wape = error.sum(axis=1) / truth.sum(axis=1)
    wape[truth.sum(axis=1) == 0] = np.nan
    per_product = pd.DataFrame({"mape": mape, "wape": wape}, index=weekly.index)
    total_actual = truth.sum()
    return Backtest(
        per_product=per_product,
        mape=float(ape[nonzero].mean()) if nonzero.any() else float("nan"),
        wape=float(error.sum() / total_actual) if total_actual else float("nan"),
        forecast=predicted,
    )


def _future_labels(weekly: pd.DataFrame, horizon: int) -> list:
    last = weekly.columns[-1]
    if isinstance(last, pd.Timestamp):
        return [last + pd.Timedelta(weeks=h) for h in range(1, horizon + 1)]
    return list(range(1, horizon + 1))


def _forecast_batch(values: np.ndarray, horizon: int, season_length: int) -> np.ndarray:
    """Fit every grid entry for every product of the batch, keep each product's best."""
    n_products, n_weeks = values.shape
    seasonal = n_weeks >= 2 * season_length
    gamma_shares = GAMMA_SHARES if seasonal else (0.0,)
    grid = np.array(list(itertools.product(ALPHAS, BETA_SHARES, gamma_shares, PHIS)))
    alpha = np.repeat(grid[:, 0], n_products)
    beta = alpha * np.repeat(grid[:, 1], n_products)
    gamma = (1 - alpha) * np.repeat(grid[:, 2], n_products)
    phi = np.repeat(grid[:, 3], n_products)
    # Row r of the stacked problem is grid entry r // n_products for product r % n_products.
    y = np.tile(values, (len(grid), 1))
    period = season_length if seasonal else 1
    level, trend, season = _initial_states(y, period, seasonal)
    sse = np.zeros(len(y))
    for t in range(n_weeks):
        slot = t % period
        error = y[:, t] - (level + phi * trend + season[slot])
        sse += error * error
        level = level + phi * trend + alpha * error
        trend = phi * trend + beta * error
        season[slot] = season[slot] + gamma * error

    best = sse.reshape(len(grid), n_products).argmin(axis=0)
    rows = best * n_products + np.arange(n_products)
    steps = np.arange(1, horizon + 1)
    damping = np.cumsum(phi[rows, None] ** steps, axis=1)  # φ + φ² + … + φ^h
    slots = (n_weeks + steps - 1) % period
    forecast = level[rows, None] + damping * trend[rows, None] + season[slots][:, rows].T
    return np.maximum(forecast, 0.0)


def _initial_states(
    y: np.ndarray, period: int, seasonal: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not seasonal:
        return y[:, 0].copy(), np.zeros(len(y)), np.zeros((1, len(y)))
    first = y[:, :period].mean(axis=1)
    second = y[:, period : 2 * period].mean(axis=1)
    trend = (second - first) / period
    # The first season's mean sits at its middle week, (period − 1) / 2; the level starts
    # one week before week 0, and the seasonal indices are season 1 minus the trend line.
    offsets = np.arange(period) - (period - 1) / 2
    season = (y[:, :period] - (first[:, None] + trend[:, None] * offsets)).T.copy()
    level = first - trend * (period + 1) / 2
    return level, trend, season
