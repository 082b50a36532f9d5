"""Product matrix (quadrants) and quality flags (DESIGN §3).

Inputs (naive local timestamps, money as float64; periods are inclusive ``[start, end]``
local dates on the order's paid_at):

- ``lines``: lines of paid orders (``analytics.loaders.paid_lines``) with product_id,
  paid_at, quantity, net_amount (quantity × unit_price − line discount), unit_cost (at
  sale time) and, for quality flags, returned_quantity.
- ``reviews``: product_id, rating (1–5), created_at.

**Product matrix**, per product sold in the period: units, revenue (net of line
discounts, before refunds), cost = Σ unit_cost × quantity, gross_profit = revenue − cost,
margin = gross_profit / revenue (NaN when revenue is 0). Quadrants split volume (units)
and margin at the medians over the products in the matrix, or at given split values;
"high" means **≥ the split** (a product exactly at the median is high). A NaN margin is
low. star = high volume & high margin; traffic_driver 引流款 = high volume & low margin;
profit_contributor 利润款 = low volume & high margin; long_tail = low & low.

**Quality flags**, per product sold in the period: return rate = returned units / sold
units, counting returns of the lines sold in the period (whenever they came back);
positive rate = reviews with rating ≥ ``positive_rating`` / reviews, over reviews created
in the period (NaN without reviews). Flagged when return_rate ≥ ``max_return_rate`` and
positive_rate < ``min_positive_rate`` and units_sold ≥ ``min_units``; a product without
reviews is never flagged (no evidence on satisfaction).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

STAR = "star"
TRAFFIC_DRIVER = "traffic_driver"  # 引流款
PROFIT_CONTRIBUTOR = "profit_contributor"  # 利润款
LONG_TAIL = "long_tail"
QUADRANTS = (STAR, TRAFFIC_DRIVER, PROFIT_CONTRIBUTOR, LONG_TAIL)


def product_matrix(
    lines: pd.DataFrame,
    *,
    start: date,
    end: date,
    volume_split: float | None = None,
    margin_split: float | None = None,
) -> pd.DataFrame:
    """Units, revenue, gross profit, margin and quadrant per product sold in the period.

    Returns one row per product, sorted by product_id: product_id, units, revenue, cost,
    gross_profit, margin, high_volume, high_margin, quadrant. The split values used are
    stored in ``frame.attrs["volume_split"]`` and ``frame.attrs["margin_split"]``.
    """
    rows = _in_period(lines, "paid_at", start, end)
    totals = (
        rows.assign(cost=rows["unit_cost"] * rows["quantity"])
        .groupby("product_id", sort=True)
        .agg(units=("quantity", "sum"), revenue=("net_amount", "sum"), cost=("cost", "sum"))
        .reset_index()
    )
    return matrix_from_totals(totals, volume_split=volume_split, margin_split=margin_split)


def matrix_from_totals(
    totals: pd.DataFrame, *, volume_split: float | None = None, margin_split: float | None = None
) -> pd.DataFrame:
    """:func:`product_matrix` from per-product sums of a period (product_id, units,
    revenue, cost), e.g. the stored ``ProductSales`` facts summed by the report selector."""
    matrix = totals.sort_values("product_id", ignore_index=True)
    matrix["gross_profit"] = matrix["revenue"] - matrix["cost"]
    revenue = matrix["revenue"].where(matrix["revenue"] != 0)
    matrix["margin"] = matrix["gross_profit"] / revenue
    if volume_split is None:
        volume_split = float(matrix["units"].median()) if len(matrix) else float("nan")
    if margin_split is None:
        margin_split = float(matrix["margin"].median()) if len(matrix) else float("nan")
    matrix["high_volume"] = matrix["units"] >= volume_split
    matrix["high_margin"] = (matrix["margin"] >= margin_split).fillna(False).astype(bool)
    matrix["quadrant"] = np.select(
        [
            matrix["high_volume"] & matrix["high_margin"],
            matrix["high_volume"],
            matrix["high_margin"],
        ],
        [STAR, TRAFFIC_DRIVER, PROFIT_CONTRIBUTOR],
        default=LONG_TAIL,
    )
    matrix.attrs["volume_split"] = volume_split
    matrix.attrs["margin_split"] = margin_split
    return matrix


def quality_flags(
    lines: pd.DataFrame,
    reviews: pd.DataFrame,
    *,
    start: date,
    end: date,
    max_return_rate: float = 0.2,
    min_positive_rate: float = 0.7,
    min_units: int = 30,
    positive_rating: int = 4,
) -> pd.DataFrame:
    """Return rate, positive review rate and the quality flag per product sold in the period.

    Returns one row per product, sorted by product_id: product_id, units_sold,
    returned_units, return_rate, reviews, positive_reviews, positive_rate, flagged.
    """
    rows = _in_period(lines, "paid_at", start, end)
    sold = rows.groupby("product_id", sort=True).agg(
        units_sold=("quantity", "sum"), returned_units=("returned_quantity", "sum")
    )
    period_reviews = _in_period(reviews, "created_at", start, end)
    rated = period_reviews.assign(positive=period_reviews["rating"] >= positive_rating)
    rated = rated.groupby("product_id").agg(
        reviews=("rating", "size"), positive_reviews=("positive", "sum")
    )
    return flags_from_totals(
        sold.reset_index(),
        rated.reset_index(),
        max_return_rate=max_return_rate,
        min_positive_rate=min_positive_rate,
        min_units=min_units,
    )


def flags_from_totals(
    sold: pd.DataFrame,
    rated: pd.DataFrame,
    *,
    max_return_rate: float = 0.2,
    min_positive_rate: float = 0.7,
    min_units: int = 30,
) -> pd.DataFrame:
    """:func:`quality_flags` from per-product sums of a period: ``sold`` (product_id,
    units_sold, returned_units) and ``rated`` (product_id, reviews, positive_reviews)."""
    sold = sold.set_index("product_id").sort_index()
    rated = rated.set_index("product_id")
    flags = sold.join(rated, how="left").fillna({"reviews": 0, "positive_reviews": 0})
    flags[["reviews", "positive_reviews"]] = flags[["reviews", "positive_reviews"]].astype("int64")
    units = flags["units_sold"].astype("float64")
    flags["return_rate"] = flags["returned_units"] / units.where(units != 0)
    n_reviews = flags["reviews"].astype("float64")
    flags["positive_rate"] = flags["positive_reviews"] / n_reviews.where(n_reviews != 0)
    flags["flagged"] = (
        (flags["return_rate"] >= max_return_rate)
        & (flags["positive_rate"] < min_positive_rate)
        & (flags["units_sold"] >= min_units)
    )
    columns = [
        "units_sold",
        "returned_units",
        "return_rate",
        "reviews",
        "positive_reviews",
        "positive_rate",
        "flagged",
    ]
    return flags[columns].reset_index()


def top_products(
    matrix: pd.DataFrame, *, by: str = "revenue", n: int = 10, bottom: bool = False
) -> pd.DataFrame:
    """The ``n`` products with the highest (or, with ``bottom``, lowest) ``by`` value.

    Works on any per-product frame (``product_matrix``, ``quality_flags``); NaN values
    rank last either way; ties keep the lower product_id first.
    """
    ordered = matrix.sort_values(
        [by, "product_id"], ascending=[bottom, True], na_position="last", kind="stable"
    )
    return ordered.head(n).reset_index(drop=True)


def _in_period(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    days = frame[column].dt.normalize()
    return frame[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
