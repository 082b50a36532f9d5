"""Daily KPIs: the values materialised in ``DailyKPI`` so pages never scan raw orders.

:func:`daily_kpis` returns a long frame (date, metric, dimension, dimension_value, value)
for every day from ``start`` to ``end``. Inputs follow the metrics conventions (naive
local timestamps, money as float64):

- ``orders``: order_id, customer_id (NaN for guests), channel_id, paid_at, paid_total,
  refunds, net_amount, cogs, commission, logistics_cost — paid orders up to ``end``.
- ``lines``: paid_at, category_id, quantity, net_amount, unit_cost, returned_quantity.
- ``events``: session_id, customer_id, type, occurred_at, channel_id.
- ``history``: the customers' side of those days (``recency.customer_history``: which
  orders were first orders, the trailing rates, DAU and MAU). Without it, ``orders`` must
  be every paid order up to ``end`` and ``events`` cover ``start`` − 29 days … ``end``,
  and it is counted from them; with it, orders, lines and events of ``start`` … ``end``
  suffice.

Day-level metrics (dimension ``all``; ``channel`` and ``category`` where noted):

==========================  ===============================================================
gmv                         Σ paid total of orders paid that day (all, channel)
net_revenue                 Σ (paid total − refunds) (all, channel); line revenue net of
                            line discounts for ``category``
orders                      paid orders (all, channel)
paying_customers            distinct customers with a paid order that day (all, channel)
aov                         net_revenue / orders (all, channel), as in the channel report
new_customers               customers whose first paid order ever was that day (all; by
                            that order's channel for ``channel``)
units                       units sold (all, category)
dau                         distinct customers with any event that day
mau                         distinct customers with any event in the 30 days ending that day
stickiness                  dau / mau
conversion                  the day's funnel (``funnel.daily_funnel``, per session, in order):
                            paying sessions / visiting sessions (all; channel of the first
                            visit for ``channel``)
cart_abandonment            1 − ordered / carted sessions of the day's funnel (all, channel)
return_rate                 returned units / sold units, of lines sold that day (all, category)
gross_margin                (line revenue − cost of goods) / line revenue (all, category)
contribution_margin         Σ order contribution (``profit.order_contribution``) / Σ net
                            revenue (all, channel)
==========================  ===============================================================

Additive components, stored so that a period's ratios are exact sums (Σ numerator /
Σ denominator) rather than means of daily ratios:

==========================  ===============================================================
contribution, cogs          Σ order contribution, Σ cost of goods of the day's orders
                            (all, channel)
line_revenue, line_cogs     Σ net line amount, Σ quantity × unit cost (all, category)
returned_units              units of the day's lines returned so far (all, category)
funnel_visit … funnel_pay   sessions of the day's one-day funnel reaching each step
                            (``funnel.daily_funnel``; all, channel of the first visit)
==========================  ===============================================================

Trailing-window rates (dimension ``all``), each value describing the window ending that
day (DESIGN §3 definitions applied to that window):

==========================  ===============================================================
repurchase_rate             customers with ≥ 2 paid orders in the last 90 days / customers
                            with ≥ 1
repurchase_rate_30d         of customers whose first paid order was 30–59 days ago (a
                            30-day cohort whose 30 days are over), the share with another
                            paid order within 30 days of their first
churn_rate                  of customers active 30 days ago (a paid order in the 90 days
                            before), the share not active today
win_back_rate               customers won back in the last 30 days (a paid order after a
                            gap of more than 90 days) / customers in warning or lost 30
                            days ago
==========================  ===============================================================

A ratio whose denominator is 0 is left out (no row), never stored as 0 or infinity.
The trailing rates, DAU and MAU are counted from per-day histograms of how long ago each
customer last ordered and was active (``recency``), so a year of days costs one pass over
the orders, and a day after late data costs that day's orders and a few stored histograms.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analytics.metrics.funnel import daily_funnels
from analytics.metrics.profit import order_contribution
from analytics.metrics.recency import NONE, RATE_COLUMNS, CustomerHistory, customer_history

COLUMNS = ["date", "metric", "dimension", "dimension_value", "value"]
# Sessions reaching each funnel step that day (daily_funnel's columns), stored so that a
# report sums them over any period.
FUNNEL_COUNTS = {
    "funnel_visit": "visits",
    "funnel_product_view": "viewed",
    "funnel_add_to_cart": "carted",
    "funnel_order": "ordered",
    "funnel_pay": "paid",
}


def daily_kpis(
    *,
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    events: pd.DataFrame,
    start: date,
    end: date,
    history: CustomerHistory | None = None,
) -> pd.DataFrame:
    """Every KPI of the module docstring for each day from ``start`` to ``end``."""
    if history is None:
        history = customer_history(orders=orders, events=events, start=start, end=end)
    days = pd.date_range(start, end, freq="D")
    orders = order_contribution(orders).assign(day=orders["paid_at"].dt.normalize())
    lines = lines.assign(day=lines["paid_at"].dt.normalize())
    new = history.days[history.days["previous_day"] == NONE]
    new = pd.DataFrame(
        {
            "day": pd.to_datetime(new["day"].to_numpy(dtype="int64"), unit="D"),
            "channel_id": new["first_channel_id"].to_numpy(),
        }
    )

    parts = [
        _order_sums(orders, new, days, None),
        _order_sums(orders, new, days, "channel_id"),
        _line_sums(lines, days, None),
        _line_sums(lines, days, "category_id"),
        _activity(events, history.users, start, end),
        _rates(history.rates),
    ]
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    frame = frame[np.isfinite(frame["value"].astype("float64"))]
    frame["date"] = frame["date"].dt.date
    return frame[COLUMNS].sort_values(COLUMNS[:4], ignore_index=True)


def _long(wide: pd.DataFrame, dimension: str, key: str | None) -> pd.DataFrame:
    """(day[, key]) × metrics → long rows (a NaN value: no row)."""
    values = wide.to_numpy(dtype="float64")
    rows, metrics = values.shape
    index = wide.index
    day = index.get_level_values("day") if key else index
    long = pd.DataFrame(
        {
            "date": np.repeat(np.asarray(day, dtype="datetime64[ns]"), metrics),
            "metric": np.tile(np.asarray(wide.columns, dtype=object), rows),
            "value": values.ravel(),
            "dimension": dimension,
            "dimension_value": np.repeat(
                index.get_level_values(key).astype("int64").astype(str).to_numpy(), metrics
            )
            if key
            else "",
        }
    )
    return long[long["value"].notna()]


def _in_days(frame: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    return frame[(frame["day"] >= days[0]) & (frame["day"] <= days[-1])]


def _order_sums(orders, new, days, key: str | None) -> pd.DataFrame:
    dimension = "channel" if key else "all"
    orders = _in_days(orders, days)
    if key:
        orders = orders[orders[key].notna()]
    by = ["day", key] if key else ["day"]
    contribution = (
        orders["net_amount"] - orders["cogs"] - orders["commission"] - orders["logistics_cost"]
    )
    grouped = orders.assign(contribution=contribution).groupby(by)
    wide = pd.DataFrame(
        {
            "gmv": grouped["paid_total"].sum(),
            "net_revenue": grouped["net_amount"].sum(),
            "orders": grouped.size(),
            "paying_customers": grouped["customer_id"].nunique(),
        }
    )
    wide["aov"] = wide["net_revenue"] / wide["orders"]
    wide["contribution"] = grouped["contribution"].sum()
    wide["cogs"] = grouped["cogs"].sum()
    net = grouped["net_amount"].sum()
    wide["contribution_margin"] = (grouped["contribution"].sum() / net).where(net != 0)
    new = _in_days(new, days)
    if key:
        new = new[new[key].notna()]
    wide["new_customers"] = new.groupby(by).size().reindex(wide.index).fillna(0)
    return _long(wide, dimension, key)


def _line_sums(lines, days, key: str | None) -> pd.DataFrame:
    lines = _in_days(lines, days)
    by = ["day", key] if key else ["day"]
    cost = lines["quantity"] * lines["unit_cost"]
    grouped = lines.assign(cost=cost).groupby(by)
    units = grouped["quantity"].sum()
    revenue = grouped["net_amount"].sum()
    wide = pd.DataFrame(
        {
            "units": units,
            "return_rate": (grouped["returned_quantity"].sum() / units).where(units != 0),
            "gross_margin": ((revenue - grouped["cost"].sum()) / revenue).where(revenue != 0),
            "returned_units": grouped["returned_quantity"].sum(),
            "line_revenue": revenue,
            "line_cogs": grouped["cost"].sum(),
        }
    )
    if key:
        wide["net_revenue"] = revenue
    return _long(wide, "category" if key else "all", key)


def _activity(events: pd.DataFrame, users: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    wide = pd.DataFrame(
        {"dau": users["dau"].to_numpy(), "mau": users["mau"].to_numpy()},
        index=pd.DatetimeIndex(users["day"], name="day"),
    )
    wide["stickiness"] = (wide["dau"] / wide["mau"]).where(wide["mau"] > 0)
    funnel, by_channel = daily_funnels(events, start=start, end=end)
    funnel = funnel.set_index("day")
    wide["conversion"] = funnel["conversion"].to_numpy()
    wide["cart_abandonment"] = funnel["cart_abandonment"].to_numpy()
    for metric, column in FUNNEL_COUNTS.items():
        wide[metric] = funnel[column].to_numpy()
    by_channel = by_channel[by_channel["channel_id"].notna()]
    by_channel["day"] = pd.to_datetime(by_channel["day"])
    channel = by_channel.set_index(["day", "channel_id"])[
        ["conversion", "cart_abandonment", *FUNNEL_COUNTS.values()]
    ].rename(columns={column: metric for metric, column in FUNNEL_COUNTS.items()})
    return pd.concat([_long(wide, "all", None), _long(channel, "channel", "channel_id")])


def _rates(rates: pd.DataFrame) -> pd.DataFrame:
    """The trailing-window rates of the module docstring (``recency.trailing_rates``)."""
    wide = rates.set_index(pd.DatetimeIndex(rates["day"], name="day"))[RATE_COLUMNS]
    return _long(wide, "all", None)


# Period summaries: how each stored daily metric combines over a period.
SUMMED = (
    "gmv", "net_revenue", "orders", "new_customers", "units", "contribution", "cogs",
    "line_revenue", "line_cogs", "returned_units", *FUNNEL_COUNTS,
)  # fmt: skip
AT_PERIOD_END = ("mau", "repurchase_rate", "repurchase_rate_30d", "churn_rate", "win_back_rate")


def period_summary(daily: pd.DataFrame, *, start: date, end: date) -> dict[str, float]:
    """One value per KPI over ``[start, end]`` from stored daily rows (date, metric, value).

    Sums for counts and money; ratios as Σ numerator / Σ denominator (aov, conversion =
    Σ paying sessions / Σ visiting sessions, cart_abandonment, return_rate, gross_margin,
    contribution_margin); dau as the mean over every day of the period (a day without a
    row counts 0); mau and the trailing-window rates (repurchase, churn, win-back) as of
    the period's last day; stickiness = mean dau / that mau. A ratio without denominator
    is NaN; so is a value with no row at all.
    """
    rows = daily[(daily["date"] >= start) & (daily["date"] <= end)]
    values = rows.groupby("metric")["value"]
    sums = values.sum()
    out: dict[str, float] = {m: float(sums[m]) if m in sums else float("nan") for m in SUMMED}
    last = rows.sort_values("date").groupby("metric")["value"].last()
    last_day = rows.groupby("metric")["date"].max()
    for metric in AT_PERIOD_END:
        present = metric in last and last_day[metric] == end
        out[metric] = float(last[metric]) if present else float("nan")
    days = (end - start).days + 1
    out["dau"] = float(sums["dau"]) / days if "dau" in sums else float("nan")
    out["stickiness"] = _div(out["dau"], out["mau"])
    out["aov"] = _div(out["net_revenue"], out["orders"])
    out["conversion"] = _div(out["funnel_pay"], out["funnel_visit"])
    out["cart_abandonment"] = 1 - _div(out["funnel_order"], out["funnel_add_to_cart"])
    out["return_rate"] = _div(out["returned_units"], out["units"])
    out["gross_margin"] = _div(out["line_revenue"] - out["line_cogs"], out["line_revenue"])
    out["contribution_margin"] = _div(out["contribution"], out["net_revenue"])
    return out


def relative_change(current: float, previous: float) -> float:
    """(current − previous) / |previous|; NaN when either is missing or previous is 0."""
    if previous is None or current is None or previous != previous or current != current:
        return float("nan")
    return (current - previous) / abs(previous) if previous else float("nan")


def _div(numerator: float, denominator: float) -> float:
    if denominator != denominator or numerator != numerator or denominator == 0:
        return float("nan")
    return numerator / denominator
