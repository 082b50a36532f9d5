"""Association rules cross-checked against mlxtend (apriori + association_rules).

On a generated basket (fixed seed, 4,000 orders, 30 products bought along three latent
themes so that lifts spread well above and below 1), every pair rule above the minimum
support must exist in both and agree on support, confidence and lift to 1e-9.
"""

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import apriori
from mlxtend.frequent_patterns import association_rules as mlxtend_rules

from analytics.metrics.basket import association_rules

N_ORDERS, N_PRODUCTS, MIN_SUPPORT = 4_000, 30, 0.01


def generated_lines() -> pd.DataFrame:
    rng = np.random.default_rng(20260601)
    themes = rng.integers(0, 3, N_ORDERS)
    # Each theme favours ten products; every product keeps a small base rate.
    affinity = np.full((3, N_PRODUCTS), 0.08)
    for theme in range(3):
        affinity[theme, theme * 10 : theme * 10 + 10] = rng.uniform(0.1, 0.5, 10)
    picked = rng.random((N_ORDERS, N_PRODUCTS)) < affinity[themes]
    orders, products = np.nonzero(picked)
    lines = pd.DataFrame({"order_id": orders + 1000, "product_id": products + 1})
    # Repeat some lines: a product twice in one order must still count once.
    return pd.concat([lines, lines.sample(frac=0.1, random_state=1)], ignore_index=True)


def mlxtend_pair_rules(lines: pd.DataFrame) -> pd.DataFrame:
    onehot = pd.crosstab(lines["order_id"], lines["product_id"]).gt(0)
    frequent = apriori(onehot, min_support=MIN_SUPPORT, use_colnames=True, max_len=2)
    rules = mlxtend_rules(
        frequent, num_itemsets=len(onehot), metric="support", min_threshold=MIN_SUPPORT
    )
    return pd.DataFrame(
        {
            "product_a": [next(iter(a)) for a in rules["antecedents"]],
            "product_b": [next(iter(c)) for c in rules["consequents"]],
            "support": rules["support"],
            "confidence": rules["confidence"],
            "lift": rules["lift"],
        }
    )


def test_support_confidence_lift_match_mlxtend():
    lines = generated_lines()
    ours = association_rules(lines, min_support=MIN_SUPPORT)
    theirs = mlxtend_pair_rules(lines)

    assert len(theirs) > 100  # the data set is rich enough to mean something
    assert (ours["lift"] > 1.5).any() and (ours["lift"] < 1).any()
    merged = ours.merge(
        theirs,
        on=["product_a", "product_b"],
        how="outer",
        suffixes=("", "_mlxtend"),
        indicator=True,
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    for metric in ("support", "confidence", "lift"):
        np.testing.assert_allclose(
            merged[metric], merged[f"{metric}_mlxtend"], rtol=0, atol=1e-9, err_msg=metric
        )
    n_orders = lines["order_id"].nunique()
    assert merged["pair_count"].to_numpy() == pytest.approx(merged["support"] * n_orders)
