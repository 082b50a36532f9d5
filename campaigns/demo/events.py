"""Behaviour events: browsing sessions consistent with the orders, plus those that leak.

Every order in the tracked window has its session: a visit, product views (the order's
products and a few others), add-to-cart for each line, checkout, the order event at the
order's creation time and a pay event at its payment time (none for pending or
cancelled orders). For each order, ``ABANDON_PER_ORDER`` more sessions stop earlier —
after the visit, a view, the cart or the checkout — so the funnel leaks at every step;
many of them are anonymous. A session keeps one channel throughout.

``--events K`` is the exact number of events written. They cover the most recent
orders: the window reaches back as far as K allows (tracking logs are kept for a limited
time), and when K exceeds what two years of orders need, more sessions abandon.
"""

from __future__ import annotations

import numpy as np

from analytics.models import Event
from campaigns.demo import reference as ref
from campaigns.demo.catalog import Catalog, pick_skus
from campaigns.demo.lines import Lines
from campaigns.demo.orders import CANCELLED, PENDING, Orders
from campaigns.demo.people import channel_index
from campaigns.demo.tables import (
    NULL,
    Lazy,
    Table,
    ids,
    lazy_numbered,
    lookup,
    numbered,
    rank_in_group,
)
from campaigns.demo.timeline import Timeline

TYPES = (
    "visit",
    "search",
    "product_view",
    "share",
    "add_to_cart",
    "checkout",
    "order",
    "pay",
    "group_join",
)
VISIT, SEARCH, VIEW, SHARE, CART, CHECKOUT, ORDER, PAY, GROUP_JOIN = range(len(TYPES))
ABANDON_PER_ORDER = 7.0
ANONYMOUS = 0.4
ANY_MEMBER = 0.08  # of browsing sessions: a member drawn uniformly (prospects browse too)
# Where abandoning sessions stop: after the visit, a view, the cart, the checkout.
STOP_AT = np.array([0.35, 0.45, 0.14, 0.06])
EXTRA_VIEWS, ABANDON_VIEWS = 1.2, 1.4
SHARE_RATE = 0.04
MEAN_GAP = 45  # seconds between clicks


def _abandon_cost() -> float:
    """Expected events of an abandoning session (visit + views + carts + checkout)."""
    views = 1 + ABANDON_VIEWS
    per_stop = np.array([1, 1 + views, 1 + views + 1.3, 1 + views + 1.3 + 1])
    return float(STOP_AT @ per_stop + SHARE_RATE * (1 - STOP_AT[0]))


def generate_events(
    rng: np.random.Generator,
    tl: Timeline,
    n_events: int,
    registered: np.ndarray,
    acquisition: np.ndarray,
    orders: Orders,
    lines: Lines,
    catalog: Catalog,
) -> Table:
    """Exactly ``n_events`` events (the newest ones), ids in time order."""
    if n_events <= 0:
        return Table(Event, {"id": ids(0)})
    n_lines = np.bincount(lines.order, minlength=len(orders))
    line_start = np.r_[0, np.cumsum(n_lines)[:-1]]
    is_search = orders.channel == channel_index("search")
    extra_views = rng.poisson(EXTRA_VIEWS, len(orders))
    pays = ~np.isin(orders.status, (PENDING, CANCELLED))
    shares = rng.random(len(orders)) < SHARE_RATE
    per_order = 4 + is_search + 2 * n_lines + extra_views + pays + shares
    abandon_cost = _abandon_cost()

    # How far back the window reaches: newest orders first until K is covered.
    cost = per_order + ABANDON_PER_ORDER * abandon_cost
    newest_first = np.cumsum(cost[::-1])
    covered = int(np.searchsorted(newest_first, 1.03 * n_events)) + 1
    first = max(len(orders) - covered, 0)
    ratio = ABANDON_PER_ORDER
    if first == 0:  # K reaches past two years of orders: more sessions leak instead
        spare = 1.03 * n_events - per_order.sum()
        ratio = max(spare / max(len(orders), 1) / abandon_cost, ABANDON_PER_ORDER)
    window_start = int(orders.created[first]) if len(orders) else tl.start
    o = np.arange(first, len(orders))

    n_abandon = round(ratio * max(len(o), 1))
    weights = tl.intensity()
    weights[: max((window_start - tl.start) // 3600, 0)] = 0.0
    a_start = tl.sample(rng, n_abandon, weights)
    stop = rng.choice(4, n_abandon, p=STOP_AT)
    a_views = np.where(stop >= 1, 1 + rng.poisson(ABANDON_VIEWS, n_abandon), 0)
    a_carts = np.where(stop >= 2, np.minimum(1 + rng.poisson(0.3, n_abandon), a_views), 0)
    a_customer = _browsers(rng, registered, orders.customer[o], a_start)
    own = rng.random(n_abandon) < 0.4
    traffic = np.array([c.traffic_share for c in ref.CHANNELS])
    a_channel = rng.choice(len(traffic), n_abandon, p=traffic / traffic.sum())
    a_channel = np.where(own & (a_customer >= 0), acquisition[np.maximum(a_customer, 0)], a_channel)

    # One row per session: counts of each event type, in the order they happen.
    s_order = np.r_[o, np.full(n_abandon, -1)]
    counts = np.zeros((len(s_order), len(TYPES)), dtype=np.int64)
    counts[:, VISIT] = 1
    counts[:, SEARCH] = np.r_[is_search[o], a_channel == channel_index("search")]
    counts[:, VIEW] = np.r_[n_lines[o] + extra_views[o], a_views]
    counts[:, SHARE] = np.r_[shares[o], (a_views > 0) & (rng.random(n_abandon) < SHARE_RATE)]
    counts[:, CART] = np.r_[n_lines[o], a_carts]
    counts[:, CHECKOUT] = np.r_[np.ones(len(o), np.int64), stop == 3]
    counts[:, ORDER] = np.r_[np.ones(len(o), np.int64), np.zeros(n_abandon, np.int64)]
    counts[:, PAY] = np.r_[pays[o], np.zeros(n_abandon, np.int64)]
    s_customer = np.r_[orders.customer[o], a_customer]
    s_channel = np.r_[orders.channel[o], a_channel]

    per_session = counts.sum(axis=1)
    session = np.repeat(np.arange(len(s_order)), per_session)
    kind = np.repeat(np.tile(np.arange(len(TYPES)), len(s_order)), counts.ravel())
    k = rank_in_group(session * len(TYPES) + kind)  # n-th event of its type in the session
    s_first = np.r_[0, np.cumsum(per_session)[:-1]]
    ord_of = s_order[session]
    in_order = ord_of >= 0

    product = np.full(len(session), -1, dtype=np.int64)
    sku = np.full(len(session), -1, dtype=np.int64)
    views = kind == VIEW
    from_line = views & in_order & (k < n_lines[np.maximum(ord_of, 0)])
    line = line_start[np.maximum(ord_of, 0)] + k
    product[from_line] = lines.product[line[from_line]]
    other = np.flatnonzero(views & ~from_line)
    cum = np.cumsum(catalog.popularity)
    product[other] = np.searchsorted(cum, rng.random(len(other)) * cum[-1], side="right")
    first_view = s_first + counts[:, VISIT] + counts[:, SEARCH]
    shared = kind == SHARE
    product[shared] = product[first_view[session[shared]]]
    carts = kind == CART
    order_carts = carts & in_order
    sku[order_carts] = lines.sku[line[order_carts]]
    product[order_carts] = lines.product[line[order_carts]]
    free_carts = np.flatnonzero(carts & ~in_order)
    product[free_carts] = product[first_view[session[free_carts]] + k[free_carts]]
    sku[free_carts] = pick_skus(rng, catalog, product[free_carts])

    # Times: clicks MEAN_GAP apart; an order session is anchored on the order's time.
    gap = np.maximum(5, rng.exponential(MEAN_GAP, len(session))).astype(np.int64)
    gap[s_first] = 0
    offset = np.cumsum(gap)
    offset -= offset[s_first][session]
    at = np.empty(len(session), dtype=np.int64)
    order_event = np.flatnonzero(kind == ORDER)
    anchor = np.r_[orders.created[o] - offset[order_event], a_start]
    at[:] = anchor[session] + offset
    pay = np.flatnonzero(kind == PAY)
    paid_at = orders.paid_at[ord_of[pay]]
    at[pay] = np.where(paid_at != NULL, paid_at, at[pay] - gap[pay] + 60)
    at = np.minimum(at, tl.end - 1)

    # What the properties JSON will name: the order's id, or a search query.
    detail = np.full(len(session), -1, dtype=np.int64)
    for t in (ORDER, PAY):
        rows = np.flatnonzero(kind == t)
        detail[rows] = ord_of[rows] + 1
    rows = np.flatnonzero(kind == SEARCH)
    detail[rows] = rng.integers(0, len(ref.SEARCH_QUERIES), len(rows))

    # The newest n_events, padded with bounce visits if the sessions fell short.
    keep = np.argsort(at, kind="stable")[-n_events:]
    session, kind, product, sku, at, detail = (
        a[keep] for a in (session, kind, product, sku, at, detail)
    )
    customer = s_customer[session]
    channel = s_channel[session]
    short = n_events - len(at)
    if short > 0:
        session = np.r_[session, len(s_order) + np.arange(short)]
        kind = np.r_[kind, np.full(short, VISIT)]
        product = np.r_[product, np.full(short, -1)]
        sku = np.r_[sku, np.full(short, -1)]
        at = np.r_[at, tl.sample(rng, short, weights)]
        detail = np.r_[detail, np.full(short, -1)]
        customer = np.r_[customer, np.full(short, -1)]
        channel = np.r_[channel, rng.choice(len(traffic), short, p=traffic / traffic.sum())]
    by_time = np.argsort(at, kind="stable")
    session, kind, product, sku, at, detail, customer, channel = (
        a[by_time] for a in (session, kind, product, sku, at, detail, customer, channel)
    )
    # Session ids numbered by first appearance, so they read in time order too.
    unique, first_seen = np.unique(session, return_index=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(1, len(first_seen) + 1)
    session_no = rank[np.searchsorted(unique, session)]
    return Table(
        Event,
        {
            "id": ids(len(at)),
            "customer_id": np.where(customer >= 0, customer + 1, NULL),
            "session_id": lazy_numbered("S", session_no, 9),
            "type": lookup(TYPES, kind),
            "product_id": np.where(product >= 0, product + 1, NULL),
            "sku_id": np.where(sku >= 0, sku + 1, NULL),
            "channel_id": channel + 1,
            "occurred_at": at,
            "properties": Lazy(len(at), lambda lo, hi: _properties(kind, detail, lo, hi)),
        },
    )


def _properties(kind: np.ndarray, detail: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The JSON properties of events lo..hi: the order of order and pay events, the
    query of searches, ``{}`` otherwise."""
    kind, detail = kind[lo:hi], detail[lo:hi]
    out = np.full(hi - lo, "{}", dtype=object)
    rows = np.flatnonzero(np.isin(kind, (ORDER, PAY)))
    out[rows] = '{"order": "' + numbered("SO", detail[rows], 9) + '"}'
    rows = np.flatnonzero(kind == SEARCH)
    out[rows] = '{"query": "' + lookup(ref.SEARCH_QUERIES, detail[rows]) + '"}'
    return out


def _browsers(rng, registered: np.ndarray, order_customers: np.ndarray, start: np.ndarray):
    """Who browses without buying: anonymous (−1), mostly customers who buy in the
    window (people who buy also browse), sometimes any member registered by then."""
    n = len(start)
    who = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    buyer = (u >= ANONYMOUS) & (u < 1 - ANY_MEMBER) & (len(order_customers) > 0)
    if len(order_customers):
        who[buyer] = order_customers[rng.integers(0, len(order_customers), buyer.sum())]
    members = np.searchsorted(registered, start, side="right")
    anyone = (u >= 1 - ANY_MEMBER) & (members > 0)
    who[anyone] = np.floor(rng.random(anyone.sum()) * members[anyone]).astype(np.int64)
    # A buyer drawn for a session before they registered browses anonymously instead.
    who[(who >= 0) & (registered[np.maximum(who, 0)] > start)] = -1
    return who
