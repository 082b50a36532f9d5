"""Daily KPIs on a shop small enough to check on paper."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.kpis import daily_kpis

T = pd.Timestamp
NAN = np.nan


def value(frame, day, metric, dimension="all", dimension_value=""):
    rows = frame[
        (frame["date"] == day)
        & (frame["metric"] == metric)
        & (frame["dimension"] == dimension)
        & (frame["dimension_value"] == dimension_value)
    ]
    assert len(rows) <= 1
    return None if rows.empty else float(rows["value"].iloc[0])


ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "channel_id",
    "paid_at",
    "paid_total",
    "refunds",
    "net_amount",
    "cogs",
    "commission",
    "logistics_cost",
]
LINE_COLUMNS = [
    "paid_at",
    "category_id",
    "quantity",
    "net_amount",
    "unit_cost",
    "returned_quantity",
]
EVENT_COLUMNS = ["session_id", "customer_id", "type", "occurred_at", "channel_id"]


def rates_only(orders: pd.DataFrame, *, start: date, end: date) -> pd.DataFrame:
    """KPIs of orders alone (no lines, no events): the customer-based rates."""
    lines = pd.DataFrame(columns=LINE_COLUMNS).astype({"paid_at": "datetime64[ns]"})
    events = pd.DataFrame(columns=EVENT_COLUMNS).astype({"occurred_at": "datetime64[ns]"})
    return daily_kpis(orders=orders, lines=lines, events=events, start=start, end=end)


@pytest.fixture
def day_sums():
    orders = pd.DataFrame(
        [
            (
                0,
                2,
                20,
                T("2026-05-01 09:00"),
                10.0,
                0.0,
                10.0,
                5.0,
                0.0,
                0.0,
            ),  # history: 2 is not new
            (1, 1, 10, T("2026-06-01 10:00"), 100.0, 0.0, 100.0, 40.0, 10.0, 5.0),
            (2, 2, 20, T("2026-06-01 12:00"), 50.0, 20.0, 30.0, 20.0, 0.0, 5.0),  # 20 refunded
            (3, 1, 10, T("2026-06-02 10:00"), 200.0, 0.0, 200.0, 100.0, 20.0, 10.0),
            (4, NAN, 20, T("2026-06-02 11:00"), 60.0, 0.0, 60.0, 30.0, 0.0, 0.0),  # a guest
        ],
        columns=ORDER_COLUMNS,
    )
    lines = pd.DataFrame(
        [
            (T("2026-06-01 10:00"), 7, 2, 100.0, 20.0, 1),
            (T("2026-06-01 12:00"), 8, 1, 30.0, 20.0, 0),
        ],
        columns=LINE_COLUMNS,
    )
    events = pd.DataFrame(
        [
            ("s0", 3, "visit", T("2026-05-05 08:00"), 10),
            ("s1", 1, "visit", T("2026-06-01 09:00"), 10),
            ("s1", 1, "product_view", T("2026-06-01 09:05"), 10),
            ("s1", 1, "add_to_cart", T("2026-06-01 09:10"), 10),
            ("s1", 1, "order", T("2026-06-01 09:59"), 10),
            ("s1", 1, "pay", T("2026-06-01 10:00"), 10),
            ("s2", 2, "visit", T("2026-06-01 11:00"), 20),
            ("s3", NAN, "visit", T("2026-06-01 11:30"), 10),
        ],
        columns=EVENT_COLUMNS,
    )
    return daily_kpis(
        orders=orders, lines=lines, events=events, start=date(2026, 6, 1), end=date(2026, 6, 3)
    )


def test_order_sums_by_day_and_channel(day_sums):
    k, d1, d2 = day_sums, date(2026, 6, 1), date(2026, 6, 2)
    # 1 June: orders 1 and 2
    assert value(k, d1, "gmv") == 150.0
    assert value(k, d1, "net_revenue") == 130.0
    assert value(k, d1, "orders") == 2
    assert value(k, d1, "paying_customers") == 2
    assert value(k, d1, "aov") == 65.0  # net revenue 130 / 2 orders
    assert value(k, d1, "new_customers") == 1  # customer 1; customer 2 first paid in May
    # contribution (100 − 40 − 10 − 5) + (30 − 20 − 0 − 5) = 50 of 130 net
    assert value(k, d1, "contribution_margin") == pytest.approx(50 / 130)
    # 2 June: order 3 and a guest order; the guest is no paying customer
    assert (value(k, d2, "gmv"), value(k, d2, "orders"), value(k, d2, "paying_customers")) == (
        260.0,
        2,
        1,
    )
    assert value(k, d2, "new_customers") == 0
    assert value(k, d2, "contribution_margin") == pytest.approx(100 / 260)
    # by channel
    assert value(k, d1, "gmv", "channel", "10") == 100.0
    assert value(k, d1, "new_customers", "channel", "10") == 1
    assert value(k, d1, "new_customers", "channel", "20") == 0
    assert value(k, d2, "aov", "channel", "20") == 60.0
    # no orders on 3 June: no rows rather than zeros or NaN
    assert value(k, date(2026, 6, 3), "aov") is None


def test_line_sums_overall_and_by_category(day_sums):
    k, d1 = day_sums, date(2026, 6, 1)
    assert value(k, d1, "units") == 3
    assert value(k, d1, "return_rate") == pytest.approx(1 / 3)
    # revenue 130, cost 2 × 20 + 1 × 20 = 60
    assert value(k, d1, "gross_margin") == pytest.approx(70 / 130)
    assert value(k, d1, "units", "category", "7") == 2
    assert value(k, d1, "return_rate", "category", "7") == 0.5
    assert value(k, d1, "gross_margin", "category", "7") == pytest.approx(0.6)
    assert value(k, d1, "net_revenue", "category", "8") == 30.0


def test_activity_dau_mau_stickiness_and_conversion(day_sums):
    k, d1, d3 = day_sums, date(2026, 6, 1), date(2026, 6, 3)
    assert value(k, d1, "dau") == 2  # customers 1 and 2; the anonymous visit has no customer
    assert value(k, d1, "mau") == 3  # + customer 3 on 5 May (30 days ending 1 June: 3 May–1 June)
    assert value(k, d1, "stickiness") == pytest.approx(2 / 3)
    assert (value(k, d3, "dau"), value(k, d3, "mau"), value(k, d3, "stickiness")) == (0, 3, 0)
    assert value(k, d1, "conversion") == pytest.approx(1 / 3)  # s1 paid of s1, s2, s3
    assert value(k, d1, "conversion", "channel", "10") == 0.5  # s1 of s1, s3
    assert value(k, d1, "conversion", "channel", "20") == 0.0
    assert value(k, d1, "cart_abandonment") == 0.0  # s1 carted and ordered
    assert value(k, date(2026, 6, 2), "cart_abandonment") is None  # nobody carted: no rate


def test_trailing_rates_on_a_day():
    """Customers and their paid-order days, counted back from D = 30 June:

    c1 D−10, D−5 · c2 D−100 · c3 D−200, D−20 (won back) · c4 D−95 · c5 D−40 · c6 D−130 ·
    c7 D−50, D−35.
    repurchase (90 days): ≥1 order: c1, c3, c5, c7; ≥2: c1, c7 -> 2/4
    churn: active at D−30 (an order in D−120..D−30): c2, c4, c5, c7; not active now: c2, c4 -> 2/4
    win-back: lapsed at D−30 (latest ≤ D−121): c3, c6; won back since: c3 -> 1/2
    30-day repurchase: first order 30–59 days ago: c5, c7; again within 30 days: c7 -> 1/2
    """
    d = date(2026, 6, 30)
    history = {1: [10, 5], 2: [100], 3: [200, 20], 4: [95], 5: [40], 6: [130], 7: [50, 35]}
    rows = [
        (
            i * 10 + n,
            c,
            1,
            pd.Timestamp(d - timedelta(days=ago)) + pd.Timedelta(hours=12),
            1.0,
            0.0,
            1.0,
            0.0,
            0.0,
            0.0,
        )
        for c, agos in history.items()
        for n, ago in enumerate(agos)
        for i in [c]
    ]
    orders = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    k = rates_only(orders, start=d, end=d)
    assert value(k, d, "repurchase_rate") == 0.5
    assert value(k, d, "churn_rate") == 0.5
    assert value(k, d, "win_back_rate") == 0.5
    assert value(k, d, "repurchase_rate_30d") == 0.5


def test_trailing_rates_equal_a_day_by_day_count_on_random_data():
    """The interval arithmetic against the definitions applied literally, day by day."""
    rng = np.random.default_rng(7)
    base = date(2025, 1, 1)
    rows = []
    for customer in range(300):
        for ago in np.unique(rng.integers(0, 500, size=rng.integers(1, 6))):
            rows.append(
                (
                    len(rows),
                    customer,
                    1,
                    pd.Timestamp(base + timedelta(days=int(ago))),
                    1.0,
                    0.0,
                    1.0,
                    0.0,
                    0.0,
                    0.0,
                )
            )
    orders = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    start, end = date(2025, 6, 1), date(2026, 5, 15)
    k = rates_only(orders, start=start, end=end)

    days_of = {c: sorted(g["paid_at"].dt.date) for c, g in orders.groupby("customer_id")}

    def latest(days, x):
        before = [t for t in days if t <= x]
        return before[-1] if before else None

    def active(days, x):
        last = latest(days, x)
        return last is not None and (x - last).days <= 90

    for day in [start + timedelta(days=i) for i in range(0, (end - start).days + 1, 17)]:
        then = day - timedelta(days=30)
        one = two = act = churn = lapsed = won = cohort = rep = 0
        for days in days_of.values():
            window = [t for t in days if 0 <= (day - t).days < 90]
            one += len(window) >= 1
            two += len(window) >= 2
            if active(days, then):
                act += 1
                churn += not active(days, day)
            if latest(days, then) is not None and not active(days, then):
                lapsed += 1
                won += any(then < t <= day for t in days)
            if 30 <= (day - days[0]).days <= 59:
                cohort += 1
                rep += len(days) > 1 and (days[1] - days[0]).days <= 30
        for metric, num, den in [
            ("repurchase_rate", two, one),
            ("churn_rate", churn, act),
            ("win_back_rate", won, lapsed),
            ("repurchase_rate_30d", rep, cohort),
        ]:
            expected = num / den if den else None
            assert value(k, day, metric) == (pytest.approx(expected) if den else None), (
                metric,
                day,
            )


def test_daily_rates_agree_with_the_period_functions():
    """One definition each: the daily trailing values equal lifecycle/repurchase on that window."""
    from analytics.metrics.lifecycle import churn_rate, win_back_rate
    from analytics.metrics.repurchase import repurchase_rate, repurchase_rate_30d

    rng = np.random.default_rng(11)
    base = date(2025, 1, 1)
    rows = [
        (
            n,
            customer,
            1,
            pd.Timestamp(base + timedelta(days=int(ago), hours=9)),
            1.0,
            0.0,
            1.0,
            0.0,
            0.0,
            0.0,
        )
        for n, (customer, ago) in enumerate(
            (c, a) for c in range(200) for a in rng.integers(0, 500, size=rng.integers(1, 5))
        )
    ]
    orders = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    start, end = date(2025, 7, 1), date(2026, 5, 1)
    k = rates_only(orders, start=start, end=end)
    for day in [start + timedelta(days=i) for i in range(0, (end - start).days + 1, 23)]:
        period = {"start": day - timedelta(days=29), "end": day}
        expected = {
            "repurchase_rate": repurchase_rate(orders, start=day - timedelta(days=89), end=day),
            "churn_rate": churn_rate(orders, **period),
            "win_back_rate": win_back_rate(orders, **period),
            "repurchase_rate_30d": repurchase_rate_30d(
                orders,
                cohort_start=day - timedelta(days=59),
                cohort_end=day - timedelta(days=30),
                as_of=day,
            ),
        }
        for metric, rate in expected.items():
            got = value(k, day, metric)
            assert got == (pytest.approx(rate.rate) if rate.denominator else None), (metric, day)


@pytest.mark.parametrize(
    ("current", "previous", "change"),
    [(150.0, 100.0, 0.5), (50.0, 100.0, -0.5), (-50.0, -100.0, 0.5), (10.0, 0.0, None),
     (float("nan"), 1.0, None), (1.0, None, None)],
)  # fmt: skip
def test_relative_change(current, previous, change):
    from analytics.metrics.kpis import relative_change

    result = relative_change(current, previous)
    assert (result != result) if change is None else result == pytest.approx(change)
