"""RFM table, scores and labels on seven customers whose numbers are worked out by hand."""

from datetime import date, datetime

import pandas as pd
import pytest

from analytics.metrics.rfm import (
    RECOMMENDED_ACTIONS,
    quintile_score,
    rfm_class,
    rfm_scores,
    rfm_scores_fixed,
    rfm_segment,
    rfm_table,
)
from analytics.models import RfmClass, RfmSegment

AS_OF = date(2026, 6, 30)  # the 365-day window is 2025-07-01 … 2026-06-30

ORDERS = pd.DataFrame(
    [
        # customer 1: 0, 29 and 60 days ago -> R 0, F 3, M 100 + 200 + 300 = 600
        (1, datetime(2026, 6, 30, 10, 0), 100.0),
        (1, datetime(2026, 6, 1, 9, 0), 200.0),
        (1, datetime(2026, 5, 1, 9, 0), 300.0),
        # customer 2: a minute before the end of as_of -> R 0, F 1, M 50
        (2, datetime(2026, 6, 30, 23, 59), 50.0),
        (2, datetime(2026, 7, 1, 0, 0), 999.0),  # after as_of: ignored
        # customer 3: 10 and 100 days ago (Mar 22 -> Jun 30 = 9 + 30 + 31 + 30) -> R 10, F 2, M 200
        (3, datetime(2026, 6, 20, 8, 0), 80.0),
        (3, datetime(2026, 3, 22, 8, 0), 120.0),
        # customer 4: 90, 149 and 211 days ago -> R 90, F 3, M 1400
        (4, datetime(2026, 4, 1, 12, 0), 500.0),
        (4, datetime(2026, 2, 1, 12, 0), 500.0),
        (4, datetime(2025, 12, 1, 12, 0), 400.0),
        # customer 5: 364 days ago is the first day of the window (in); 365 days ago is out
        #   -> R 364, F 1, M 70
        (5, datetime(2025, 7, 1, 0, 0), 70.0),
        (5, datetime(2025, 6, 30, 23, 0), 1000.0),
        # customer 6: 272 and 241 days ago -> R 241, F 2, M 350
        (6, datetime(2025, 10, 1, 15, 0), 200.0),
        (6, datetime(2025, 11, 1, 15, 0), 150.0),
        # customer 7: 180 days ago -> R 180, F 1, M 60
        (7, datetime(2026, 1, 1, 15, 0), 60.0),
        # customer 8: only 365 days ago -> outside the window, no row
        (8, datetime(2025, 6, 30, 12, 0), 999.0),
        # a guest order (no customer): ignored
        (None, datetime(2026, 6, 30, 12, 0), 10.0),
    ],
    columns=["customer_id", "paid_at", "net_amount"],
)


def test_rfm_table_counts_the_window_and_measures_recency_in_calendar_days():
    table = rfm_table(ORDERS, as_of=AS_OF)

    expected = pd.DataFrame(
        {
            "recency_days": [0, 0, 10, 90, 364, 241, 180],
            "frequency": [3, 1, 2, 3, 1, 2, 1],
            "monetary": [600.0, 50.0, 200.0, 1400.0, 70.0, 350.0, 60.0],
        },
        index=pd.Index([1, 2, 3, 4, 5, 6, 7], name="customer_id"),
    )
    pd.testing.assert_frame_equal(table, expected)


@pytest.mark.parametrize("window_days", [0, None])
def test_rfm_table_without_a_window_uses_all_history(window_days):
    table = rfm_table(ORDERS, as_of=AS_OF, window_days=window_days)

    # customer 5 now has both orders (F 2, M 70 + 1000); customer 8 appears (R 365)
    assert table.loc[5].tolist() == [364, 2, 1070.0]
    assert table.loc[8].tolist() == [365, 1, 999.0]
    assert len(table) == 8


def test_rfm_table_window_boundary_is_window_days_minus_one_days_before_as_of():
    # With a 10-day window the window is Jun 21 … Jun 30: customer 3's Jun 20 order
    # (10 days before) is out, but their recency still counts it.
    table = rfm_table(ORDERS, as_of=AS_OF, window_days=10)
    assert sorted(table.index) == [1, 2]
    table = rfm_table(ORDERS, as_of=AS_OF, window_days=11)
    assert table.loc[3].tolist() == [10, 1, 80.0]


def test_quintile_score_on_distinct_values_gives_two_per_quintile():
    # n = 10: 1 + floor(5 · (rank − 1) / 10) = 1, 1, 2, 2, 3, 3, 4, 4, 5, 5
    scores = quintile_score(pd.Series(range(10, 0, -1)))
    assert scores.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_rfm_scores_share_a_score_on_ties():
    scores = rfm_scores(rfm_table(ORDERS, as_of=AS_OF))

    # n = 7, score = 1 + floor(5 · (rank_min − 1) / 7).
    # F (3, 1, 2, 3, 1, 2, 1) sorted 1,1,1,2,2,3,3: rank_min of F 1 is 1 -> score 1;
    #   of F 2 is 4 -> 1 + floor(15/7) = 3; of F 3 is 6 -> 1 + floor(25/7) = 4
    #   (no customer gets 5: the two at F 3 tie on rank 6).
    # M sorted 50 (c2), 60 (c7), 70 (c5), 200 (c3), 350 (c6), 600 (c1), 1400 (c4): ranks 1..7
    #   -> 1, 1, 2, 3, 3, 4, 5.
    # R ranked on −recency: 364 (c5), 241 (c6), 180 (c7), 90 (c4), 10 (c3), 0 and 0 (c1, c2)
    #   -> ranks 1, 2, 3, 4, 5, 6, 6 -> scores 1, 1, 2, 3, 3, 4, 4.
    assert scores["r"].tolist() == [4, 4, 3, 3, 1, 1, 2]
    assert scores["f"].tolist() == [4, 1, 3, 4, 1, 3, 1]
    assert scores["m"].tolist() == [4, 1, 3, 5, 2, 3, 1]


def test_rfm_scores_fixed_uses_the_cut_points():
    table = rfm_table(ORDERS, as_of=AS_OF)
    thresholds = {"r": [30, 60, 90, 180], "f": [2, 3, 5, 8], "m": [100, 200, 500, 1000]}

    scores = rfm_scores_fixed(table, thresholds)

    # R: 0, 0, 10 -> 5; 90 -> 3 (cuts below 90: 30, 60); 364, 241 -> 1; 180 -> 2
    # F: 3 -> 3 (cuts ≤ 3: 2, 3); 1 -> 1; 2 -> 2
    # M: 600 -> 4; 50 -> 1; 200 -> 3; 1400 -> 5; 70 -> 1; 350 -> 3; 60 -> 1
    assert scores["r"].tolist() == [5, 5, 5, 3, 1, 1, 2]
    assert scores["f"].tolist() == [3, 1, 2, 3, 1, 2, 1]
    assert scores["m"].tolist() == [4, 1, 3, 5, 1, 3, 1]


def test_rfm_scores_fixed_recency_boundaries():
    table = pd.DataFrame({"recency_days": [30, 31, 180, 181], "frequency": 1, "monetary": 1.0})
    scores = rfm_scores_fixed(table, {"r": [30, 60, 90, 180], "f": [2, 3, 5, 8], "m": [1, 2, 3, 4]})
    assert scores["r"].tolist() == [5, 4, 2, 1]


def test_rfm_scores_fixed_refuses_bad_thresholds():
    table = rfm_table(ORDERS, as_of=AS_OF)
    with pytest.raises(ValueError, match="'f'"):
        rfm_scores_fixed(table, {"r": [30, 60, 90, 180], "f": [3, 2, 5, 8], "m": [1, 2, 3, 4]})
    with pytest.raises(ValueError, match="'m'"):
        rfm_scores_fixed(table, {"r": [30, 60, 90, 180], "f": [2, 3, 5, 8], "m": [1, 2, 3]})


def test_rfm_class_eight_classes():
    scores = rfm_scores(rfm_table(ORDERS, as_of=AS_OF))

    # (r, f, m) with high = score ≥ 3:
    # c1 (4,4,4) HHH, c2 (4,1,1) HLL, c3 (3,3,3) HHH, c4 (3,4,5) HHH, c5 (1,1,2) LLL,
    # c6 (1,3,3) LHH, c7 (2,1,1) LLL
    assert rfm_class(scores).tolist() == [
        "important_value",
        "general_develop",
        "important_value",
        "important_value",
        "general_win_back",
        "important_retain",
        "general_win_back",
    ]


def test_rfm_class_every_combination_and_the_mean_setting():
    scores = pd.DataFrame(
        [(r, f, m) for r in (1, 5) for f in (1, 5) for m in (1, 5)], columns=["r", "f", "m"]
    )
    assert rfm_class(scores).tolist() == [
        "general_win_back",  # L L L
        "important_win_back",  # L L H
        "general_retain",  # L H L
        "important_retain",  # L H H
        "general_develop",  # H L L
        "important_develop",  # H L H
        "general_value",  # H H L
        "important_value",  # H H H
    ]
    # Means: r (5+5+5+4)/4 = 4.75, so r 4 is low by mean although ≥ 3; f mean 2.5, m mean 2.
    scores = pd.DataFrame({"r": [5, 5, 5, 4], "f": [1, 1, 4, 4], "m": [2, 2, 2, 2]})
    assert rfm_class(scores, high="mean").tolist() == [
        "general_develop",
        "general_develop",
        "general_value",
        "general_retain",
    ]
    assert rfm_class(scores, threshold=4)[3] == "general_value"


def test_rfm_segment_labels_of_the_fixture():
    scores = rfm_scores(rfm_table(ORDERS, as_of=AS_OF))

    # FM = ceil((f + m) / 2): c1 (4, 4) -> 4, c2 (1, 1) -> 1, c3 (3, 3) -> 3, c4 (4, 5) -> 5,
    # c5 (1, 2) -> 2, c6 (3, 3) -> 3, c7 (1, 1) -> 1; then the R × FM grid.
    assert rfm_segment(scores).tolist() == [
        "loyal",  # R 4, FM 4
        "promising",  # R 4, FM 1
        "need_attention",  # R 3, FM 3
        "loyal",  # R 3, FM 5
        "lost",  # R 1, FM 2
        "at_risk",  # R 1, FM 3
        "hibernating",  # R 2, FM 1
    ]


def test_rfm_segment_maps_every_combination_to_exactly_one_known_segment():
    combos = pd.DataFrame(
        [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
        columns=["r", "f", "m"],
    )
    segments = rfm_segment(combos)
    assert len(segments) == 125 and segments.notna().all()
    assert set(segments) == set(RfmSegment.values)
    lookup = dict(zip(map(tuple, combos.to_numpy()), segments, strict=True))
    assert lookup[(5, 5, 5)] == "champions"
    assert lookup[(5, 1, 1)] == "new"
    assert lookup[(5, 1, 2)] == "potential_loyalist"  # FM = ceil(3 / 2) = 2
    assert lookup[(4, 5, 2)] == "loyal"  # FM = ceil(7 / 2) = 4
    assert lookup[(3, 3, 3)] == "need_attention"
    assert lookup[(3, 2, 1)] == "about_to_sleep"  # FM = ceil(3 / 2) = 2
    assert lookup[(4, 1, 1)] == "promising"
    assert lookup[(1, 5, 5)] == "cannot_lose"
    assert lookup[(2, 1, 1)] == "hibernating"
    assert lookup[(1, 1, 1)] == "lost"


def test_codes_match_the_models_and_every_label_has_an_action():
    assert set(RECOMMENDED_ACTIONS) == set(RfmSegment.values) | set(RfmClass.values)
    assert all(len(text) > 20 for text in RECOMMENDED_ACTIONS.values())
    assert "VIP group" in RECOMMENDED_ACTIONS["important_value"]
    assert "second-item coupon" in RECOMMENDED_ACTIONS["potential_loyalist"]
    assert "personalised picks" in RECOMMENDED_ACTIONS["about_to_sleep"]


def test_rfm_on_no_orders_is_empty():
    table = rfm_table(ORDERS.iloc[:0], as_of=AS_OF)
    scores = rfm_scores(table)
    assert len(scores) == 0 and list(scores.columns)[-3:] == ["r", "f", "m"]
