"""Lifecycle stages at their boundaries, the won-back transition, win-back and churn rates."""

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from analytics.metrics.lifecycle import (
    churn_rate,
    lifecycle_stages,
    order_days,
    stage_transitions,
    win_back_rate,
)
from analytics.models import LifecycleStage

AS_OF = date(2026, 6, 30)


def ago(days: int, hour: int = 12, minute: int = 0) -> datetime:
    """A local timestamp ``days`` calendar days before AS_OF."""
    return datetime.combine(AS_OF - timedelta(days=days), datetime.min.time()).replace(
        hour=hour, minute=minute
    )


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": list(range(101, 116)),
        "registered_at": [datetime(2025, 1, 1)] * 11
        + [datetime(2026, 7, 1), *[datetime(2025, 1, 1)] * 3],
    }
)

ORDERS = pd.DataFrame(
    [
        # 101: no order -> prospect
        (102, ago(30, 23, 59)),  # first order 30 days ago (late in the day) -> new
        (103, ago(31, 0, 0)),  # only order 31 days ago -> active
        (104, ago(90)),  # last order 90 days ago -> active
        (105, ago(91)),  # 91 -> churn_warning
        (106, ago(180)),  # 180 -> churn_warning
        (107, ago(181)),  # 181 -> lost
        (108, ago(200)),  # gap 200 − 30 = 170 > 90, return 30 days ago -> won_back
        (108, ago(30)),
        (109, ago(200)),  # same, but the return was 31 days ago -> active
        (109, ago(31)),
        (110, ago(121)),  # gap 121 − 30 = 91: a return -> won_back
        (110, ago(30)),
        (111, ago(120)),  # gap 120 − 30 = 90: never left the active stage -> active
        (111, ago(30)),
        # 112 registered after AS_OF -> not in the result
        (113, ago(200)),  # returned 10 days ago, ordered again 5 days ago -> won_back
        (113, ago(10)),
        (113, ago(5)),
        (114, ago(-1, 0, 0)),  # only order is after AS_OF -> prospect
        (115, ago(20)),  # first order 20 days ago, second 5 -> new
        (115, ago(5)),
        (116, ago(50)),  # not in CUSTOMERS, still staged -> active
        (None, ago(1)),  # guest order: ignored
    ],
    columns=["customer_id", "paid_at"],
)

EXPECTED = {
    101: "prospect",
    102: "new",
    103: "active",
    104: "active",
    105: "churn_warning",
    106: "churn_warning",
    107: "lost",
    108: "won_back",
    109: "active",
    110: "won_back",
    111: "active",
    113: "won_back",
    114: "prospect",
    115: "new",
    116: "active",
}


def test_stages_at_their_boundaries():
    stages = lifecycle_stages(CUSTOMERS, ORDERS, as_of=AS_OF)

    assert stages["stage"].to_dict() == EXPECTED
    assert set(stages["stage"]) <= set(LifecycleStage.values)


def test_days_are_calendar_days_and_missing_where_not_applicable():
    stages = lifecycle_stages(CUSTOMERS, ORDERS, as_of=AS_OF)

    assert stages.loc[102, ["days_since_first", "days_since_last"]].tolist() == [30, 30]
    assert stages.loc[113].tolist() == ["won_back", 200, 5, 10]
    assert pd.isna(stages.loc[101, "days_since_last"])
    assert pd.isna(stages.loc[107, "days_since_return"])


def test_thresholds_are_settings():
    stages = lifecycle_stages(
        CUSTOMERS, ORDERS, as_of=AS_OF, new_days=20, active_days=60, warning_days=90
    )
    # 102 (first 30 days ago) is no longer new; 104 (90 days) is now in warning;
    # 105 (91 days) is now lost; 111's gap of 90 > 60 makes its order 30 days ago a return.
    assert stages.loc[[102, 104, 105, 111], "stage"].tolist() == [
        "active",
        "churn_warning",
        "lost",
        "won_back",
    ]


def test_won_back_transition_over_time():
    orders = pd.DataFrame(
        {"customer_id": [1, 1], "paid_at": [datetime(2025, 12, 1, 9), datetime(2026, 6, 10, 9)]}
    )
    customers = pd.DataFrame({"customer_id": [1], "registered_at": [datetime(2025, 11, 1)]})

    def stage(day: date) -> str:
        return lifecycle_stages(customers, orders, as_of=day).loc[1, "stage"]

    assert stage(date(2026, 2, 28)) == "active"  # 89 days after Dec 1
    assert stage(date(2026, 3, 2)) == "churn_warning"  # 91 days
    assert stage(date(2026, 6, 9)) == "lost"  # 190 days
    assert stage(date(2026, 6, 10)) == "won_back"  # the return order
    assert stage(date(2026, 7, 10)) == "won_back"  # 30 days after it
    assert stage(date(2026, 7, 11)) == "active"  # 31 days after it
    assert stage(date(2026, 9, 9)) == "churn_warning"  # 91 days after it


def test_stage_transitions_count_moves_between_two_dates():
    transitions = stage_transitions(
        CUSTOMERS, ORDERS, from_date=AS_OF - timedelta(days=1), to_date=AS_OF
    )
    moves = {(row.from_stage, row.to_stage): row.customers for row in transitions.itertuples()}

    # A day earlier every day count is one less: 103's first order (30 days) still made it
    # new, 105 (90) was active, 107 (180) in warning, 109's return (30) still won back.
    assert moves == {
        ("prospect", "prospect"): 2,  # 101, 114
        ("new", "new"): 2,  # 102 (29 -> 30 days), 115
        ("new", "active"): 1,  # 103 (30 -> 31 days)
        ("active", "active"): 3,  # 104 (89 -> 90), 111, 116
        ("active", "churn_warning"): 1,  # 105 (90 -> 91)
        ("churn_warning", "churn_warning"): 1,  # 106 (179 -> 180)
        ("churn_warning", "lost"): 1,  # 107 (180 -> 181)
        ("won_back", "won_back"): 3,  # 108, 110, 113
        ("won_back", "active"): 1,  # 109 (return 30 -> 31 days ago)
    }
    assert transitions["from_stage"].iloc[0] == "prospect"  # in stage order


def test_stage_transitions_from_before_registration():
    transitions = stage_transitions(CUSTOMERS, ORDERS, from_date=date(2024, 12, 31), to_date=AS_OF)
    assert set(transitions["from_stage"]) == {"unregistered"}
    assert transitions["customers"].sum() == len(EXPECTED)


def test_order_days_drops_guests_and_later_orders():
    days = order_days(ORDERS, as_of=AS_OF)
    assert days["customer_id"].dtype == "int64"
    assert 114 not in set(days["customer_id"]) and len(days) == len(ORDERS) - 2
    assert days.loc[days["customer_id"] == 102, "day"].tolist() == [pd.Timestamp(2026, 5, 31)]


WIN_BACK_ORDERS = pd.DataFrame(
    [
        # Period June 2026; the state at its start is as of May 31.
        ("A", datetime(2026, 3, 1, 9)),  # 91 days before May 31: warning at the start
        ("A", datetime(2026, 6, 15, 9)),  # ... and back in June -> won back
        ("B", datetime(2026, 3, 2, 9)),  # 90 days before May 31: still active, not counted
        ("B", datetime(2026, 6, 15, 9)),
        ("C", datetime(2025, 10, 1, 9)),  # lost, does not return
        ("D", datetime(2025, 1, 1, 9)),  # lost, returns on the last day of the period
        ("D", datetime(2026, 6, 30, 23, 30)),
        ("E", datetime(2025, 6, 1, 9)),  # lost, returns the day after the period
        ("E", datetime(2026, 7, 1, 0, 30)),
        ("F", datetime(2026, 6, 5, 9)),  # first order in June: not in either count
    ],
    columns=["customer_id", "paid_at"],
)


def test_win_back_rate():
    rate = win_back_rate(WIN_BACK_ORDERS, start=date(2026, 6, 1), end=date(2026, 6, 30))
    # denominator A, C, D, E (4); won back A, D (2)
    assert (rate.numerator, rate.denominator) == (2, 4)
    assert rate.rate == 0.5


CHURN_ORDERS = pd.DataFrame(
    [
        # Period June 2026: active at the start = last order on or after Mar 2 (≤ 90 days
        # before May 31); churned at the end = last order on or before Mar 31 (> 90 days
        # before Jun 30).
        ("A", datetime(2026, 3, 2, 9)),  # active at start, 120 days at end -> churned
        ("B", datetime(2026, 3, 31, 9)),  # active at start, 91 days at end -> churned
        ("C", datetime(2026, 4, 1, 9)),  # active at start, 90 days at end -> still active
        ("D", datetime(2026, 3, 1, 9)),  # 91 days before May 31: not active at the start
        ("E", datetime(2026, 3, 5, 9)),  # active at start, ordered again -> active
        ("E", datetime(2026, 6, 10, 9)),
        ("F", datetime(2026, 6, 5, 9)),  # new in June: not in the denominator
    ],
    columns=["customer_id", "paid_at"],
)


def test_churn_rate():
    rate = churn_rate(CHURN_ORDERS, start=date(2026, 6, 1), end=date(2026, 6, 30))
    # denominator A, B, C, E (4); churned A, B (2)
    assert (rate.numerator, rate.denominator) == (2, 4)
    assert rate.rate == 0.5


def test_rates_without_a_denominator_are_nan():
    rate = churn_rate(CHURN_ORDERS.iloc[:0], start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert rate.denominator == 0 and pd.isna(rate.rate)


@pytest.mark.parametrize("as_of", [date(2026, 6, 29), AS_OF])
def test_a_customer_registered_on_as_of_is_a_prospect_only_from_that_day(as_of):
    customers = pd.DataFrame({"customer_id": [1], "registered_at": [datetime(2026, 6, 30, 23, 0)]})
    stages = lifecycle_stages(customers, ORDERS.iloc[:0], as_of=as_of)
    assert stages["stage"].tolist() == (["prospect"] if as_of == AS_OF else [])
