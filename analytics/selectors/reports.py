"""Report selectors: each sums stored facts or daily KPIs in SQL over the filter and hands
the sums to a pure function of ``analytics.metrics``.

Every report reads tables the kpis step materialised (``DailyKPI``, ``ProductSales``,
``ProductReviews``, ``ActivityCell``, ``Cohort``, ``CohortCell``) or the scores
(``CustomerScore``); none reads orders, lines or events, so a report costs the same at 1M
orders as at 1k. The one exception is the KPI summary's ``paying_customers`` (distinct
customers cannot be summed over days): one ``COUNT(DISTINCT customer_id)`` over the
period's paid orders through the ``paid_at`` index.

Filters (:class:`ReportFilter`): a date range (inclusive), a channel and a category (the
category and everything under it). A report that cannot break down by one of them says
so in its docstring and ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Case, CharField, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat

from analytics.loaders import day_end, day_start
from analytics.metrics import activity, basket, channels, cohorts, funnel, products
from analytics.metrics.kpis import SUMMED, period_summary, relative_change
from analytics.models import (
    ActivityCell,
    Cohort,
    CohortCell,
    CustomerScore,
    DailyKPI,
    Event,
    InventorySnapshot,
    KpiTarget,
    ProductAffinity,
    ProductForecast,
    ProductReviews,
    ProductSales,
    Recommendation,
)
from catalog.models import Category, Channel, ChannelSpend, Order, Product


class ReportFilterError(ValueError):
    code = "invalid_filter"


@dataclass(frozen=True)
class ReportFilter:
    start: date
    end: date
    channel: Channel | None = None
    category: Category | None = None

    def __post_init__(self):
        if self.start > self.end:
            raise ReportFilterError(f"start {self.start} is after end {self.end}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportFilter:
        """The period of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return ReportFilter(end - timedelta(days=self.days - 1), end, self.channel, self.category)

    def category_ids(self) -> list[int] | None:
        return None if self.category is None else category_subtree(self.category.pk)


def category_subtree(category_id: int) -> list[int]:
    """The category and all its descendants (the tree is small: one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = [], [category_id]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(children.get(node, ()))
    return sorted(found)


# --- KPIs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiSummary:
    """KPI values over the filter's period, the previous period of the same length, and
    the relative change (NaN where the previous value is 0 or missing)."""

    current: dict[str, float]
    previous: dict[str, float]

    @property
    def change(self) -> dict[str, float]:
        return {
            metric: relative_change(value, self.previous.get(metric))
            for metric, value in self.current.items()
        }


def kpi_summary(f: ReportFilter) -> KpiSummary:
    """KPIs of DESIGN §3 over the period (``metrics.kpis.period_summary``), for all sales,
    one channel (order and funnel KPIs) or one category and everything under it (line
    KPIs: units, line revenue, return rate, gross margin — the subtree's stored components
    are summed and the ratios recomputed from the sums)."""
    return KpiSummary(current=_period_values(f), previous=_period_values(f.previous()))


def _kpi_rows(f: ReportFilter):
    """The stored daily KPI rows of the filter's period and dimension."""
    rows = DailyKPI.objects.filter(date__gte=f.start, date__lte=f.end)
    if f.channel is not None:
        rows = rows.filter(dimension=DailyKPI.Dimension.CHANNEL, dimension_value=f.channel.code)
    elif f.category is not None:
        rows = rows.filter(
            dimension=DailyKPI.Dimension.CATEGORY,
            dimension_value__in=[str(pk) for pk in f.category_ids()],
        )
    else:
        rows = rows.filter(dimension=DailyKPI.Dimension.ALL)
    return rows


def _period_values(f: ReportFilter, *, paying_customers: bool = True) -> dict[str, float]:
    rows = _kpi_rows(f)
    summed = rows.values("date", "metric").annotate(value=Sum("value")).order_by()
    daily = pd.DataFrame.from_records(list(summed), columns=["date", "metric", "value"])
    daily["value"] = daily["value"].astype("float64")
    values = period_summary(daily, start=f.start, end=f.end)
    if paying_customers:  # the one figure read from orders: only when asked
        values["paying_customers"] = (
            float(_paying_customers(f)) if f.category is None else float("nan")
        )
    return values


def kpi_series(f: ReportFilter, metrics: list[str]) -> pd.DataFrame:
    """Daily values of stored KPIs over the period: one row per day (every day of the
    period, 0 where nothing was stored), one column per metric; a category's subtree is
    summed. For the trend charts of the cockpit."""
    summed = (
        _kpi_rows(f)
        .filter(metric__in=metrics)
        .values("date", "metric")
        .annotate(value=Sum("value"))
        .order_by()
    )
    frame = pd.DataFrame.from_records(list(summed), columns=["date", "metric", "value"])
    days = pd.Index([f.start + timedelta(days=i) for i in range(f.days)], name="date")
    frame["value"] = frame["value"].astype("float64")
    wide = frame.set_index(["date", "metric"])["value"].unstack("metric")
    wide = wide.reindex(index=days, columns=metrics).astype("float64").fillna(0.0)
    return wide.rename_axis(columns=None).reset_index()


def _paying_customers(f: ReportFilter) -> int:
    orders = Order.objects.paid().filter(
        paid_at__gte=day_start(f.start), paid_at__lt=day_end(f.end), customer__isnull=False
    )
    if f.channel is not None:
        orders = orders.filter(channel=f.channel)
    return orders.aggregate(n=Count("customer_id", distinct=True))["n"]


@dataclass(frozen=True)
class TargetProgress:
    target: KpiTarget
    actual: float
    progress: float  # actual / target
    expected: float  # share of the target period elapsed at as_of (for summed metrics)


def kpi_target_progress(*, as_of: date) -> list[TargetProgress]:
    """Every target whose period contains ``as_of``: the actual value of its metric from
    the period's start to ``as_of`` and its progress; for summed metrics (GMV, orders...)
    ``expected`` is the share of the period elapsed, the pace to compare progress with."""
    targets = KpiTarget.objects.filter(period_start__lte=as_of, period_end__gte=as_of).order_by(
        "metric", "period_start"
    )
    results = []
    for target in targets.select_related("owner_user", "owner_team"):
        values = _period_values(
            ReportFilter(target.period_start, as_of),
            paying_customers=target.metric == "paying_customers",
        )
        actual = values.get(target.metric, float("nan"))
        goal = float(target.target)
        total_days = (target.period_end - target.period_start).days + 1
        elapsed = ((as_of - target.period_start).days + 1) / total_days
        results.append(
            TargetProgress(
                target=target,
                actual=actual,
                progress=actual / goal if goal else float("nan"),
                expected=elapsed if target.metric in SUMMED else 1.0,
            )
        )
    return results


# --- Funnel and activity ------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelReport:
    steps: pd.DataFrame  # [channel,] step, count, step_conversion, overall_conversion
    cart_abandonment: float
    payment_dropoff: float


def funnel_report(f: ReportFilter, *, by_channel: bool = False) -> FunnelReport:
    """visit → view → cart → order → pay per session, from the stored one-day funnels
    summed over the period (a session spans one day), overall or for the filter's channel;
    ``by_channel`` adds one block per channel code. Category is ignored (sessions have no
    category)."""
    metrics = [f"funnel_{step}" for step in funnel.FUNNEL_STEPS]
    rows = DailyKPI.objects.filter(date__gte=f.start, date__lte=f.end, metric__in=metrics)
    if by_channel or f.channel is not None:
        rows = rows.filter(dimension=DailyKPI.Dimension.CHANNEL)
        if f.channel is not None:
            rows = rows.filter(dimension_value=f.channel.code)
    else:
        rows = rows.filter(dimension=DailyKPI.Dimension.ALL)
    sums = rows.values("dimension_value", "metric").annotate(value=Sum("value")).order_by()
    frame = pd.DataFrame.from_records(list(sums), columns=["dimension_value", "metric", "value"])
    frame["value"] = frame["value"].astype("float64").round().astype("int64")
    counts = frame.pivot_table(
        index="dimension_value", columns="metric", values="value", aggfunc="sum", fill_value=0
    ).reindex(columns=metrics, fill_value=0)
    counts.columns = list(funnel.FUNNEL_STEPS)
    counts.index.name = "channel"
    totals = counts.sum().to_frame().T
    if counts.empty:
        totals = pd.DataFrame([[0] * len(funnel.FUNNEL_STEPS)], columns=list(funnel.FUNNEL_STEPS))
    keys = ["channel"] if by_channel else []
    steps = funnel.steps_from_counts(counts if by_channel else totals, keys)
    total = totals.iloc[0]
    carted, ordered, paid = total["add_to_cart"], total["order"], total["pay"]
    return FunnelReport(
        steps=steps,
        cart_abandonment=1 - ordered / carted if carted else float("nan"),
        payment_dropoff=1 - paid / ordered if ordered else float("nan"),
    )


def activity_report(f: ReportFilter, *, measure: str = "events") -> pd.DataFrame:
    """Weekday × hour counts of ``measure`` ("events" or "orders") over the period, for all
    categories or the filter's category (and its subtree). Channel is ignored."""
    if measure not in ("events", "orders"):
        raise ReportFilterError(f"measure must be events or orders, not {measure!r}")
    cells = ActivityCell.objects.filter(date__gte=f.start, date__lte=f.end)
    ids = f.category_ids()
    cells = cells.filter(category__isnull=True) if ids is None else cells.filter(category__in=ids)
    # Per category an order counts in each category it has a line in; over a subtree an
    # order with lines in two of its categories is counted twice (documented limit).
    sums = cells.values("date", "hour").annotate(value=Sum(measure)).order_by()
    frame = pd.DataFrame.from_records(list(sums), columns=["date", "hour", "value"])
    return activity.weekday_hour_from_cells(frame, value="value")


# --- Cohorts and repurchase ---------------------------------------------------------------


@dataclass(frozen=True)
class CohortReport:
    retention: pd.DataFrame  # cohorts.cohort_retention's long table
    repurchase_30d: pd.DataFrame  # cohort (Period[M]), matured, repurchased, rate
    interval_median_days: float
    interval_pairs: int
    interval_histogram: pd.Series = field(repr=False)  # pairs per day of interval


def cohort_report(f: ReportFilter) -> CohortReport:
    """Cohorts whose first paid order falls in the filter's months (start's month to end's
    month), for all first-order channels or the filter's; retention up to the month of
    ``end``. Category is ignored (a cohort is of customers)."""
    first_month = f.start.replace(day=1)
    last_month = f.end.replace(day=1)
    channel = Q() if f.channel is None else Q(channel=f.channel)
    cell_rows = (
        CohortCell.objects.filter(channel, month__gte=first_month, month__lte=last_month)
        .values("month", "months_since")
        .annotate(active_customers=Sum("customers"), revenue=Sum("revenue"))
        .order_by()
    )
    cells = pd.DataFrame.from_records(
        list(cell_rows), columns=["month", "months_since", "active_customers", "revenue"]
    )
    cells["cohort"] = [pd.Period(m, freq="M").ordinal for m in cells["month"]]
    end_ordinal = pd.Period(f.end, freq="M").ordinal
    cells = cells[cells["cohort"] + cells["months_since"] <= end_ordinal]
    cells["revenue"] = cells["revenue"].astype("float64")
    retention = cohorts.retention_from_cells(cells, as_of=f.end)

    groups = Cohort.objects.filter(channel, month__gte=first_month, month__lte=last_month)
    repurchase = (
        groups.values("month")
        .annotate(matured=Sum("matured_30d"), repurchased=Sum("repurchased_30d"))
        .order_by("month")
    )
    table = pd.DataFrame.from_records(list(repurchase), columns=["month", "matured", "repurchased"])
    table["cohort"] = [pd.Period(m, freq="M") for m in table["month"]]
    matured = table["matured"].astype("float64")
    table["rate"] = table["repurchased"] / matured.where(matured > 0)
    # Every consecutive pair of the cohorts' paid orders up to the run's as_of, kept in the
    # cell of the later order's month.
    histogram: dict[int, int] = {}
    cohort_cells = CohortCell.objects.filter(channel, month__gte=first_month, month__lte=last_month)
    for intervals in cohort_cells.values_list("intervals", flat=True):
        for days, count in intervals.items():
            histogram[int(days)] = histogram.get(int(days), 0) + count
    series = pd.Series(histogram, dtype="int64").sort_index()
    return CohortReport(
        retention=retention,
        repurchase_30d=table[["cohort", "matured", "repurchased", "rate"]],
        interval_median_days=_histogram_median(series),
        interval_pairs=int(series.sum()),
        interval_histogram=series,
    )


def _histogram_median(histogram: pd.Series) -> float:
    """The median of the values a {value: count} histogram describes (np.median's rule:
    the mean of the two middle values when the count is even)."""
    n = int(histogram.sum())
    if n == 0:
        return float("nan")
    cumulative = histogram.cumsum().to_numpy()
    values = histogram.index.to_numpy()
    lower = values[np.searchsorted(cumulative, (n - 1) // 2 + 1)]
    upper = values[np.searchsorted(cumulative, n // 2 + 1)]
    return (float(lower) + float(upper)) / 2


# --- Products -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductReport:
    matrix: pd.DataFrame  # products.product_matrix's columns + name, code
    flags: pd.DataFrame  # products.quality_flags's columns + name, code
    volume_split: float
    margin_split: float


def product_report(f: ReportFilter) -> ProductReport:
    """The product matrix and quality flags over the period, from the stored daily product
    sales (the filter's channel and category apply) and reviews (category applies)."""
    sales = ProductSales.objects.filter(date__gte=f.start, date__lte=f.end)
    reviews = ProductReviews.objects.filter(date__gte=f.start, date__lte=f.end)
    if f.channel is not None:
        sales = sales.filter(channel=f.channel)
    ids = f.category_ids()
    if ids is not None:
        sales = sales.filter(product__category__in=ids)
        reviews = reviews.filter(product__category__in=ids)
    totals = pd.DataFrame.from_records(
        list(
            sales.values("product_id")
            .annotate(
                units=Sum("units"),
                revenue=Sum("revenue"),
                cost=Sum("cost"),
                returned_units=Sum("returned_units"),
            )
            .order_by()
        ),
        columns=["product_id", "units", "revenue", "cost", "returned_units"],
    ).astype({"revenue": "float64", "cost": "float64"})
    rated = pd.DataFrame.from_records(
        list(
            reviews.values("product_id")
            .annotate(reviews=Sum("reviews"), positive_reviews=Sum("positive_reviews"))
            .order_by()
        ),
        columns=["product_id", "reviews", "positive_reviews"],
    )
    a = settings.ANALYTICS
    matrix = products.matrix_from_totals(totals[["product_id", "units", "revenue", "cost"]])
    flags = products.flags_from_totals(
        totals.rename(columns={"units": "units_sold"})[
            ["product_id", "units_sold", "returned_units"]
        ],
        rated,
        max_return_rate=a["QUALITY_RETURN_RATE"],
        min_positive_rate=a["QUALITY_POSITIVE_RATE"],
        min_units=a["QUALITY_MIN_UNITS"],
    )
    names = pd.DataFrame.from_records(
        list(
            Product.objects.filter(pk__in=totals["product_id"].tolist()).values(
                "id", "code", "name"
            )
        ),
        columns=["id", "code", "name"],
    ).rename(columns={"id": "product_id"})
    return ProductReport(
        matrix=matrix.merge(names, on="product_id", how="left"),
        flags=flags.merge(names, on="product_id", how="left"),
        volume_split=matrix.attrs.get("volume_split", float("nan")),
        margin_split=matrix.attrs.get("margin_split", float("nan")),
    )


# --- Predicted value ------------------------------------------------------------------------

CLV_EDGES = (0, 50, 100, 200, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class ClvBucket:
    low: Decimal
    high: Decimal | None  # None: open-ended
    customers: int
    predicted_value: Decimal


def clv_distribution(*, edges=CLV_EDGES) -> list[ClvBucket]:
    """Customers with a prediction by predicted 90-day value, in buckets [low, high): one
    grouped query over the stored scores. Customers without a prediction are left out."""
    edges = [Decimal(e) for e in edges]
    bucket = Case(
        *[When(predicted_value_90d__lt=high, then=Value(i)) for i, high in enumerate(edges[1:])],
        default=Value(len(edges) - 1),
    )
    rows = (
        CustomerScore.objects.filter(predicted_value_90d__isnull=False)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(
            customers=Count("pk"), value=Sum(F("predicted_value_90d"), output_field=DecimalField())
        )
        .order_by("bucket")
    )
    found = {row["bucket"]: row for row in rows}
    buckets = []
    for i, low in enumerate(edges):
        row = found.get(i, {"customers": 0, "value": Decimal(0)})
        buckets.append(
            ClvBucket(
                low=low,
                high=edges[i + 1] if i + 1 < len(edges) else None,
                customers=row["customers"],
                predicted_value=row["value"] or Decimal(0),
            )
        )
    return buckets


# --- Channels -------------------------------------------------------------------------------


def channel_report(f: ReportFilter) -> pd.DataFrame:
    """Channel quality over the period (``metrics.channels.quality_from_totals``), one row
    per channel code: orders, revenue, gross profit and new customers summed from the
    stored per-channel daily KPIs, spend from ChannelSpend; visitors and paying customers
    are distinct counts (they cannot be summed over days), taken by two grouped SQL counts
    over the period's visit events and paid orders through their time indexes. Category is
    ignored."""
    kpis = (
        DailyKPI.objects.filter(
            date__gte=f.start,
            date__lte=f.end,
            dimension=DailyKPI.Dimension.CHANNEL,
            metric__in=["orders", "net_revenue", "cogs", "new_customers"],
        )
        .values("dimension_value", "metric")
        .annotate(value=Sum("value"))
        .order_by()
    )
    codes = dict(Channel.objects.values_list("code", "pk"))
    table: dict[int, dict[str, float]] = {pk: {} for pk in codes.values()}
    for row in kpis:
        if row["dimension_value"] in codes:
            table[codes[row["dimension_value"]]][row["metric"]] = float(row["value"])
    visits = (
        Event.objects.filter(
            type=Event.Type.VISIT,
            occurred_at__gte=day_start(f.start),
            occurred_at__lt=day_end(f.end),
            channel__isnull=False,
        )
        .annotate(
            visitor=Coalesce(Cast("customer_id", CharField()), Concat(Value("s:"), "session_id"))
        )
        .values("channel_id")
        .annotate(n=Count("visitor", distinct=True))
        .order_by()
    )
    for row in visits:
        table[row["channel_id"]]["visitors"] = row["n"]
    paying = (
        Order.objects.paid()
        .filter(paid_at__gte=day_start(f.start), paid_at__lt=day_end(f.end), channel__isnull=False)
        .values("channel_id")
        .annotate(n=Count("customer_id", distinct=True))
        .order_by()
    )
    for row in paying:
        table[row["channel_id"]]["paying_customers"] = row["n"]
    spend = (
        ChannelSpend.objects.filter(date__gte=f.start, date__lte=f.end)
        .values("channel_id")
        .annotate(n=Sum("spend"))
        .order_by()
    )
    for row in spend:
        table[row["channel_id"]]["spend"] = float(row["n"])
    if f.channel is not None:
        table = {f.channel.pk: table.get(f.channel.pk, {})}
    frame = pd.DataFrame.from_dict(table, orient="index").reindex(
        columns=[
            "visitors",
            "paying_customers",
            "orders",
            "net_revenue",
            "cogs",
            "new_customers",
            "spend",
        ]
    )
    frame = frame.fillna(0.0)
    totals = pd.DataFrame(
        {
            "channel_id": frame.index,
            "visitors": frame["visitors"].to_numpy(),
            "paying_customers": frame["paying_customers"].to_numpy(),
            "paid_orders": frame["orders"].to_numpy(),
            "revenue": frame["net_revenue"].to_numpy(),
            "gross_profit": (frame["net_revenue"] - frame["cogs"]).to_numpy(),
            "new_customers": frame["new_customers"].to_numpy(),
            "spend": frame["spend"].to_numpy(),
        }
    )
    report = channels.quality_from_totals(totals)
    names = {pk: code for code, pk in codes.items()}
    report.insert(1, "channel", report["channel_id"].map(names))
    return report


# --- Inventory ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryReport:
    snapshot_date: date | None
    summary: dict[str, float]  # the stored inventory KPIs of that day
    low_stock: pd.DataFrame  # SKUs under lead time + safety days of cover, fewest days first
    slow_movers: pd.DataFrame  # SKUs with stock and no sale in 60 days, most stock first
    forecast: pd.DataFrame  # product, week_start, units, mape, wape


def inventory_report(*, as_of: date, limit: int = 50) -> InventoryReport:
    """The latest inventory snapshot on or before ``as_of`` (taken by the kpis step), its
    KPIs (动销率, 售罄率, turnover, alert counts), the low-stock and slow-mover lists and
    the 4-week forecast per product with its backtest error."""
    from analytics.services.kpis import INVENTORY_METRICS

    snapshot_date = (
        InventorySnapshot.objects.filter(date__lte=as_of)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    columns = [
        "sku",
        "product",
        "stock",
        "daily_units",
        "days_of_cover",
        "lead_time_days",
        "last_sale",
    ]
    if snapshot_date is None:
        empty = pd.DataFrame(columns=columns)
        return InventoryReport(None, {}, empty, empty, pd.DataFrame())
    summary = {
        metric: float(value)
        for metric, value in DailyKPI.objects.filter(
            date=snapshot_date, metric__in=INVENTORY_METRICS, dimension=DailyKPI.Dimension.ALL
        ).values_list("metric", "value")
    }
    rows = InventorySnapshot.objects.filter(date=snapshot_date).select_related("sku__product")

    def listing(queryset) -> pd.DataFrame:
        return pd.DataFrame(
            [
                (r.sku.code, r.sku.product.name, r.stock, r.daily_units, r.days_of_cover,
                 r.lead_time_days, r.last_sale)
                for r in queryset[:limit]
            ],
            columns=columns,
        )  # fmt: skip

    forecast = pd.DataFrame.from_records(
        list(
            ProductForecast.objects.filter(product__forecast_accuracy__isnull=False)
            .values("product__code", "product__name", "week_start", "units")
            .annotate(
                mape=F("product__forecast_accuracy__mape"),
                wape=F("product__forecast_accuracy__wape"),
            )
            .order_by("product__name", "week_start")
        ),
        columns=["product__code", "product__name", "week_start", "units", "mape", "wape"],
    ).rename(columns={"product__code": "code", "product__name": "product"})
    return InventoryReport(
        snapshot_date=snapshot_date,
        summary=summary,
        low_stock=listing(rows.filter(low_stock=True).order_by("days_of_cover", "sku__code")),
        slow_movers=listing(rows.filter(slow_mover=True).order_by("-stock", "sku__code")),
        forecast=forecast,
    )


# --- Associations, bundles and recommendations ----------------------------------------------


def association_report(*, limit: int = 100, product: Product | None = None) -> pd.DataFrame:
    """The stored "bought together" rules A → B (support, confidence = P(B | A), lift),
    highest lift first; ``product`` keeps the rules from that product."""
    rules = ProductAffinity.objects.all()
    if product is not None:
        rules = rules.filter(product_a=product)
    rows = rules.order_by("-lift", "product_a_id", "product_b_id").values_list(
        "product_a_id", "product_a__code", "product_a__name", "product_b_id", "product_b__code",
        "product_b__name", "pair_count", "support", "confidence", "lift",
    )[:limit]  # fmt: skip
    return pd.DataFrame(
        list(rows),
        columns=["product_a", "code_a", "name_a", "product_b", "code_b", "name_b",
                 "pair_count", "support", "confidence", "lift"],
    )  # fmt: skip


def bundle_report(*, limit: int = 20) -> pd.DataFrame:
    """Bundle suggestions (``metrics.basket.bundle_suggestions``) from the stored rules:
    undirected pairs with lift > 1, best lift × support first, with both products' names."""
    rules = pd.DataFrame.from_records(
        list(
            ProductAffinity.objects.values(
                "product_a", "product_b", "pair_count", "support", "confidence", "lift"
            )
        ),
        columns=["product_a", "product_b", "pair_count", "support", "confidence", "lift"],
    )
    pairs = basket.bundle_suggestions(rules, min_support=0.0, n=limit)
    names = {
        pk: (code, name)
        for pk, code, name in Product.objects.filter(
            pk__in=set(pairs["product_a"]) | set(pairs["product_b"])
        ).values_list("pk", "code", "name")
    }
    for side in ("a", "b"):
        pairs[f"code_{side}"] = [names[p][0] for p in pairs[f"product_{side}"]]
        pairs[f"name_{side}"] = [names[p][1] for p in pairs[f"product_{side}"]]
    return pairs


def customer_recommendations(customer_id: int) -> list[dict]:
    """The stored recommendations for a customer, best first."""
    return list(
        Recommendation.objects.filter(customer_id=customer_id)
        .order_by("rank")
        .values("rank", "score", "computed_at", code=F("product__code"), name=F("product__name"))
    )
