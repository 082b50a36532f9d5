"""The demo catalogue: a category tree, ~200 products and ~800 SKUs.

Popularity is Zipf-like (a few best sellers, a long tail) and independent of margin, so
the product matrix has stars, traffic drivers, profit contributors and a long tail. A
few products launched recently, a few stopped selling months ago (slow movers with
stock left), and a handful are *problem products* whose returns and reviews trip the
quality flags. Stock is set last, from the simulated sales (:func:`stock_levels`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from campaigns.demo import reference as ref
from campaigns.demo.tables import NULL, Table, cents, grouped_cumsum, ids, lookup, numbered, text
from campaigns.demo.timeline import DAY, Timeline
from catalog.models import SKU, Category, Product

PRODUCTS = 200
BUNDLE_PAIRS = 8
PROBLEM_PRODUCTS = 5
ZIPF_EXPONENT = 1.05


@dataclass
class Catalog:
    """What the order generator needs to know about the goods (arrays by product / SKU)."""

    category: Table
    product: Table
    sku: Table
    product_root: np.ndarray  # root index into ref.ROOTS
    popularity: np.ndarray  # relative chance of being picked for a line
    available_from: np.ndarray  # epoch seconds (launch), start of history if earlier
    available_until: np.ndarray  # epoch seconds; end of history unless discontinued
    consumable: np.ndarray
    return_factor: np.ndarray  # multiplier on the root's return rate
    problem: np.ndarray  # bool: quality-flag products
    bundles: np.ndarray  # (BUNDLE_PAIRS, 2) product indices bought together
    sku_product: np.ndarray  # product index of each SKU (SKUs sorted by product)
    sku_key: np.ndarray  # product index + cumulative weight: for picking a SKU
    sku_price: np.ndarray  # cents
    sku_cost: np.ndarray  # cents


def generate_catalog(rng: np.random.Generator, tl: Timeline) -> Catalog:
    """Categories, products and SKUs (stock and reorder points are filled in later)."""
    roots = ref.ROOTS
    root_ids = ids(len(roots))
    child_root = np.concatenate([[r] * len(spec.children) for r, spec in enumerate(roots)])
    child_names = [c for spec in roots for c in spec.children]
    category = Table(
        Category,
        {
            "id": ids(len(roots) + len(child_names)),
            "name": text([spec.name for spec in roots] + child_names),
            "parent_id": np.r_[np.full(len(roots), NULL), root_ids[child_root]],
        },
    )

    # Products per root by weight; every leaf category gets at least one.
    weights = np.array([spec.weight for spec in roots])
    per_root = np.floor(weights / weights.sum() * PRODUCTS).astype(int)
    per_root[: PRODUCTS - per_root.sum()] += 1
    product_root = np.repeat(np.arange(len(roots)), per_root)
    leaf = np.empty(PRODUCTS, dtype=np.int64)
    for r in range(len(roots)):
        members = np.flatnonzero(product_root == r)
        leaves = np.flatnonzero(child_root == r)
        leaf[members] = rng.permutation(np.resize(leaves, len(members)))
    leaf_id = len(roots) + 1 + leaf

    ranks = rng.permutation(PRODUCTS) + 1
    popularity = 1.0 / ranks**ZIPF_EXPONENT
    margin = np.array([rng.uniform(*roots[r].margin) for r in product_root])
    consumable = rng.random(PRODUCTS) < np.array([s.consumable for s in roots])[product_root]

    # Launch: most before the history starts; some during it; ~8% in the last 75 days.
    launch_age = np.where(
        rng.random(PRODUCTS) < 0.72,
        rng.uniform(730, 1600, PRODUCTS),
        rng.uniform(75, 730, PRODUCTS),
    )
    recent = (rng.random(PRODUCTS) < 0.08) & (ranks > 3)
    launch_age[recent] = rng.uniform(5, 75, recent.sum())
    popularity[recent] *= 2.5  # launches get a push on the homepage
    launched_day = (tl.end - DAY) // DAY - launch_age.astype(np.int64)
    available_from = np.maximum(launched_day * DAY, tl.start)

    # Discontinued lines stop selling 70-400 days before as_of: some are taken off the
    # shelf (inactive, sold out), the rest linger in stock as slow movers.
    stopped = (rng.random(PRODUCTS) < 0.08) & (ranks > 10) & (launch_age > 420)
    available_until = np.full(PRODUCTS, tl.end, dtype=np.int64)
    available_until[stopped] = tl.end - (rng.uniform(70, 400, stopped.sum()) * DAY).astype(np.int64)
    inactive = stopped & (rng.random(PRODUCTS) < 0.4)

    # Problem products: popular enough to reach 30 units, always on sale, not in bundles.
    steady = ~recent & ~stopped & (launch_age > 730)
    candidates = np.flatnonzero(steady & (ranks >= 6) & (ranks <= 40))
    problem = np.zeros(PRODUCTS, dtype=bool)
    problem[rng.choice(candidates, min(PROBLEM_PRODUCTS, len(candidates)), replace=False)] = True
    return_factor = rng.lognormal(0.0, 0.35, PRODUCTS)
    bundles = _bundle_pairs(rng, product_root, ranks, steady & ~problem)

    nouns = [rng.choice(roots[r].nouns) for r in product_root]
    names = text(
        f"{b} {a} {n}"
        for b, a, n in zip(
            lookup(ref.BRANDS, rng.integers(0, len(ref.BRANDS), PRODUCTS)),
            lookup(ref.ADJECTIVES, rng.integers(0, len(ref.ADJECTIVES), PRODUCTS)),
            nouns,
            strict=True,
        )
    )
    product_ids = ids(PRODUCTS)
    product_codes = numbered("P", product_ids, 5)
    product = Table(
        Product,
        {
            "id": product_ids,
            "code": product_codes,
            "name": names,
            "category_id": leaf_id,
            "brand": text(n.split(" ", 1)[0] for n in names),
            "launched_at": launched_day,
            "active": ~inactive,
            "is_consumable": consumable,
            "description": text(
                f"{n}. {roots[r].name}, {child_names[c]}."
                for n, r, c in zip(names, product_root, leaf, strict=True)
            ),
            "created_at": np.minimum(launched_day * DAY, tl.end - DAY),
            "updated_at": np.full(PRODUCTS, tl.start, dtype=np.int64),
        },
    )
    sku, sku_product, sku_key, price, cost = _skus(rng, product_root, margin, product_codes, tl)
    sku.columns["active"] = ~inactive[sku_product]
    return Catalog(
        category=category,
        product=product,
        sku=sku,
        product_root=product_root,
        popularity=popularity,
        available_from=available_from,
        available_until=available_until,
        consumable=consumable,
        return_factor=return_factor,
        problem=problem,
        bundles=bundles,
        sku_product=sku_product,
        sku_key=sku_key,
        sku_price=price,
        sku_cost=cost,
    )


def _bundle_pairs(rng, product_root, ranks, eligible) -> np.ndarray:
    """Pairs of mid-popularity products of one root that people buy together."""
    pairs = []
    used = np.zeros(len(ranks), dtype=bool)
    order = np.argsort(ranks)
    for r in rng.permutation(len(ref.ROOTS)).tolist() * 2:
        pool = [
            i
            for i in order
            if product_root[i] == r and eligible[i] and not used[i] and 4 <= ranks[i] <= 90
        ]
        if len(pool) >= 2 and len(pairs) < BUNDLE_PAIRS:
            a, b = rng.choice(pool, 2, replace=False)
            used[[a, b]] = True
            pairs.append((a, b))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _skus(rng, product_root, margin, product_codes, tl: Timeline):
    """Variants of each product with prices, costs and picking weights."""
    rows = []  # (product index, attributes, weight, price factor)
    for p, r in enumerate(product_root.tolist()):
        axes = ref.VARIANTS[ref.ROOTS[r].variants]
        options = []
        for attr, (values, weights, factors) in axes.items():
            if attr == "size":
                k = rng.integers(4, 6)
                picked = list(range(k))
            elif attr == "colour" and len(axes) > 1:
                k = rng.integers(1, 4)
                picked = sorted(rng.choice(len(values), k, replace=False).tolist())
            else:
                k = rng.integers(1, len(values) + 1)
                picked = sorted(rng.choice(len(values), k, replace=False).tolist())
            options.append([(attr, values[i], weights[i], factors[i]) for i in picked])
        combos = [[]]
        for axis in options:
            combos = [[*c, o] for c in combos for o in axis]
        for combo in combos:
            attrs = {a: v for a, v, _, _ in combo}
            weight = float(np.prod([w for _, _, w, _ in combo]))
            factor = float(np.prod([f for _, _, _, f in combo]))
            rows.append((p, json.dumps(attrs, ensure_ascii=False), weight, factor))
    sku_product = np.array([r[0] for r in rows], dtype=np.int64)
    weight = np.array([r[2] for r in rows])
    factor = np.array([r[3] for r in rows])
    n = len(rows)

    base = np.array([ref.ROOTS[r].price_median for r in product_root]) * np.exp(
        rng.normal(0, 1, len(product_root))
        * np.array([s.price_sigma for s in ref.ROOTS])[product_root]
    )
    yuan = np.maximum(np.round(base[sku_product] * factor), 10)
    price = (yuan * 100).astype(np.int64) - np.where(rng.random(n) < 0.6, 10, 0)  # 59.90
    cost = cents(price / 100 * (1 - margin[sku_product]) * rng.uniform(0.97, 1.03, n))

    # Key = product index + cumulative share of the variant within its product, so one
    # searchsorted picks a SKU for many products at once (see pick_skus).
    weight_sum = np.bincount(sku_product, weights=weight)
    within = grouped_cumsum(weight, sku_product) / weight_sum[sku_product]
    within[np.r_[sku_product[1:] != sku_product[:-1], True]] = 1.0
    sku_key = sku_product + within

    rank_in_product = np.arange(n) - np.searchsorted(sku_product, sku_product)
    lead_by_root = np.array([7, 5, 10, 4, 12, 6])[product_root]
    lead = np.maximum(2, rng.poisson(lead_by_root[sku_product])).astype(np.int64)
    sku = Table(
        SKU,
        {
            "id": ids(n),
            "product_id": sku_product + 1,
            "code": text(
                f"{c}-{k + 1:02d}"
                for c, k in zip(product_codes[sku_product], rank_in_product.tolist(), strict=True)
            ),
            "attributes": text(r[1] for r in rows),
            "list_price": price,
            "unit_cost": cost,
            "lead_time_days": lead,
            "updated_at": np.full(n, tl.end - 1, dtype=np.int64),
        },
    )
    return sku, sku_product, sku_key, price, cost


def pick_skus(rng: np.random.Generator, catalog: Catalog, product: np.ndarray) -> np.ndarray:
    """A SKU index for each product index, by the variants' popularity (sizes M and L…)."""
    key = product + rng.random(len(product))
    return np.searchsorted(catalog.sku_key, key, side="right")


def stock_levels(
    rng: np.random.Generator,
    catalog: Catalog,
    units_28d: np.ndarray,
    ever_sold: np.ndarray,
) -> None:
    """Set stock on hand and reorder points from the last 28 days of sales (per SKU).

    Most SKUs hold 3-10 weeks of cover; some are sold out, some sit below their reorder
    point, and the SKUs of discontinued products keep leftover stock (slow movers) unless
    they were taken off the shelf.
    """
    sku = catalog.sku.columns
    n = len(catalog.sku)
    daily = units_28d / 28.0
    lead = sku["lead_time_days"]
    safety = 7
    reorder = np.ceil(daily * (lead + safety)).astype(np.int64)
    reorder = np.where(ever_sold, np.maximum(reorder, 2), 0)
    cover_days = rng.uniform(21, 75, n)
    stock = np.ceil(daily * cover_days).astype(np.int64) + rng.integers(0, 6, n)
    u = rng.random(n)
    low = u < 0.12
    stock[low] = np.floor(reorder[low] * rng.uniform(0.1, 0.9, low.sum())).astype(np.int64)
    stock[(u >= 0.12) & (u < 0.19)] = 0  # sold out
    # Nothing sold lately: long-tail SKUs are half the time not restocked, otherwise
    # they sit on a few units; discontinued lines keep their leftovers (slow movers).
    idle = np.flatnonzero(daily == 0)
    stock[idle] = np.where(rng.random(len(idle)) < 0.5, 0, rng.integers(3, 40, len(idle)))
    stopped = catalog.available_until[catalog.sku_product] < catalog.available_until.max()
    stock[stopped] = rng.integers(20, 150, stopped.sum())
    stock[~sku["active"]] = 0
    sku["stock_on_hand"] = stock
    sku["reorder_point"] = reorder
