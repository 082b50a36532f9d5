"""Funnel on a dozen hand-made sessions; every expected number is worked out in a comment."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.funnel import (
    FUNNEL_STEPS,
    daily_cart_abandonment,
    funnel_leakage,
    funnel_reach,
    funnel_steps,
)

T = pd.Timestamp
START, END = date(2026, 6, 1), date(2026, 6, 2)
NAN = float("nan")


def events() -> pd.DataFrame:
    rows = [
        # s1, customer 1, channel 10: the whole funnel in order.
        ("s1", 1, "visit", "2026-06-01 10:00", 10),
        ("s1", 1, "product_view", "2026-06-01 10:01", 10),
        ("s1", 1, "add_to_cart", "2026-06-01 10:02", 10),
        ("s1", 1, "order", "2026-06-01 10:03", 10),
        ("s1", 1, "pay", "2026-06-01 10:04", 10),
        # s2, customer 1, channel 20: ordered, never paid.
        ("s2", 1, "visit", "2026-06-01 11:00", 20),
        ("s2", 1, "product_view", "2026-06-01 11:01", 20),
        ("s2", 1, "add_to_cart", "2026-06-01 11:02", 20),
        ("s2", 1, "order", "2026-06-01 11:05", 20),
        # s3, anonymous, channel 10: the cart comes before the view, so it does not count.
        ("s3", None, "visit", "2026-06-01 12:00", 10),
        ("s3", None, "add_to_cart", "2026-06-01 12:01", 10),
        ("s3", None, "product_view", "2026-06-01 12:02", 10),
        # s4, customer 2, channel 20, on day 2: carted, abandoned.
        ("s4", 2, "visit", "2026-06-02 13:00", 20),
        ("s4", 2, "product_view", "2026-06-02 13:01", 20),
        ("s4", 2, "add_to_cart", "2026-06-02 13:02", 20),
        # s5, customer 3: no visit, so no step counts.
        ("s5", 3, "product_view", "2026-06-01 09:00", 10),
        ("s5", 3, "add_to_cart", "2026-06-01 09:01", 10),
        # s6, customer 2: after the window.
        ("s6", 2, "visit", "2026-06-03 09:00", 10),
        # s7, customer 4: the view at the visit's very second counts ("at or after");
        # the pay event's channel 99 does not change the session's channel (first visit's).
        ("s7", 4, "visit", "2026-06-01 14:00", 10),
        ("s7", 4, "product_view", "2026-06-01 14:00", 10),
        ("s7", 4, "add_to_cart", "2026-06-01 14:05", 10),
        ("s7", 4, "order", "2026-06-01 14:06", 10),
        ("s7", 4, "pay", "2026-06-01 14:07", 99),
        # customer 5: s8 carts before s9's visit.
        ("s8", 5, "add_to_cart", "2026-06-01 08:00", 20),
        ("s9", 5, "visit", "2026-06-01 09:00", 20),
        ("s9", 5, "product_view", "2026-06-01 09:01", 20),
        # customer 6: s10 browses; s11 (no visit logged) buys later that day.
        ("s10", 6, "visit", "2026-06-01 10:00", 20),
        ("s10", 6, "product_view", "2026-06-01 10:01", 20),
        ("s11", 6, "add_to_cart", "2026-06-01 15:00", 30),
        ("s11", 6, "order", "2026-06-01 15:01", 30),
        ("s11", 6, "pay", "2026-06-01 15:02", 30),
        # before the window; and an event type the funnel ignores
        ("s12", 7, "visit", "2026-05-31 23:59", 10),
        ("s1", 1, "share", "2026-06-01 10:05", 10),
    ]
    frame = pd.DataFrame(
        rows, columns=["session_id", "customer_id", "type", "occurred_at", "channel_id"]
    )
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    frame["customer_id"] = frame["customer_id"].astype("float64")
    return frame


def column(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist()


def test_per_session_counts_steps_in_order():
    steps = funnel_steps(events(), start=START, end=END)
    assert column(steps, "step") == list(FUNNEL_STEPS)
    # visits: s1 s2 s3 s4 s7 s9 s10 = 7 (s5, s8, s11 have no visit; s6, s12 outside)
    # views: the same 7; carts: s1 s2 s4 s7 = 4 (s3's cart precedes its view)
    # orders: s1 s2 s7 = 3; pays: s1 s7 = 2
    assert column(steps, "count") == [7, 7, 4, 3, 2]
    # step: 7/7, 7/7, 4/7, 3/4, 2/3; overall: 7/7, 7/7, 4/7, 3/7, 2/7
    assert column(steps, "step_conversion") == pytest.approx([1, 1, 4 / 7, 3 / 4, 2 / 3])
    assert column(steps, "overall_conversion") == pytest.approx([1, 1, 4 / 7, 3 / 7, 2 / 7])
    leakage = funnel_leakage(steps)
    # cart abandonment = 1 - 3/4; payment drop-off = 1 - 2/3
    assert leakage.loc[0, "cart_abandonment"] == pytest.approx(0.25)
    assert leakage.loc[0, "payment_dropoff"] == pytest.approx(1 / 3)


def test_a_cart_before_the_view_does_not_count():
    reach = funnel_reach(events(), start=START, end=END).set_index("session_id")
    assert reach.loc["s3", "product_view"] == T("2026-06-01 12:02")
    assert pd.isna(reach.loc["s3", "add_to_cart"])
    # Equal timestamps count as in order.
    assert reach.loc["s7", "product_view"] == T("2026-06-01 14:00")
    assert "s5" not in reach.index


def test_per_customer_joins_sessions_and_drops_anonymous():
    steps = funnel_steps(events(), start=START, end=END, per="customer")
    # customers with a visit: 1, 2, 4, 5, 6 (3 never visits, s3 is anonymous) = 5
    # views: all 5; carts: 1, 2, 4, 6 (5's cart was before its visit) = 4
    # orders: 1, 4, 6 (6 ordered in s11, after s10's view) = 3; pays: 1, 4, 6 = 3
    assert column(steps, "count") == [5, 5, 4, 3, 3]
    leakage = funnel_leakage(steps)
    assert leakage.loc[0, "cart_abandonment"] == pytest.approx(1 - 3 / 4)
    assert leakage.loc[0, "payment_dropoff"] == pytest.approx(0.0)


def test_breakdown_by_channel_of_the_first_visit():
    steps = funnel_steps(events(), start=START, end=END, by_channel=True)
    counts = steps.pivot(index="channel_id", columns="step", values="count")[list(FUNNEL_STEPS)]
    # channel 10: s1 s3 s7 -> 3 visits, 3 views, carts s1 s7, orders s1 s7, pays s1 s7
    # channel 20: s2 s4 s9 s10 -> 4, 4, carts s2 s4, order s2, no pay
    assert counts.loc[10].tolist() == [3, 3, 2, 2, 2]
    assert counts.loc[20].tolist() == [4, 4, 2, 1, 0]
    assert 99 not in counts.index and 30 not in counts.index
    leakage = funnel_leakage(steps).set_index("channel_id")
    assert leakage.loc[10, "cart_abandonment"] == pytest.approx(0.0)
    assert leakage.loc[20, "cart_abandonment"] == pytest.approx(0.5)  # 1 - 1/2
    assert leakage.loc[20, "payment_dropoff"] == pytest.approx(1.0)  # 1 - 0/1
    twenty = steps[steps["channel_id"] == 20]
    # 4/4, 4/4, 2/4, 1/2, 0/1
    assert column(twenty, "step_conversion") == pytest.approx([1, 1, 0.5, 0.5, 0.0])

    per_customer = funnel_steps(events(), start=START, end=END, per="customer", by_channel=True)
    visits = per_customer[per_customer["step"] == "visit"].set_index("channel_id")["count"]
    # customer 1's first visit is s1 (channel 10); 4 -> 10; 2, 5, 6 -> 20
    assert visits.to_dict() == {10: 2, 20: 3}


def test_daily_cart_abandonment_is_each_days_own_funnel():
    data = events()
    daily = daily_cart_abandonment(data, start=START, end=date(2026, 6, 3))
    assert column(daily, "day") == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    # day 1 carts: s1 s2 s7, all ordered -> 0; day 2: s4 carted, not ordered -> 1; day 3: none
    assert column(daily, "carted") == [3, 1, 0]
    assert column(daily, "ordered") == [3, 0, 0]
    assert column(daily, "cart_abandonment")[:2] == [0.0, 1.0]
    assert np.isnan(daily.loc[2, "cart_abandonment"])
    for day in (date(2026, 6, 1), date(2026, 6, 2)):
        one_day = funnel_leakage(funnel_steps(data, start=day, end=day))
        row = daily[daily["day"] == day].iloc[0]
        assert row["carted"] == one_day.loc[0, "carted"]
        assert row["ordered"] == one_day.loc[0, "ordered"]


def test_empty_window_gives_zero_counts_and_nan_rates():
    steps = funnel_steps(events(), start=date(2026, 7, 1), end=date(2026, 7, 31))
    assert column(steps, "count") == [0, 0, 0, 0, 0]
    assert steps["overall_conversion"].isna().all()
    assert funnel_leakage(steps)[["cart_abandonment", "payment_dropoff"]].isna().all(axis=None)


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="per must be"):
        funnel_steps(events(), start=START, end=END, per="device")
