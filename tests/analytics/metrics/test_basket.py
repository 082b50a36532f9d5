"""Association rules and bundles on a six-order toy basket, checked by hand."""

import pandas as pd
import pytest

from analytics.metrics.basket import association_rules, bundle_suggestions, incidence_matrix

A, B, C, D = 1, 2, 3, 4


def toy_lines() -> pd.DataFrame:
    orders = {
        101: [A, B],
        102: [A, B, C],
        103: [A, C],
        104: [B],
        105: [A, A, B],  # two lines of A: the order holds A once
        106: [D],
    }
    return pd.DataFrame(
        [(order, product) for order, products in orders.items() for product in products],
        columns=["order_id", "product_id"],
    )


def rule(rules: pd.DataFrame, a: int, b: int) -> pd.Series:
    match = rules[(rules["product_a"] == a) & (rules["product_b"] == b)]
    assert len(match) == 1, f"no single rule {a} -> {b}"
    return match.iloc[0]


def test_incidence_matrix_counts_a_product_once_per_order():
    matrix, orders, products = incidence_matrix(toy_lines())
    assert matrix.shape == (6, 4)
    assert list(products) == [A, B, C, D]
    assert matrix.sum() == 11  # 2 + 3 + 2 + 1 + 2 + 1
    assert matrix.max() == 1
    assert matrix[list(orders).index(105)].toarray().tolist() == [[1, 1, 0, 0]]


def test_support_confidence_lift_by_hand():
    # n = 6 orders; A in 4, B in 4, C in 2, D in 1; AB in 3, AC in 2, BC in 1
    rules = association_rules(toy_lines(), min_support=0.1)
    ab = rule(rules, A, B)
    assert ab["pair_count"] == 3
    assert ab["support"] == pytest.approx(3 / 6)
    assert ab["confidence"] == pytest.approx(0.75)  # (3/6) / (4/6)
    assert ab["lift"] == pytest.approx(1.125)  # 0.75 / (4/6)
    ac, ca = rule(rules, A, C), rule(rules, C, A)
    assert ac["support"] == pytest.approx(1 / 3)
    assert ac["confidence"] == pytest.approx(0.5)  # (2/6) / (4/6)
    assert ca["confidence"] == pytest.approx(1.0)  # (2/6) / (2/6)
    assert ac["lift"] == pytest.approx(1.5) and ca["lift"] == pytest.approx(1.5)
    bc = rule(rules, B, C)
    assert bc["support"] == pytest.approx(1 / 6)
    assert bc["confidence"] == pytest.approx(0.25)  # (1/6) / (4/6)
    assert bc["lift"] == pytest.approx(0.75)  # 0.25 / (2/6)
    # directed pairs of A, B, C both ways = 6; D never pairs; no A -> A
    assert len(rules) == 6
    assert not (rules["product_a"] == rules["product_b"]).any()
    assert rules["lift"].is_monotonic_decreasing


def test_min_support_and_min_confidence_filter_rules():
    rules = association_rules(toy_lines(), min_support=0.2)
    # B-C (support 1/6 < 0.2) is gone; A-B (1/2) and A-C (1/3) stay, both directions
    pairs = sorted(zip(rules["product_a"], rules["product_b"], strict=True))
    assert pairs == [(A, B), (A, C), (B, A), (C, A)]
    confident = association_rules(toy_lines(), min_support=0.2, min_confidence=0.75)
    # A->B 0.75, B->A 0.75, C->A 1.0 stay; A->C 0.5 goes
    assert sorted(zip(confident["product_a"], confident["product_b"], strict=True)) == [
        (A, B),
        (B, A),
        (C, A),
    ]


def test_a_pair_exactly_at_min_support_is_kept():
    # B-C is in 1 of 6 orders: support 1/6 ≥ 1/6 keeps it, as mlxtend does
    rules = association_rules(toy_lines(), min_support=1 / 6)
    assert rule(rules, B, C)["pair_count"] == 1
    assert len(association_rules(toy_lines(), min_support=0.17)) == 4  # 1/6 < 0.17


def test_bundles_are_undirected_pairs_with_lift_above_one_ranked_by_lift_times_support():
    bundles = bundle_suggestions(association_rules(toy_lines(), min_support=0.1), min_support=0.1)
    # A+B: lift 1.125 × support 0.5 = 0.5625; A+C: 1.5 × 1/3 = 0.5; B+C has lift 0.75 < 1
    assert list(zip(bundles["product_a"], bundles["product_b"], strict=True)) == [(A, B), (A, C)]
    assert bundles["score"].tolist() == pytest.approx([0.5625, 0.5])
    assert bundles["confidence_ab"].tolist() == pytest.approx([0.75, 0.5])
    assert bundles["confidence_ba"].tolist() == pytest.approx([0.75, 1.0])
    # a higher support floor drops A+C (1/3 < 0.4)
    strict = bundle_suggestions(association_rules(toy_lines(), min_support=0.1), min_support=0.4)
    assert strict[["product_a", "product_b"]].values.tolist() == [[A, B]]


def test_no_orders_gives_no_rules():
    empty = association_rules(toy_lines().iloc[:0])
    assert empty.empty
    assert bundle_suggestions(empty).empty
