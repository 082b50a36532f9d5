"""Channel quality: traffic, conversion, revenue, acquisition cost and return (DESIGN §3).

Inputs (naive local timestamps, money as float64; the period is ``[start, end]``, local
dates, inclusive):

- ``events``: session_id, customer_id (NaN when anonymous), type, occurred_at, channel_id.
- ``orders``: paid orders (``analytics.loaders.paid_orders``): order_id, customer_id (NaN
  for guests), channel_id, paid_at, net_amount (paid total − refunds), cogs. Pass **all**
  paid orders up to ``end``, not only the period's: "new customer" needs each customer's
  first paid order ever.
- ``spend``: channel_id, date, spend (``ChannelSpend``).

Definitions, per channel_id (a NaN channel is kept as its own row so totals add up):

- visitors: distinct visitors with a ``visit`` event on the channel in the period, where a
  visitor is the customer when the event carries a customer_id and the session otherwise
  (an anonymous session is one visitor).
- paying_customers: distinct customers with a paid order of the channel in the period
  (guest orders add revenue but no paying customer).
- conversion_rate = paying_customers / visitors.
- paid_orders, revenue = Σ net_amount, aov = revenue / paid_orders,
  gross_profit = revenue − Σ cogs (before commission and logistics: see ``profit``).
- spend = Σ spend of the period's days.
- new_customers: customers whose first paid order ever falls in the period, attributed
  to the channel of that first order (ties on paid_at broken by order_id).
- cac = spend / new_customers; roi = (gross_profit − spend) / spend.

Every division by zero gives NaN, never inf.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

COLUMNS = [
    "channel_id",
    "visitors",
    "paying_customers",
    "conversion_rate",
    "paid_orders",
    "revenue",
    "aov",
    "gross_profit",
    "spend",
    "new_customers",
    "cac",
    "roi",
]


def channel_quality(
    events: pd.DataFrame,
    orders: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    start: date,
    end: date,
) -> pd.DataFrame:
    """One row per channel seen in the period's visits, orders or spend (see module doc).

    Returns the columns in ``COLUMNS``, sorted by channel_id (NaN last).
    """
    visits = _in_period(events[events["type"] == "visit"], "occurred_at", start, end)
    visitor = pd.DataFrame(
        {
            "channel_id": visits["channel_id"],
            "customer_id": visits["customer_id"],
            # Only anonymous visits are told apart by session; a known customer is one visitor.
            "session_id": visits["session_id"].where(visits["customer_id"].isna()),
        }
    ).drop_duplicates()
    visitors = visitor.groupby("channel_id", dropna=False).size().rename("visitors")

    period_orders = _in_period(orders, "paid_at", start, end)
    by_channel = period_orders.groupby("channel_id", dropna=False)
    sales = by_channel.agg(
        paying_customers=("customer_id", "nunique"),
        paid_orders=("order_id", "nunique"),
        revenue=("net_amount", "sum"),
        cogs=("cogs", "sum"),
    )
    sales["gross_profit"] = sales["revenue"] - sales.pop("cogs")

    first = orders[orders["customer_id"].notna()].sort_values(["paid_at", "order_id"])
    first = _in_period(first.drop_duplicates("customer_id"), "paid_at", start, end)
    new = first.groupby("channel_id", dropna=False).size().rename("new_customers")

    spend_days = pd.to_datetime(spend["date"])
    in_period = (spend_days >= pd.Timestamp(start)) & (spend_days <= pd.Timestamp(end))
    costs = spend[in_period].groupby("channel_id", dropna=False)["spend"].sum()

    table = pd.concat([visitors, sales, new, costs.rename("spend")], axis=1)
    return quality_from_totals(table.rename_axis("channel_id").reset_index())


def quality_from_totals(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`channel_quality` from per-channel totals of a period: channel_id, visitors,
    paying_customers, paid_orders, revenue, gross_profit, new_customers, spend (missing
    values are 0) — e.g. the stored daily KPIs summed by the report selector."""
    table = table.set_index("channel_id")
    counts = ["visitors", "paying_customers", "paid_orders", "new_customers"]
    table[counts] = table[counts].fillna(0).astype("int64")
    money = ["revenue", "gross_profit", "spend"]
    table[money] = table[money].fillna(0.0).astype("float64")
    table["conversion_rate"] = _ratio(table["paying_customers"], table["visitors"])
    table["aov"] = _ratio(table["revenue"], table["paid_orders"])
    table["cac"] = _ratio(table["spend"], table["new_customers"])
    table["roi"] = _ratio(table["gross_profit"] - table["spend"], table["spend"])
    table = table.rename_axis("channel_id").sort_index(na_position="last").reset_index()
    return table[COLUMNS]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator with NaN (never inf) where the denominator is 0."""
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / denominator.where(denominator != 0)


def _in_period(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    days = frame[column].dt.normalize()
    return frame[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
