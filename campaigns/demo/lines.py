"""What each order contains: products by long-tail popularity, bundles, SKUs and prices.

A line's product comes from the customer's favourite root category about half the time
(so preferred categories and recommendations mean something), otherwise from the whole
catalogue, always by Zipf-like popularity and only while the product is on sale. The
explicit bundle pairs are then bought together far more often than chance. Line discounts
follow the sales calendar: most lines of Double 11 and 618 carry one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo.catalog import Catalog, pick_skus
from campaigns.demo.orders import Orders
from campaigns.demo.people import People
from campaigns.demo.tables import cents, group_starts
from campaigns.demo.timeline import Timeline

LINES_PER_ORDER = (np.arange(1, 8), np.array([0.30, 0.28, 0.20, 0.11, 0.06, 0.03, 0.02]))
FAVOURITE_ROOT = 0.55
BUNDLE_WITH_SECOND_LINE = 0.65  # an order starting with one of a pair holds the other
BUNDLE_ADDED = 0.35  # a single-line order with one of a pair gets the other added


@dataclass
class Lines:
    """Order lines sorted by order (ids 1..n follow that order)."""

    order: np.ndarray  # order index
    sku: np.ndarray  # SKU index
    product: np.ndarray  # product index
    quantity: np.ndarray
    unit_price: np.ndarray  # cents
    unit_cost: np.ndarray  # cents
    discount: np.ndarray  # cents, on the whole line

    def __len__(self) -> int:
        return len(self.order)

    @property
    def gross(self) -> np.ndarray:
        return self.quantity * self.unit_price


def _sampler(weights: np.ndarray):
    cum = np.cumsum(weights)
    return lambda rng, n: np.searchsorted(cum, rng.random(n) * cum[-1], side="right")


def generate_lines(
    rng: np.random.Generator, tl: Timeline, catalog: Catalog, people: People, orders: Orders
) -> Lines:
    """Lines for every order, with quantities, prices at sale, costs and discounts."""
    counts = rng.choice(LINES_PER_ORDER[0], len(orders), p=LINES_PER_ORDER[1])
    owner = np.repeat(np.arange(len(orders)), counts)
    when = orders.created[owner]
    pop = catalog.popularity
    product = _sampler(pop)(rng, len(owner))
    favourite = people.preferred_root[orders.customer[owner]]
    use_favourite = rng.random(len(owner)) < FAVOURITE_ROOT
    for root in range(catalog.product_root.max() + 1):
        members = np.flatnonzero(catalog.product_root == root)
        rows = np.flatnonzero(use_favourite & (favourite == root))
        product[rows] = members[_sampler(pop[members])(rng, len(rows))]

    # Only what is on sale at the order's time; a few retries, then an evergreen product.
    evergreen = (catalog.available_from <= tl.start) & (catalog.available_until >= tl.end)
    evergreen_pick = _sampler(np.where(evergreen, pop, 0.0))
    any_pick = _sampler(pop)
    for attempt in range(6):
        bad = np.flatnonzero(
            (when < catalog.available_from[product]) | (when >= catalog.available_until[product])
        )
        if not len(bad):
            break
        product[bad] = (any_pick if attempt < 5 else evergreen_pick)(rng, len(bad))

    product, owner = _bundle(rng, catalog, product, owner, counts)
    product, owner = _distinct(rng, product, owner, evergreen_pick, len(catalog.popularity))

    sku = pick_skus(rng, catalog, product)
    consumable = catalog.consumable[product]
    quantity = np.where(
        consumable,
        rng.choice([1, 2, 3, 4], len(product), p=[0.62, 0.24, 0.09, 0.05]),
        rng.choice([1, 2, 3], len(product), p=[0.88, 0.10, 0.02]),
    ).astype(np.int64)
    price = catalog.sku_price[sku]
    promo = tl.promo[tl.day_of(orders.created[owner])]
    u = rng.random(len(product))
    rate = np.where(
        promo,
        np.where(u < 0.75, rng.uniform(0.08, 0.25, len(u)), 0.0),
        np.where(u < 0.18, rng.uniform(0.05, 0.12, len(u)), 0.0),
    )
    discount = np.minimum(cents(quantity * price / 100 * rate), quantity * price)
    return Lines(
        order=owner,
        sku=sku,
        product=product,
        quantity=quantity,
        unit_price=price,
        unit_cost=catalog.sku_cost[sku],
        discount=discount,
    )


def _bundle(rng, catalog: Catalog, product, owner, counts):
    """Make the bundle pairs co-occur: the second line becomes the partner, or is added."""
    if not len(catalog.bundles):
        return product, owner
    partner = np.full(len(catalog.popularity), -1)
    partner[catalog.bundles[:, 0]] = catalog.bundles[:, 1]
    partner[catalog.bundles[:, 1]] = catalog.bundles[:, 0]
    starts = np.flatnonzero(group_starts(owner))
    mate = partner[product[starts]]
    paired = (mate >= 0) & (counts >= 2) & (rng.random(len(starts)) < BUNDLE_WITH_SECOND_LINE)
    product[starts[paired] + 1] = mate[paired]
    single = (mate >= 0) & (counts == 1) & (rng.random(len(starts)) < BUNDLE_ADDED)
    added_owner = owner[starts[single]]
    product = np.r_[product, mate[single]]
    owner = np.r_[owner, added_owner]
    order = np.argsort(owner, kind="stable")
    return product[order], owner[order]


def _distinct(rng, product, owner, pick, n_products):
    """One line per product in an order: re-draw repeats, drop those that stay repeats."""
    for _ in range(3):
        key = owner * n_products + product
        order = np.argsort(key, kind="stable")
        product, owner, key = product[order], owner[order], key[order]
        repeat = np.flatnonzero(~group_starts(key))
        if not len(repeat):
            return product, owner
        product[repeat] = pick(rng, len(repeat))
    key = owner * n_products + product
    order = np.argsort(key, kind="stable")
    keep = order[group_starts(key[order])]
    return product[keep], owner[keep]
