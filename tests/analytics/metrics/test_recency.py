"""Customer recency by day: histograms checked on paper, and a recomputation from a day on
(the stored days before it plus each customer's earlier orders) equal to counting
everything from the first paid order."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.recency import (
    NEVER,
    NONE,
    PRIOR_COLUMNS,
    RATE_COLUMNS,
    Before,
    Recency,
    customer_history,
    day_numbers,
    order_days,
)

D = date(2026, 6, 30)
ORDER_COLUMNS = ["order_id", "customer_id", "channel_id", "paid_at", "net_amount"]
EVENT_COLUMNS = ["session_id", "customer_id", "type", "occurred_at", "channel_id"]


def at(days_before: int, hour: int = 12) -> pd.Timestamp:
    return pd.Timestamp(D - timedelta(days=days_before)) + pd.Timedelta(hours=hour)


def orders_of(rows) -> pd.DataFrame:
    """(customer, days before D, channel[, hour]) → orders of 10.0 each."""
    return pd.DataFrame(
        [
            (n, customer, channel, at(ago, *rest), 10.0)
            for n, (customer, ago, channel, *rest) in enumerate(rows)
        ],
        columns=ORDER_COLUMNS,
    )


def events_of(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(f"s{n}", customer, "visit", at(ago), 1.0) for n, (customer, ago) in enumerate(rows)],
        columns=EVENT_COLUMNS,
    )


@pytest.fixture
def shop():
    """c1 ordered D−10 and D−5 · c2 D−100 · c3 D−200, twice on D−20 · c4 on D (channel 2) ·
    a guest on D. Events: c1 D−3 and D−40 · c5 (no order) on D · an anonymous visit on D."""
    orders = orders_of(
        [(1, 10, 1), (1, 5, 1), (2, 100, 1), (3, 200, 1), (3, 20, 1, 9), (3, 20, 1, 18),
         (4, 0, 2), (np.nan, 0, 1)]
    )  # fmt: skip
    events = events_of([(1, 3), (1, 40), (5, 0), (np.nan, 0)])
    return orders, events


def counts(histogram) -> dict[int, int]:
    return {days: int(n) for days, n in enumerate(histogram) if n}


def test_the_histograms_of_a_day(shop):
    orders, events = shop
    day = customer_history(orders=orders, events=events, start=D, end=D).recency
    assert counts(day.latest[0]) == {0: 1, 5: 1, 20: 1, 100: 1}  # c4, c1, c3, c2
    # second-latest order: c1's D−10; c3's other order of D−20; c2 and c4 have none
    assert counts(day.previous[0]) == {10: 1, 20: 1}
    assert counts(day.active[0]) == {0: 1, 3: 1}  # c5 today, c1 3 days ago (D−40: too old)
    assert day.returned[0].sum() == 0  # c4 is new, nobody came back today
    assert day.first_orders[["channel_id", "customers"]].values.tolist() == [[2.0, 1]]


def test_returns_first_and_second_orders_on_the_days_they_happen(shop):
    orders, events = shop
    days = customer_history(orders=orders, events=events, start=D - timedelta(days=30), end=D)
    recency = days.recency
    # c3 came back on D−20 after 180 days: the "121 or more" column
    assert recency.returned[10].tolist()[-1] == 1 and recency.returned.sum() == 1
    # c1's second order came 5 days after the first (on D−5), by the first's channel
    second = recency.second_orders
    assert second[["day", "channel_id", "days_after_first", "customers"]].values.tolist() == [
        [pd.Timestamp(D - timedelta(days=5)), 1.0, 5, 1]
    ]
    firsts = recency.first_orders.set_index("day")["customers"]
    assert firsts.to_dict() == {pd.Timestamp(D - timedelta(days=10)): 1, pd.Timestamp(D): 1}


def test_order_days_carry_the_customers_earlier_orders(shop):
    orders, _ = shop
    rows = order_days(orders).set_index(["customer_id", "day"])
    d = {ago: int(day_numbers([D - timedelta(days=ago)])[0]) for ago in (0, 5, 10, 20, 200)}
    c1 = rows.loc[(1, d[5])]
    assert (c1.previous_day, c1.previous_orders, c1.day_before_previous) == (d[10], 1, NONE)
    assert (c1.next_day, c1.first_day) == (NEVER, d[10])
    c3 = rows.loc[(3, d[20])]
    assert (c3.orders, c3.previous_day, c3.first_day) == (2, d[200], d[200])
    assert rows.loc[(4, d[0])].previous_day == NONE
    assert len(rows) == 6  # the guest order is left out

    # The same rows from D−20 on, with what came before as the loader gives it: only c3
    # ordered before (once, D−200)
    prior = pd.DataFrame([(3, at(200), 1.0, at(200), pd.NaT)], columns=PRIOR_COLUMNS)
    recent = order_days(orders[orders["paid_at"] >= at(20, 0)], prior)
    full = order_days(orders)
    pd.testing.assert_frame_equal(
        recent.reset_index(drop=True),
        full[full["day"] >= d[20]].reset_index(drop=True),
    )


def test_stored_records_round_trip(shop):
    orders, events = shop
    recency = customer_history(
        orders=orders, events=events, start=D - timedelta(days=40), end=D
    ).recency
    again = Recency.from_records(recency.to_records(), start=recency.start, end=recency.end)
    for name in ("latest", "previous", "returned", "active"):
        np.testing.assert_array_equal(getattr(again, name), getattr(recency, name))
    for name in ("first_orders", "second_orders"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(recency, name))


def prior_of(orders: pd.DataFrame, events: pd.DataFrame, since: date, end: date) -> tuple:
    """What the loaders read before ``since`` (prior_orders, prior_events), from the frames."""
    start, after = pd.Timestamp(since), pd.Timestamp(end + timedelta(days=1))
    known = orders[orders["customer_id"].notna()].sort_values(["paid_at", "order_id"])
    window = known[(known["paid_at"] >= start) & (known["paid_at"] < after)]
    earlier = known[(known["paid_at"] < start) & known["customer_id"].isin(window["customer_id"])]
    prior = [
        (c, g["paid_at"].iloc[0], g["channel_id"].iloc[0], g["paid_at"].iloc[-1],
         g["paid_at"].iloc[-2] if len(g) > 1 else pd.NaT)
        for c, g in earlier.groupby("customer_id")
    ]  # fmt: skip
    active = events[(events["occurred_at"] >= start) & (events["occurred_at"] < after)]
    recent = events[
        (events["occurred_at"] < start)
        & (events["occurred_at"] >= start - pd.Timedelta(days=30))
        & events["customer_id"].isin(active["customer_id"])
    ]
    last = recent.groupby("customer_id")["occurred_at"].max().rename("last_active_at")
    return pd.DataFrame(prior, columns=PRIOR_COLUMNS), last.reset_index()


def random_shop(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    base = date(2025, 1, 1)
    rows = []
    for customer in range(300):
        for day in rng.integers(0, 520, size=rng.integers(1, 8)):
            for _ in range(rng.choice([1, 1, 1, 2, 3])):  # several orders on a day, too
                guest = rng.random() < 0.03
                channel = float(rng.integers(1, 4)) if rng.random() > 0.1 else np.nan
                when = pd.Timestamp(base + timedelta(days=int(day))) + pd.Timedelta(
                    hours=int(rng.integers(0, 24))
                )
                rows.append((len(rows), np.nan if guest else customer, channel, when, 10.0))
    events = [
        (f"s{n}", customer, "visit", pd.Timestamp(base + timedelta(days=int(day), hours=3)), 1.0)
        for n, (customer, day) in enumerate(
            (c, d) for c in range(250) for d in rng.integers(300, 520, size=rng.integers(1, 12))
        )
    ]
    return pd.DataFrame(rows, columns=ORDER_COLUMNS), pd.DataFrame(events, columns=EVENT_COLUMNS)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_recomputation_from_a_day_equals_counting_from_the_first_order(seed):
    orders, events = random_shop(seed)
    end = date(2026, 6, 3)
    everything = customer_history(orders=orders, events=events, start=date(2025, 1, 1), end=end)
    stored = everything.recency.to_records()
    for since, days in [(date(2025, 5, 17), 0), (date(2026, 1, 3), 40), (end, 0)]:
        until = since + timedelta(days=days)
        prior_orders, prior_events = prior_of(orders, events, since, until)
        before = Before(
            start=since,
            prior_orders=prior_orders,
            prior_events=prior_events,
            recency=Recency.from_records(
                stored, start=since - timedelta(days=59), end=since - timedelta(days=1)
            ),
        )
        from_since = pd.Timestamp(since)
        got = customer_history(
            orders=orders[orders["paid_at"] >= from_since],
            events=events[events["occurred_at"] >= from_since],
            start=since, end=until, before=before,
        )  # fmt: skip
        want = customer_history(orders=orders, events=events, start=since, end=until)
        for name in ("latest", "previous", "returned", "active"):
            np.testing.assert_array_equal(getattr(got.recency, name), getattr(want.recency, name))
        for name in ("first_orders", "second_orders"):
            pd.testing.assert_frame_equal(getattr(got.recency, name), getattr(want.recency, name))
        pd.testing.assert_frame_equal(got.rates[RATE_COLUMNS], want.rates[RATE_COLUMNS])
        pd.testing.assert_frame_equal(got.users, want.users)
        assert got.rates[RATE_COLUMNS].notna().any().all()  # the days do have every rate
