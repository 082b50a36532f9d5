"""Inventory health per SKU: sell-through, turnover, days of cover, alerts (DESIGN §3).

Inputs (naive local timestamps; the period is ``[start, end]``, local dates, inclusive):

- ``skus``: sku_id, stock_on_hand (units on hand **at the end of the period** — the
  current stock when ``end`` is today), unit_cost (current), lead_time_days.
- ``lines``: sales of paid orders: sku_id, paid_at, quantity and either unit_cost (at
  sale) or cogs (quantity × unit cost at sale) — order lines, or their sums per SKU and
  day (``SkuSales``, paid_at being the day). They must reach back to the earliest of
  ``start``, ``end − 27`` and ``end − 59`` days.
- ``receipts`` (optional): sku_id, received_at, quantity — goods received into stock.

Definitions, per SKU:

- units_sold, cogs (Σ quantity × unit cost at sale) in the period.
- in_stock: stock at the period end > 0 **or** sold in the period (a SKU that sold out
  during the period was in stock while it sold).
- 动销率 SKU sell-through = SKUs sold at least once / SKUs in stock.
- 售罄率 unit sell-through = units sold / (units sold + stock at end).
- opening stock = stock at end + units sold − units received in the period (0 received
  without receipts data), floored at 0; average stock value = (opening + closing) / 2 ×
  current unit_cost; turnover = cogs / average stock value for the period.
- daily_units = units sold in the ``cover_window_days`` (28) days ending at ``end`` / 28;
  days_of_cover = stock / daily_units (NaN when nothing sold in that window).
- low_stock: days_of_cover < lead_time_days + ``safety_days``.
- slow_mover: stock > 0 and no sale in the ``slow_mover_days`` (60) days ending at ``end``.

Ratios with a zero denominator are NaN, never inf.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

HEALTH_COLUMNS = [
    "sku_id",
    "units_sold",
    "cogs",
    "stock",
    "units_received",
    "opening_stock",
    "average_stock_value",
    "turnover",
    "unit_sell_through",
    "in_stock",
    "sold",
    "daily_units",
    "days_of_cover",
    "lead_time_days",
    "low_stock",
    "last_sale",
    "slow_mover",
]


def inventory_health(
    skus: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    start: date,
    end: date,
    receipts: pd.DataFrame | None = None,
    safety_days: int = 7,
    cover_window_days: int = 28,
    slow_mover_days: int = 60,
) -> pd.DataFrame:
    """One row per SKU of ``skus`` with the columns in ``HEALTH_COLUMNS``.

    last_sale is the local date of the latest sale up to ``end`` (NaT when none).
    """
    days = lines["paid_at"].dt.normalize()
    end_ts = pd.Timestamp(end)
    upto_end = lines[days <= end_ts].assign(day=days[days <= end_ts])
    in_period = upto_end[upto_end["day"] >= pd.Timestamp(start)]
    if "cogs" not in in_period:
        in_period = in_period.assign(cogs=in_period["quantity"] * in_period["unit_cost"])
    period = in_period.groupby("sku_id").agg(units_sold=("quantity", "sum"), cogs=("cogs", "sum"))
    cover_start = end_ts - pd.Timedelta(days=cover_window_days - 1)
    recent_units = upto_end[upto_end["day"] >= cover_start].groupby("sku_id")["quantity"].sum()
    last_sale = upto_end.groupby("sku_id")["day"].max()

    health = skus.set_index("sku_id")[["stock_on_hand", "unit_cost", "lead_time_days"]]
    health = health.rename(columns={"stock_on_hand": "stock"}).join(period)
    health[["units_sold", "cogs"]] = health[["units_sold", "cogs"]].fillna(0)
    health["units_received"] = _received(receipts, health.index, start, end)
    health["opening_stock"] = (
        health["stock"] + health["units_sold"] - health["units_received"]
    ).clip(lower=0)
    health["average_stock_value"] = (
        (health["opening_stock"] + health["stock"]) / 2 * health["unit_cost"]
    )
    health["turnover"] = _ratio(health["cogs"], health["average_stock_value"])
    health["unit_sell_through"] = _ratio(
        health["units_sold"], health["units_sold"] + health["stock"]
    )
    health["sold"] = health["units_sold"] > 0
    health["in_stock"] = (health["stock"] > 0) | health["sold"]
    health["daily_units"] = recent_units.reindex(health.index, fill_value=0) / cover_window_days
    health["days_of_cover"] = _ratio(health["stock"], health["daily_units"])
    threshold = health["lead_time_days"] + safety_days
    health["low_stock"] = (health["days_of_cover"] < threshold).fillna(False).astype(bool)
    health["last_sale"] = last_sale.reindex(health.index)
    slow_since = end_ts - pd.Timedelta(days=slow_mover_days - 1)
    recently_sold = health["last_sale"] >= slow_since
    health["slow_mover"] = (health["stock"] > 0) & ~recently_sold.fillna(False).astype(bool)
    health["units_sold"] = health["units_sold"].astype("int64")
    return health.reset_index()[HEALTH_COLUMNS]


def inventory_summary(health: pd.DataFrame) -> dict[str, float]:
    """Shop-wide figures from ``inventory_health``.

    Returns sku_sell_through (动销率), unit_sell_through (售罄率, Σ units sold / Σ (units
    sold + stock)), turnover (Σ cogs / Σ average stock value), skus_in_stock, skus_sold,
    low_stock and slow_movers (counts). Ratios are NaN on a zero denominator.
    """
    in_stock = int(health["in_stock"].sum())
    sold = int((health["sold"] & health["in_stock"]).sum())
    units = float(health["units_sold"].sum())
    stock = float(health["stock"].sum())
    stock_value = float(health["average_stock_value"].sum())
    return {
        "sku_sell_through": sold / in_stock if in_stock else float("nan"),
        "unit_sell_through": units / (units + stock) if units + stock else float("nan"),
        "turnover": float(health["cogs"].sum()) / stock_value if stock_value else float("nan"),
        "skus_in_stock": in_stock,
        "skus_sold": sold,
        "low_stock": int(health["low_stock"].sum()),
        "slow_movers": int(health["slow_mover"].sum()),
    }


def _received(receipts: pd.DataFrame | None, index: pd.Index, start: date, end: date) -> pd.Series:
    if receipts is None:
        return pd.Series(0, index=index, dtype="int64")
    days = pd.to_datetime(receipts["received_at"]).dt.normalize()
    window = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    return receipts[window].groupby("sku_id")["quantity"].sum().reindex(index, fill_value=0)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator with NaN (never inf) where the denominator is 0."""
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / denominator.where(denominator != 0)
