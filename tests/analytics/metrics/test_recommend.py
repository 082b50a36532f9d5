"""Recommendations: hand-computed scores, exclusions, the diversity cap, hit rate."""

from math import sqrt

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analytics.metrics.recommend import hit_rate_at_k, item_similarity, recommend_products

A, B = 100, 200  # categories


def catalogue() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (1, A, True, False, True),
            (2, A, True, False, True),
            (3, B, True, False, True),
            (4, B, False, False, True),  # inactive
            (5, B, True, True, True),  # consumable: may be bought again
            (6, A, True, False, False),  # out of stock
            (7, A, True, False, True),  # never bought: can score by category alone
        ],
        columns=["product_id", "category_id", "active", "is_consumable", "in_stock"],
    )


def purchases() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (1, 1, 60.0),
            (1, 5, 40.0),
            (2, 1, 50.0),
            (2, 2, 50.0),
            (3, 1, 10.0),
            (3, 3, 10.0),
            (4, 2, 10.0),
            (4, 4, 10.0),
            (4, 5, 10.0),
            (4, 99, 10.0),  # not in the catalogue: ignored
        ],
        columns=["customer_id", "product_id", "net_amount"],
    )


def picks(result: pd.DataFrame, customer: int) -> list[int]:
    return result[result["customer_id"] == customer].sort_values("rank")["product_id"].tolist()


def test_item_cosine_similarity_by_hand():
    # buyers: 1 -> {1, 2, 3}, 2 -> {2, 4}, 3 -> {3}, 4 -> {4}, 5 -> {1, 4}
    rows = purchases()[purchases()["product_id"] < 99]
    matrix = pd.crosstab(rows["customer_id"], rows["product_id"]).gt(0).astype(float)
    similarity = item_similarity(sp.csr_matrix(matrix.to_numpy()))
    dense = similarity.toarray()
    assert dense[0, 1] == pytest.approx(1 / sqrt(6))  # one co-buyer of 3 × 2 buyers
    assert dense[0, 2] == pytest.approx(1 / sqrt(3))
    assert dense[1, 4] == pytest.approx(1 / 2)  # customer 4, of 2 × 2 buyers
    assert dense[1, 2] == 0.0
    assert np.diag(dense).tolist() == [0.0] * 5


def test_scores_blend_similarity_and_category_share():
    result = recommend_products(purchases(), catalogue())
    # Customer 1 bought 1 and 5. Raw similarity sums: 2 -> 1/√6 + 1/2, 3 -> 1/√3,
    # 5 -> 1/√6 (5 is consumable, so it stays); 1 is owned, 4 inactive, 6 out of stock.
    # Scaled by the best candidate (product 2). Category shares: A 60/100, B 40/100.
    best = 1 / sqrt(6) + 0.5
    expected = {
        2: 0.7 * 1 + 0.3 * 0.6,
        3: 0.7 * (1 / sqrt(3)) / best + 0.3 * 0.4,
        5: 0.7 * (1 / sqrt(6)) / best + 0.3 * 0.4,
        7: 0.7 * 0 + 0.3 * 0.6,
    }
    one = result[result["customer_id"] == 1]
    assert one["product_id"].tolist() == [2, 3, 5, 7]  # 0.88 > 0.565 > 0.435 > 0.18
    assert one["rank"].tolist() == [1, 2, 3, 4]
    assert one["score"].tolist() == pytest.approx([expected[p] for p in (2, 3, 5, 7)], rel=1e-6)
    # Customer 2 bought 1 and 2, all spend in A: 5 -> 1/√6 + 1/2 (best), 3 -> 1/√3,
    # 7 -> category only, 0.3 × 1.
    two = result[result["customer_id"] == 2]
    assert two["product_id"].tolist() == [5, 3, 7]
    assert two["score"].tolist() == pytest.approx([0.7, 0.7 * (1 / sqrt(3)) / best, 0.3], rel=1e-6)


def test_exclusions_and_the_weights_are_settings():
    result = recommend_products(
        purchases(), catalogue(), similarity_weight=0.0, category_weight=1.0
    )
    catalogue_rows = catalogue().set_index("product_id")
    for customer, owned in purchases().groupby("customer_id")["product_id"]:
        chosen = picks(result, customer)
        assert 4 not in chosen and 6 not in chosen  # inactive, out of stock
        assert not set(chosen) & {p for p in owned if p != 5}  # owned, unless consumable
        assert all(catalogue_rows.loc[p, "active"] for p in chosen)
    # category only: customer 3 spent 10 in A and 10 in B: 0.5 each; ties keep lower ids
    assert picks(result, 3) == [2, 5, 7]


def test_at_most_two_per_category_in_the_top_ten():
    # 12 products in category 1, the rest one per category
    products = pd.DataFrame(
        {
            "product_id": range(1, 21),
            "category_id": [1] * 12 + list(range(2, 10)),
            "active": True,
            "is_consumable": False,
            "in_stock": True,
        }
    )
    history = pd.DataFrame(
        [(c, p, 1.0) for c in range(1, 6) for p in range(1, 21) if (c + p) % 3 == 0],
        columns=["customer_id", "product_id", "net_amount"],
    )
    result = recommend_products(history, products, n=10, max_per_category=2)
    merged = result.merge(products, on="product_id")
    assert merged.groupby(["customer_id", "category_id"]).size().max() == 2
    assert (merged[merged["category_id"] == 1].groupby("customer_id").size() == 2).all()
    relaxed = recommend_products(history, products, n=10, max_per_category=10)
    assert (
        relaxed.merge(products, on="product_id")
        .groupby("customer_id")["category_id"]
        .apply(lambda c: (c == 1).sum())
        .max()
        > 2
    )


def reference(history: pd.DataFrame, products: pd.DataFrame, n: int, cap: int) -> dict:
    """Straightforward dense scoring and a per-customer greedy walk, for comparison."""
    ids = products["product_id"].to_numpy()
    customers = np.sort(history["customer_id"].unique())
    owned = (
        pd.crosstab(history["customer_id"], history["product_id"])
        .reindex(index=customers, columns=ids, fill_value=0)
        .gt(0)
        .to_numpy(float)
    )
    co = owned.T @ owned
    norms = np.sqrt(np.diag(co))
    sim = np.divide(co, np.outer(norms, norms), out=np.zeros_like(co), where=co > 0)
    np.fill_diagonal(sim, 0)
    categories = products["category_id"].to_numpy()
    spend = (
        history.merge(products, on="product_id")
        .pivot_table(index="customer_id", columns="category_id", values="net_amount", aggfunc="sum")
        .reindex(index=customers, columns=np.unique(categories), fill_value=0)
        .fillna(0)
    )
    share = (spend.T / spend.sum(axis=1)).T
    allowed = products["active"].to_numpy() & products["in_stock"].to_numpy()
    repeat = products["is_consumable"].to_numpy()
    out = {}
    for row, customer in enumerate(customers):
        ok = allowed & ~((owned[row] > 0) & ~repeat)
        cf = np.where(ok, owned[row] @ sim, 0)
        cf = cf / cf.max() if cf.max() > 0 else cf
        score = np.where(ok, 0.7 * cf + 0.3 * share.loc[customer, categories].to_numpy(), 0)
        chosen, per_category = [], {}
        for j in sorted(range(len(ids)), key=lambda j: (-score[j], ids[j])):
            if score[j] <= 0 or len(chosen) == n:
                break
            if per_category.get(categories[j], 0) < cap:
                per_category[categories[j]] = per_category.get(categories[j], 0) + 1
                chosen.append((int(ids[j]), score[j]))
        out[customer] = chosen
    return out


def test_vectorised_selection_matches_a_greedy_walk():
    rng = np.random.default_rng(11)
    n_products = 80
    # Category 0 holds 50 of the 80 products (the rest come two per category), so the top
    # candidates crowd into it: most customers need more than the first 40 sorted
    # candidates to fill ten places, which takes the selection's second, full-width pass.
    position = np.arange(n_products)
    products = pd.DataFrame(
        {
            "product_id": (position + 1) * 10,
            "category_id": np.where(position < 50, 0, position // 2),
            "active": rng.random(n_products) > 0.1,
            "is_consumable": rng.random(n_products) < 0.2,
            "in_stock": rng.random(n_products) > 0.1,
        }
    )
    size = 4_000
    popular = np.where(rng.random(size) < 0.6, rng.integers(0, 50, size), rng.integers(0, 80, size))
    history = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, size),
            "product_id": (popular + 1) * 10,
            "net_amount": rng.uniform(1, 50, size).round(2),
        }
    )
    result = recommend_products(history, products, n=10, max_per_category=2)
    expected = reference(history, products, n=10, cap=2)
    assert set(result["customer_id"]) == set(expected)
    for customer, chosen in expected.items():
        got = result[result["customer_id"] == customer]
        assert got["product_id"].tolist() == [p for p, _ in chosen], customer
        assert got["score"].to_numpy() == pytest.approx([s for _, s in chosen], rel=1e-5)


def test_hit_rate_at_k():
    recommendations = pd.DataFrame(
        [(1, 2, 1), (1, 3, 2), (1, 5, 3), (2, 5, 1), (2, 3, 2)],
        columns=["customer_id", "product_id", "rank"],
    )
    future = pd.DataFrame(
        [(1, 3), (2, 1), (9, 2)],  # customer 9 got no list: not evaluated
        columns=["customer_id", "product_id"],
    )
    # k=1: neither 1 (bought its #2) nor 2 hit -> 0/2; k=2: customer 1 hits -> 1/2
    assert hit_rate_at_k(recommendations, future, k=1) == 0.0
    assert hit_rate_at_k(recommendations, future, k=2) == 0.5
    assert np.isnan(hit_rate_at_k(recommendations, future.iloc[:0], k=2))


def test_tag_affinity_blends_in_and_serves_tagged_customers_without_orders():
    # Tag T1: customers 1, 3 and 9 (9 has no order). Among them product 1 was bought by
    # 2 of 3, products 3 and 5 by 1 of 3 each.
    tags = pd.DataFrame({"customer_id": [1, 3, 9], "tag_id": [11, 11, 11]})
    result = recommend_products(
        purchases(), catalogue(), similarity_weight=0.6, category_weight=0.25,
        tag_weight=0.15, tags=tags,
    )  # fmt: skip
    # Customer 9: tag shares 2/3, 1/3, 1/3 scaled by the best (2/3): 1, 0.5, 0.5.
    nine = result[result["customer_id"] == 9]
    assert nine["product_id"].tolist() == [1, 3, 5]
    assert nine["score"].tolist() == pytest.approx([0.15, 0.075, 0.075], rel=1e-6)
    # Customer 1 owns 1: among the allowed, 3 and 5 have the best share (1/3) -> 1 each.
    best = 1 / sqrt(6) + 0.5
    one = result[result["customer_id"] == 1]
    assert one["product_id"].tolist() == [2, 3, 5, 7]
    assert one["score"].tolist() == pytest.approx(
        [
            0.6 + 0.25 * 0.6,
            0.6 * (1 / sqrt(3)) / best + 0.25 * 0.4 + 0.15,
            0.6 * (1 / sqrt(6)) / best + 0.25 * 0.4 + 0.15,
            0.25 * 0.6,
        ],
        rel=1e-6,
    )
    # Customer 2 has no tag: the tag term adds nothing.
    two = result[result["customer_id"] == 2]
    assert two["score"].tolist() == pytest.approx([0.6, 0.6 * (1 / sqrt(3)) / best, 0.25], rel=1e-6)
    # Without a tag weight, tags change nothing.
    plain = recommend_products(purchases(), catalogue(), tags=tags)
    pd.testing.assert_frame_equal(plain, recommend_products(purchases(), catalogue()))


def test_the_best_columns_order_like_a_stable_sort_on_minus_score():
    from analytics.metrics.recommend import _best_columns

    scores = np.array(
        [
            [0.5, 0.0, 0.5, 0.25, 0.75, 0.0],  # ties: the lower column first
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [1e-30, 3.0, 2.0, 1.0, 2.0, 1e-30],
        ],
        dtype=np.float32,
    )
    assert _best_columns(scores, 3).tolist() == [[4, 0, 2], [0, 1, 2], [1, 2, 4]]
    assert _best_columns(scores, 6).tolist() == [
        [4, 0, 2, 3, 1, 5],
        [0, 1, 2, 3, 4, 5],
        [1, 2, 4, 3, 0, 5],
    ]
    rng = np.random.default_rng(5)
    many = rng.integers(0, 4, size=(500, 60)).astype(np.float32) / 4  # many ties
    expected = np.argsort(-many, axis=1, kind="stable")
    assert np.array_equal(_best_columns(many, 40), expected[:, :40])
    assert np.array_equal(_best_columns(many, 60), expected)


def test_batches_and_a_sparse_similarity_give_the_same_lists(monkeypatch):
    from analytics.metrics import recommend

    rng = np.random.default_rng(3)
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, 41),
            "category_id": np.arange(40) % 6,
            "active": True,
            "is_consumable": np.arange(40) % 5 == 0,
            "in_stock": np.arange(40) % 7 != 0,
        }
    )
    history = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 200, 1500),
            "product_id": rng.integers(1, 41, 1500),
            "net_amount": rng.uniform(1, 50, 1500).round(2),
        }
    )
    tags = pd.DataFrame(
        {"customer_id": rng.integers(0, 250, 300), "tag_id": rng.integers(1, 4, 300)}
    )
    kwargs = {"similarity_weight": 0.6, "category_weight": 0.25, "tag_weight": 0.15, "tags": tags}
    whole = recommend.recommend_products(history, products, **kwargs)
    # 40 × 40 = 1,600 cells > 1,000: the similarity stays sparse; batches of 25 customers
    monkeypatch.setattr(recommend, "CELLS_PER_BATCH", 1_000)
    pd.testing.assert_frame_equal(recommend.recommend_products(history, products, **kwargs), whole)
    assert whole["customer_id"].nunique() > 200  # tagged customers without orders get lists
