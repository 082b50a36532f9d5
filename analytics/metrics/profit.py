"""Order contribution and margin, per order and aggregated (DESIGN §3).

Definitions, exactly:

- net_revenue = paid_total − refunds
- commission = commission_rate / 100 × net_revenue (the channel's rate is a percent of
  net revenue, so a refund also returns its commission)
- contribution = net_revenue − cogs − commission − logistics_cost
- margin = contribution / net_revenue (NaN when net revenue is 0)

Input ``orders`` (paid orders, ``analytics.loaders.paid_orders``): order_id, paid_at
(naive local), channel_id, paid_total, refunds, cogs (Σ quantity × unit cost at sale),
logistics_cost, and commission_rate (percent, 0–100). A frame that already carries the
``commission`` amount (as ``paid_orders`` returns it) is used as is.

Aggregates sum the money columns and take margin as a ratio of sums (Σ contribution /
Σ net revenue), never a mean of order margins. Periods are ``[start, end]`` local dates on
paid_at, inclusive.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

MONEY = ["net_revenue", "cogs", "commission", "logistics_cost", "contribution"]


def order_contribution(orders: pd.DataFrame) -> pd.DataFrame:
    """Add net_revenue, commission, contribution and margin to each order.

    Returns a copy of ``orders`` with those four columns (float64) set.
    """
    out = orders.copy()
    out["net_revenue"] = out["paid_total"] - out["refunds"]
    if "commission_rate" in out.columns:
        out["commission"] = out["commission_rate"] / 100 * out["net_revenue"]
    out["contribution"] = (
        out["net_revenue"] - out["cogs"] - out["commission"] - out["logistics_cost"]
    )
    out["margin"] = out["contribution"] / out["net_revenue"].where(out["net_revenue"] != 0)
    return out


def contribution_by(orders: pd.DataFrame, *, by: str, start: date, end: date) -> pd.DataFrame:
    """Contribution aggregated by ``by``: "day" (local paid date), "channel" or "all".

    Returns one row per group: [day | channel_id,] orders, net_revenue, cogs, commission,
    logistics_cost, contribution, margin. Days without orders are absent.
    """
    rows = order_contribution(_in_period(orders, start, end))
    if by == "day":
        keys = rows["paid_at"].dt.date.rename("day")
    elif by == "channel":
        keys = rows["channel_id"]
    elif by == "all":
        keys = pd.Series(0, index=rows.index, name="all")
    else:
        raise ValueError(f'by must be "day", "channel" or "all", not {by!r}')
    table = rows.groupby(keys, dropna=False).agg(
        orders=("order_id", "size"), **{column: (column, "sum") for column in MONEY}
    )
    table["margin"] = _margin(table)
    return table.reset_index(drop=by == "all")


def contribution_by_category(
    orders: pd.DataFrame, lines: pd.DataFrame, *, start: date, end: date
) -> pd.DataFrame:
    """Contribution per product category, with order-level amounts allocated to lines.

    ``lines``: order_id, category_id, quantity, unit_cost, net_amount (line revenue after
    line discount). Cost of goods is exact per line (quantity × unit_cost). Every
    order-level amount — paid total, refunds, commission, logistics — is allocated to the
    order's lines in proportion to their net_amount (equal shares when the order's lines
    sum to 0), so the categories add up to ``contribution_by(by="all")`` minus any orders
    without lines.

    Returns one row per category_id: net_revenue, cogs, commission, logistics_cost,
    contribution, margin.
    """
    rows = order_contribution(_in_period(orders, start, end))
    order_level = ["paid_total", "refunds", "commission", "logistics_cost"]
    merged = lines[["order_id", "category_id", "quantity", "unit_cost", "net_amount"]].merge(
        rows[["order_id", *order_level]], on="order_id"
    )
    order_net = merged.groupby("order_id")["net_amount"].transform("sum")
    n_lines = merged.groupby("order_id")["net_amount"].transform("size")
    share = (merged["net_amount"] / order_net.where(order_net != 0)).fillna(1 / n_lines)
    allocated = merged[order_level].mul(share, axis=0)
    allocated["net_revenue"] = allocated["paid_total"] - allocated["refunds"]
    allocated["cogs"] = merged["quantity"] * merged["unit_cost"]
    allocated["contribution"] = (
        allocated["net_revenue"]
        - allocated["cogs"]
        - allocated["commission"]
        - allocated["logistics_cost"]
    )
    table = allocated[MONEY].groupby(merged["category_id"], dropna=False).sum()
    table["margin"] = _margin(table)
    return table.reset_index()


def _margin(table: pd.DataFrame) -> pd.Series:
    revenue = table["net_revenue"]
    return table["contribution"] / revenue.where(revenue != 0)


def _in_period(orders: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    days = orders["paid_at"].dt.normalize()
    return orders[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
