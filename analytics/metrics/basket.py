"""Product associations over paid orders: support, confidence, lift, bundles (DESIGN §3).

Input ``lines``: order_id, product_id — the lines of **paid** orders only (the loader's
``paid_lines``); several lines of one product in one order count once. With n = number
of distinct orders and count(X) = orders containing every product of X:

- support(A, B) = count(A, B) / n
- confidence(A → B) = support(A, B) / support(A)
- lift(A → B) = confidence(A → B) / support(B)

Pair counts come from one sparse product: with X the order × product 0/1 incidence
matrix (scipy.sparse CSR), ``X.T @ X`` holds count(A, B) off the diagonal and count(A) on
it. No Python loop over orders.

Rules are kept when support(A, B) ≥ ``min_support`` (as mlxtend's apriori keeps an
itemset when its support ≥ min_support), and confidence ≥ ``min_confidence``.

Bundle suggestions are **undirected** pairs {A, B} (reported with product_a < product_b;
support and lift are symmetric) with lift > 1 and support ≥ ``min_support``, ranked by
score = lift × support, highest first (ties: higher pair_count, then product ids).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

RULE_COLUMNS = [
    "product_a",
    "product_b",
    "pair_count",
    "support",
    "confidence",
    "lift",
    "support_a",
    "support_b",
]


def incidence_matrix(
    lines: pd.DataFrame, *, row: str = "order_id", column: str = "product_id"
) -> tuple[sp.csr_matrix, pd.Index, pd.Index]:
    """The row × column 0/1 incidence matrix (CSR, int32) with its row and column labels.

    Duplicate (row, column) pairs count once. Columns are sorted by label.
    """
    row_codes, row_labels = pd.factorize(lines[row], sort=False)
    col_codes, col_labels = pd.factorize(lines[column], sort=True)
    matrix = sp.csr_matrix(
        (np.ones(len(lines), dtype=np.int32), (row_codes, col_codes)),
        shape=(len(row_labels), len(col_labels)),
    )
    # Building from COO sums duplicates; an order holding a product twice still counts once.
    matrix.data[:] = 1
    return matrix, pd.Index(row_labels, name=row), pd.Index(col_labels, name=column)


def association_rules(
    lines: pd.DataFrame, *, min_support: float = 0.01, min_confidence: float = 0.0
) -> pd.DataFrame:
    """Directed rules A → B (A ≠ B) over the orders in ``lines``.

    Returns one row per rule, sorted by lift (desc), then product_a, product_b: product_a,
    product_b, pair_count (int64), support, confidence, lift, support_a, support_b.
    """
    incidence, orders, products = incidence_matrix(lines)
    n_orders = len(orders)
    if n_orders == 0:
        return pd.DataFrame(columns=RULE_COLUMNS)
    item_counts = np.asarray(incidence.sum(axis=0)).ravel().astype(np.int64)
    pairs = (incidence.T @ incidence).tocoo()
    a, b, count = pairs.row, pairs.col, pairs.data.astype(np.int64)
    # Same arithmetic, in the same order, as mlxtend: support = count / n, then ratios.
    support = count / n_orders
    keep = (a != b) & (support >= min_support)
    a, b, count, support = a[keep], b[keep], count[keep], support[keep]
    support_a = item_counts[a] / n_orders
    support_b = item_counts[b] / n_orders
    confidence = support / support_a
    lift = confidence / support_b
    rules = pd.DataFrame(
        {
            "product_a": products.to_numpy()[a],
            "product_b": products.to_numpy()[b],
            "pair_count": count,
            "support": support,
            "confidence": confidence,
            "lift": lift,
            "support_a": support_a,
            "support_b": support_b,
        }
    )
    rules = rules[rules["confidence"] >= min_confidence]
    rules = rules.sort_values(
        ["lift", "product_a", "product_b"], ascending=[False, True, True], kind="stable"
    )
    return rules.reset_index(drop=True)


def bundle_suggestions(
    rules: pd.DataFrame, *, min_support: float = 0.01, n: int | None = None
) -> pd.DataFrame:
    """Undirected product pairs worth bundling, from ``association_rules`` output.

    Returns product_a, product_b (product_a < product_b), pair_count, support, lift,
    confidence_ab (A → B), confidence_ba (B → A), score = lift × support; best first,
    the first ``n`` rows when ``n`` is given.
    """
    forward = rules[rules["product_a"] < rules["product_b"]]
    backward = rules.loc[
        rules["product_a"] > rules["product_b"], ["product_a", "product_b", "confidence"]
    ].rename(
        columns={"product_a": "product_b", "product_b": "product_a", "confidence": "confidence_ba"}
    )
    pairs = forward.rename(columns={"confidence": "confidence_ab"}).merge(
        backward, on=["product_a", "product_b"], how="left"
    )
    pairs = pairs[(pairs["lift"] > 1) & (pairs["support"] >= min_support)].copy()
    pairs["score"] = pairs["lift"] * pairs["support"]
    pairs = pairs.sort_values(
        ["score", "pair_count", "product_a", "product_b"],
        ascending=[False, False, True, True],
        kind="stable",
    )
    columns = [
        "product_a",
        "product_b",
        "pair_count",
        "support",
        "lift",
        "confidence_ab",
        "confidence_ba",
        "score",
    ]
    pairs = pairs[columns].reset_index(drop=True)
    return pairs if n is None else pairs.head(n)
