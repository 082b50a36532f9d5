"""Deterministic arms: the same (campaign, customer) always lands in the same arm, and the
shares follow the split."""

from collections import Counter

import pytest
from scipy.stats import chisquare

from campaigns.assignment import CONTROL, TREATMENT, Split, arm, assign, share


def test_share_is_fixed_per_salt_and_customer_and_differs_between_salts():
    assert share("campaign:1", 42) == share("campaign:1", 42)
    assert share("campaign:1", 42) != share("campaign:2", 42)
    assert 0 <= share("campaign:1", 42) < 1


def test_holdout_share_matches_the_split_and_reruns_agree():
    ids = range(1, 20_001)
    first = assign("campaign:7", ids, Split(holdout_percent=10))
    again = assign("campaign:7", ids, Split(holdout_percent=10))
    assert first == again
    assert set(first) == {CONTROL, TREATMENT}
    # 10% of 20,000 = 2,000; the binomial sd is 42, so ±170 is a 4-sd band.
    assert abs(len(first[CONTROL]) - 2000) < 170
    assert len(first[CONTROL]) + len(first[TREATMENT]) == 20_000


def test_zero_and_full_holdout():
    ids = list(range(500))
    assert assign("c", ids, Split(holdout_percent=0))[CONTROL] == []
    assert assign("c", ids, Split(holdout_percent=100))[TREATMENT] == []


def test_variants_share_the_allocated_part_by_weight():
    split = Split(holdout_percent=10, variants=[("A", 50), ("B", 50)], allocation_percent=20)
    expected = split.expected_shares()
    assert expected == pytest.approx({CONTROL: 0.1, "A": 0.09, "B": 0.09, TREATMENT: 0.72})
    ids = range(40_000)
    counts = Counter(arm("campaign:3", i, split) for i in ids)
    observed = [counts[name] for name in expected]
    # A correct split passes a chi-square goodness-of-fit test comfortably.
    assert chisquare(observed, [40_000 * share for share in expected.values()]).pvalue > 0.001


def test_uneven_weights():
    split = Split(holdout_percent=0, variants=[("A", 75), ("B", 25)])
    counts = Counter(arm("x", i, split) for i in range(20_000))
    assert set(counts) == {"A", "B"}  # allocation 100%: nobody left for the default offer
    assert abs(counts["A"] / 20_000 - 0.75) < 0.015


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"holdout_percent": 120}, "holdout_percent must be 0-100"),
        ({"holdout_percent": 10, "variants": [("A", 0), ("B", 0)]}, "not all 0"),
        ({"holdout_percent": 10, "variants": [("A", 1), ("A", 1)]}, "unique"),
        ({"holdout_percent": 10, "variants": [("control", 1), ("B", 1)]}, "unique"),
        (
            {"holdout_percent": 10, "variants": [("A", 1)], "allocation_percent": -1},
            "allocation_percent",
        ),
    ],
)
def test_bad_splits_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Split(**kwargs)
