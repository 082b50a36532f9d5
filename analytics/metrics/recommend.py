"""Personal product recommendations and their offline hit rate (DESIGN §3, issue 5).

Inputs:

- ``purchases``: customer_id, product_id, net_amount — lines of paid orders up to the
  as-of date (several lines of one product count as one purchase for similarity; their
  amounts all count for category spend). Products missing from ``products`` are ignored.
- ``products``: the catalogue: product_id, category_id, active, is_consumable, in_stock
  (any SKU with stock_on_hand > 0).

Scoring, for customer c and candidate product p:

- similarity: item-to-item cosine over the customer × product 0/1 matrix P,
  sim(i, j) = co-buyers(i, j) / √(buyers(i) · buyers(j)), sim(i, i) = 0; the
  collaborative score is (P @ sim)[c, p] — the summed similarity of p to what c bought —
  scaled so that c's best *candidate* scores 1.
- category affinity: c's share of net spend in p's category (0 … 1).
- tag affinity (with ``tags``: customer_id, tag_id — computed and manual tags): for each
  of c's tags, the share of the tag's customers who bought p; averaged over c's tags and
  scaled so that c's best candidate scores 1. Customers who share c's tags (price-
  sensitive, night shopper, category lover...) point at what c may like, and a tagged
  customer without orders yet still gets a list.
- score = ``similarity_weight`` × similarity + ``category_weight`` × affinity +
  ``tag_weight`` × tag affinity (defaults 0.7, 0.3 and 0; the analytics step takes
  them from ``ANALYTICS["RECOMMEND_WEIGHTS"]``).

Candidates exclude products c already bought (unless ``is_consumable``), inactive and
out-of-stock products, and anything scoring 0 (a customer with no history and no tag gets
no list).
Diversity: walking down the scores, a product is skipped once ``max_per_category`` (2)
products of its category are in the list; the list stops at ``n`` (10). Ties keep the
lower product_id first; scores are float32, so scores equal to about 7 significant
digits tie. Scoring is sparse-matrix algebra over batches of customers; the selection is
vectorised too (sorts along rows), with no Python loop over customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

CELLS_PER_BATCH = 4_000_000  # customers × products per batch: bounds the dense work arrays


def recommend_products(
    purchases: pd.DataFrame,
    products: pd.DataFrame,
    *,
    n: int = 10,
    similarity_weight: float = 0.7,
    category_weight: float = 0.3,
    tag_weight: float = 0.0,
    tags: pd.DataFrame | None = None,
    max_per_category: int = 2,
) -> pd.DataFrame:
    """Top ``n`` products per customer of ``purchases`` (see module doc).

    Returns one row per recommendation, by customer then rank: customer_id, rank (1…n),
    product_id, score (float64).
    """
    catalogue = products.sort_values("product_id").reset_index(drop=True)
    product_ids = catalogue["product_id"].to_numpy()
    category_codes, _ = pd.factorize(catalogue["category_id"], sort=True)
    buyable = (catalogue["active"] & catalogue["in_stock"]).to_numpy(dtype=bool)
    repeatable = catalogue["is_consumable"].to_numpy(dtype=bool)

    rows = purchases[purchases["product_id"].isin(product_ids)]
    tags = (
        tags if tags is not None and tag_weight else pd.DataFrame(columns=["customer_id", "tag_id"])
    )
    customer_ids = np.union1d(rows["customer_id"].unique(), tags["customer_id"].unique())
    # Positions by hash lookup: ten times faster than a binary search of millions of ids.
    customer_index = pd.Index(customer_ids)
    customer_codes = customer_index.get_indexer(rows["customer_id"].to_numpy())
    product_codes = pd.Index(product_ids).get_indexer(rows["product_id"].to_numpy())
    shape = (len(customer_ids), len(product_ids))
    bought = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (customer_codes, product_codes)), shape=shape
    )
    bought.data[:] = 1.0
    spend = sp.csr_matrix(
        (
            rows["net_amount"].clip(lower=0).to_numpy(dtype=np.float64),
            (customer_codes, category_codes[product_codes]),
        ),
        shape=(len(customer_ids), category_codes.max(initial=-1) + 1),
    )
    similarity = item_similarity(bought)
    if similarity.shape[0] ** 2 <= CELLS_PER_BATCH:
        # A dense products × products matrix (200 products: 40k cells) makes each batch's
        # product with it sparse × dense, about twice as fast as sparse × sparse.
        similarity = similarity.toarray()
    tag_codes, _ = pd.factorize(tags["tag_id"], sort=True)
    tagged = sp.csr_matrix(
        (
            np.ones(len(tags), dtype=np.float32),
            (customer_index.get_indexer(tags["customer_id"].to_numpy()), tag_codes),
        ),
        shape=(len(customer_ids), tag_codes.max(initial=-1) + 1),
    )
    tagged.data[:] = 1.0
    tag_popularity = tag_product_shares(tagged, bought)

    batch = max(1, CELLS_PER_BATCH // max(1, len(product_ids)))
    parts = []
    for first in range(0, len(customer_ids), batch):
        block = slice(first, first + batch)
        scores = _scores(
            bought[block],
            spend[block],
            similarity,
            category_codes,
            buyable,
            repeatable,
            (similarity_weight, category_weight, tag_weight),
            tagged[block],
            tag_popularity,
        )
        row, position, rank, score = _top_diverse(scores, category_codes, n, max_per_category)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": customer_ids[row + first],
                    "rank": rank,
                    "product_id": product_ids[position],
                    "score": score.astype(np.float64),
                }
            )
        )
    columns = ["customer_id", "rank", "product_id", "score"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def item_similarity(bought: sp.csr_matrix) -> sp.csr_matrix:
    """Cosine similarity between the columns of a 0/1 matrix, with a zero diagonal."""
    co = (bought.T @ bought).tocsr()
    norms = np.sqrt(co.diagonal())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    scale = sp.diags(inverse.astype(np.float32))
    similarity = (scale @ co @ scale).tocsr()
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    return similarity


def tag_product_shares(tagged: sp.csr_matrix, bought: sp.csr_matrix) -> np.ndarray:
    """tags × products: the share of each tag's customers who bought each product."""
    buyers = np.asarray((tagged.T @ bought).todense(), dtype=np.float32)
    sizes = np.asarray(tagged.sum(axis=0), dtype=np.float32).reshape(-1, 1)
    return np.divide(buyers, sizes, out=np.zeros_like(buyers), where=sizes > 0)


def hit_rate_at_k(
    recommendations: pd.DataFrame, future_purchases: pd.DataFrame, k: int = 10
) -> float:
    """Share of evaluated customers who bought at least one of their top ``k`` picks.

    ``recommendations``: customer_id, product_id, rank (as ``recommend_products`` returns,
    made from history up to a split date); ``future_purchases``: customer_id, product_id
    bought after it. Evaluated customers are those with a recommendation and a future
    purchase; NaN when there are none.
    """
    top = recommendations.loc[recommendations["rank"] <= k, ["customer_id", "product_id"]]
    future = future_purchases[["customer_id", "product_id"]].drop_duplicates()
    evaluated = np.intersect1d(top["customer_id"].unique(), future["customer_id"].unique())
    if len(evaluated) == 0:
        return float("nan")
    hits = top.drop_duplicates().merge(future, on=["customer_id", "product_id"])
    return hits["customer_id"].nunique() / len(evaluated)


def _scores(
    bought: sp.csr_matrix,
    spend: sp.csr_matrix,
    similarity: sp.csr_matrix | np.ndarray,
    category_codes: np.ndarray,
    buyable: np.ndarray,
    repeatable: np.ndarray,
    weights: tuple[float, float, float],
    tagged: sp.csr_matrix,
    tag_popularity: np.ndarray,
) -> np.ndarray:
    """Blended scores of a batch of customers; excluded candidates score 0."""
    similarity_weight, category_weight, tag_weight = weights
    owned = bought.toarray() > 0
    allowed = buyable[None, :] & ~(owned & ~repeatable[None, :])
    related = bought @ similarity
    collaborative = _scaled(related.toarray() if sp.issparse(related) else related, allowed)
    totals = np.asarray(spend.sum(axis=1))
    share = (spend.toarray() / np.where(totals > 0, totals, 1.0)).astype(np.float32)
    affinity = share[:, category_codes] if share.shape[1] else np.zeros_like(collaborative)
    # float32 halves the sorting time; scores equal to 7 significant digits tie.
    scores = np.float32(similarity_weight) * collaborative + np.float32(category_weight) * affinity
    if tag_weight and tag_popularity.size:
        counts = np.asarray(tagged.sum(axis=1), dtype=np.float32)
        mean_share = np.asarray(tagged @ tag_popularity) / np.where(counts > 0, counts, 1)
        scores += np.float32(tag_weight) * _scaled(mean_share.astype(np.float32), allowed)
    scores[~allowed] = 0
    return scores


def _scaled(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Each row divided by its best allowed value (0 where it has none)."""
    values[~allowed] = 0
    best = values.max(axis=1, keepdims=True)
    return np.divide(values, best, out=np.zeros_like(values), where=best > 0)


def _top_diverse(
    scores: np.ndarray, category_codes: np.ndarray, n: int, max_per_category: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first ``n`` positive scores per row, at most ``max_per_category`` per category.

    Returns (row, column, rank 1…n, score) of each pick, in row then rank order.
    """
    # Most rows fill their list from the first few candidates: pick from a short prefix of
    # the best columns, and redo with every candidate only the rows it leaves short while
    # candidates remain.
    width = min(scores.shape[1], max(4 * n, 32))
    order = _best_columns(scores, width)
    ranked = np.take_along_axis(scores, order, axis=1)
    row, position, rank = _pick(ranked, category_codes[order], n, max_per_category)
    column, score = order[row, position], ranked[row, position]
    picked = np.bincount(row, minlength=len(scores))
    short = np.flatnonzero((picked < n) & (ranked[:, width - 1] > 0)) if width else []
    if len(short) and width < scores.shape[1]:
        order = _best_columns(scores[short], scores.shape[1])
        ranked = np.take_along_axis(scores[short], order, axis=1)
        again, position, again_rank = _pick(ranked, category_codes[order], n, max_per_category)
        keep = ~np.isin(row, short)
        row = np.concatenate([row[keep], short[again]])
        column = np.concatenate([column[keep], order[again, position]])
        score = np.concatenate([score[keep], ranked[again, position]])
        rank = np.concatenate([rank[keep], again_rank])
        by_row = np.lexsort((rank, row))
        row, column, score, rank = row[by_row], column[by_row], score[by_row], rank[by_row]
    return row, column, rank, score


def _best_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """The columns of the ``k`` best scores of each row, best first; equal scores keep the
    lower column first (as a stable sort on −score does).

    Each score and its column make one int64 key, distinct within a row: the score's bits
    above (float32 ≥ 0, whose bit patterns order as the values do), the reversed column
    below. Partitioning out the k best keys and sorting only those is about three times
    faster than a stable argsort of whole rows.
    """
    assert scores.dtype == np.float32
    width = scores.shape[1]
    reversed_column = width - 1 - np.arange(width)
    key = (scores.view(np.int32).astype(np.int64) << 32) | reversed_column
    if k < width:
        key = np.partition(key, width - k, axis=1)[:, width - k :]
    key = np.sort(key, axis=1)[:, ::-1]
    return width - 1 - (key & 0xFFFFFFFF)


def _pick(
    ranked: np.ndarray, categories: np.ndarray, n: int, max_per_category: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk sorted candidates row-wise; return (row, position, rank) of the picks."""
    n_rows, n_cols = ranked.shape
    valid = ranked > 0
    position = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    # Rank of each candidate within its category: sort each row by (category, position);
    # a candidate's rank is its distance from the start of its category's run.
    sentinel = int(categories.max(initial=-1)) + 1
    category = np.where(valid, categories, sentinel)
    by_category = np.argsort(category * n_cols + position, axis=1, kind="stable")
    grouped = np.take_along_axis(category, by_category, axis=1)
    starts = np.ones_like(grouped, dtype=bool)
    starts[:, 1:] = grouped[:, 1:] != grouped[:, :-1]
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    within = np.empty_like(by_category)
    np.put_along_axis(within, by_category, position - run_start, axis=1)

    keep = valid & (within < max_per_category)
    rank = np.cumsum(keep, axis=1)
    chosen = keep & (rank <= n)
    row, column = np.nonzero(chosen)
    return row, column, rank[row, column]
