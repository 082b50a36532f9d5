"""When each customer buys: the BG/NBD story, simulated for everyone at once.

A buyer's first order follows registration by minutes to weeks. After every order the
customer drops out for good with probability ``p`` (drawn per customer from a beta
distribution), so the number of orders they would place given unlimited time is
geometric; while alive, orders arrive as a Poisson process with the customer's gamma
distributed rate. Time runs on the calendar's *warped* clock (:mod:`timeline`), so the
same Poisson process yields evening peaks, weekends and Double 11.

The requested number of orders is hit exactly, without a loop over customers: with the
random draws fixed, whether a potential repeat order ``j`` lands before ``as_of`` depends
on one scale ``s`` of all rates through ``x_j = C_j / ((τ_end − τ_first) · rate)``
(``C_j`` the customer's cumulative unit-exponential gaps): it lands iff ``x_j < s``. So
``s`` is the (orders − first orders)-th smallest ``x`` (``np.partition``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo import reference as ref
from campaigns.demo.people import People
from campaigns.demo.tables import NULL, Table, grouped_cumsum, ids, lazy_numbered, lookup
from campaigns.demo.timeline import DAY, HOUR, Timeline
from catalog.models import Order, OrderLine

DROPOUT_A = 1.6  # beta(a, b) of the dropout probability; b is fitted to the volume asked
POTENTIAL_FACTOR = 3.0  # potential repeat orders drawn per repeat order needed
MAX_REPEATS = 150
WIN_BACK_SHARE = 0.005  # of buyers: dormant customers reactivated in the last 28 days

FREE_SHIPPING_FROM = 9900
SHIPPING_FEE = 800

STATUSES = ("pending", "paid", "shipped", "completed", "cancelled", "refunded")
PENDING, PAID, SHIPPED, COMPLETED, CANCELLED, REFUNDED = range(6)
PAID_CODES = (PAID, SHIPPED, COMPLETED)


@dataclass
class Orders:
    """Orders sorted by creation time (ids 1..n follow that order)."""

    customer: np.ndarray  # customer index (id − 1)
    created: np.ndarray  # epoch seconds
    paid_at: np.ndarray  # epoch seconds or NULL
    status: np.ndarray  # index into STATUSES
    channel: np.ndarray  # index into ref.CHANNELS
    first: np.ndarray  # bool: the customer's first order

    def __len__(self) -> int:
        return len(self.created)

    @property
    def is_paid(self) -> np.ndarray:
        return np.isin(self.status, PAID_CODES)


def purchase_times(
    rng: np.random.Generator, tl: Timeline, people: People, n_orders: int
) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, created) of exactly ``n_orders`` orders, sorted by time."""
    first_at = people.registered + people.first_delay
    buyers = np.flatnonzero(people.buyer & (first_at < tl.end))
    if len(buyers) > n_orders:  # cannot happen when orders ≥ customers; stay safe anyway
        buyers = np.sort(rng.choice(buyers, n_orders, replace=False))
    needed = n_orders - len(buyers)

    cum = np.cumsum(tl.intensity())
    tau_first = tl.warp(first_at[buyers], cum)
    tau_end = cum[-1]
    rate = people.rate[buyers]
    owner = np.empty(0, dtype=np.int64)
    # b of the dropout beta grows until the potential repeat orders (geometric counts)
    # outnumber the needed ones POTENTIAL_FACTOR times: then time, not dropout, decides
    # which of them happen, and both churned and loyal customers appear.
    b = 0.5
    while needed:
        p = rng.beta(DROPOUT_A, b, len(buyers))
        repeats = np.minimum(rng.geometric(p) - 1, MAX_REPEATS)
        if repeats.sum() >= POTENTIAL_FACTOR * needed or b > 1e6:
            break
        b *= 1.25
    if needed:
        owner = np.repeat(np.arange(len(buyers)), repeats)
        gaps = grouped_cumsum(rng.standard_exponential(len(owner)), owner)
        x = gaps / ((tau_end - tau_first[owner]) * rate[owner])
        chosen = np.argpartition(x, needed - 1)[:needed]
        scale = x[chosen].max() * (1 + 1e-9)
        tau = tau_first[owner[chosen]] + gaps[chosen] / (rate[owner[chosen]] * scale)
        repeat_at = np.maximum(tl.unwarp(tau, cum), first_at[buyers][owner[chosen]] + HOUR)
        repeat_customer = buyers[owner[chosen]]
        repeat_customer, repeat_at = _win_back(
            rng, tl, first_at, buyers, repeat_customer, repeat_at, x[chosen]
        )
    else:
        repeat_at = repeat_customer = np.empty(0, dtype=np.int64)
    customer = np.r_[buyers, repeat_customer]
    created = np.minimum(np.r_[first_at[buyers], repeat_at], tl.end - 1)
    order = np.lexsort((customer, created))
    return customer[order], created[order]


def _win_back(rng, tl, first_at, buyers, customer, created, x):
    """Turn the last few repeat orders (the highest ``x``) into win-back orders.

    Dormant customers (no order for 125+ days) come back in the last 28 days, as win-back
    campaigns make them do, so the *won back* lifecycle stage is never empty.
    """
    wanted = max(2, round(WIN_BACK_SHARE * len(buyers)))
    marginal = np.argsort(x, kind="stable")[-wanted:] if len(x) > wanted else np.arange(0)
    keep = np.ones(len(customer), dtype=bool)
    keep[marginal] = False
    last = np.full(len(first_at), -1, dtype=np.int64)
    last[buyers] = first_at[buyers]
    np.maximum.at(last, customer[keep], created[keep])
    dormant = np.flatnonzero((last >= 0) & (last < tl.end - 125 * DAY))
    n = min(len(marginal), len(dormant))
    if n == 0:
        return customer, created
    weights = tl.intensity()
    weights[tl.day < len(tl.days) - 28] = 0.0
    keep[marginal[n:]] = True
    back = np.sort(rng.choice(dormant, n, replace=False))
    return (
        np.r_[customer[keep], back],
        np.r_[created[keep], rng.permutation(tl.sample(rng, n, weights))],
    )


def _every_status(status: np.ndarray, age: np.ndarray) -> None:
    """A small shop may draw no order in some status: give that status to the newest
    order young enough to hold it (or, for cancelled and refunded, to a middle-aged
    completed one), never taking the last order of another status."""
    if len(status) < len(STATUSES) * 2:
        return
    for code, max_age in (
        (PAID, 4 * DAY),
        (SHIPPED, 10 * DAY),
        (PENDING, DAY),
        (REFUNDED, None),
        (CANCELLED, None),
    ):
        if (status == code).any():
            continue
        spare = np.bincount(status, minlength=len(STATUSES))[status] > 1
        if max_age is None:
            completed = np.flatnonzero(spare & (status == COMPLETED))
            status[completed[len(completed) // 2]] = code
        else:
            young = np.flatnonzero(spare & (age < max_age))
            status[young[-1] if len(young) else np.flatnonzero(spare)[-1]] = code


def generate_orders(
    rng: np.random.Generator, tl: Timeline, people: People, n_orders: int
) -> Orders:
    """Orders with their status, payment time and channel (amounts come with the lines)."""
    customer, created = purchase_times(rng, tl, people, n_orders)
    n = len(created)
    first = np.zeros(n, dtype=bool)
    first[np.unique(customer, return_index=True)[1]] = True

    age = tl.end - created
    u = rng.random(n)
    status = np.full(n, COMPLETED, dtype=np.int64)
    status[age < 10 * DAY] = np.where(rng.random((age < 10 * DAY).sum()) < 0.35, SHIPPED, COMPLETED)
    status[age < 4 * DAY] = np.where(rng.random((age < 4 * DAY).sum()) < 0.85, SHIPPED, PAID)
    status[age < DAY] = PAID
    status[(age < DAY) & (u < 0.12)] = PENDING  # unpaid orders expire after a day
    status[u > 0.955] = CANCELLED
    status[(u > 0.94) & (u <= 0.955) & (age >= DAY)] = REFUNDED

    _every_status(status, age)
    paid = np.isin(status, PAID_CODES)
    delay = np.clip(rng.lognormal(np.log(90), 0.9, n), 5, 1800).astype(np.int64)
    paid_at = np.where(paid, np.minimum(created + delay, tl.end - 1), NULL)

    acquired = people.channel[customer]
    mix_codes = [c.code for c in ref.CHANNELS]
    mix = np.array([ref.REPEAT_CHANNEL_MIX[c] for c in mix_codes])
    other = rng.choice(len(mix), n, p=mix / mix.sum())
    keep = np.where(first, 0.8, ref.REPEAT_SAME_CHANNEL)
    channel = np.where(rng.random(n) < keep, acquired, other)
    return Orders(
        customer=customer,
        created=created,
        paid_at=paid_at,
        status=status,
        channel=channel,
        first=first,
    )


@dataclass
class Totals:
    """Per-order amounts in cents."""

    goods: np.ndarray
    line_discount: np.ndarray
    discount: np.ndarray
    shipping: np.ndarray
    paid: np.ndarray
    logistics: np.ndarray
    units: np.ndarray


def net_goods(n_orders: int, line_order, gross, line_discount) -> np.ndarray:
    """Goods after line discounts, per order (what coupon thresholds look at)."""
    goods = np.bincount(line_order, weights=gross, minlength=n_orders)
    off = np.bincount(line_order, weights=line_discount, minlength=n_orders)
    return np.rint(goods - off).astype(np.int64)


def order_totals(
    rng: np.random.Generator, orders: Orders, lines, order_discount: np.ndarray, remote: np.ndarray
) -> Totals:
    """goods = Σ qty × unit price; discount = Σ line discounts + the order-level coupon;
    paid = goods − discount + shipping (8.00 below 99 after discounts, else free)."""
    n = len(orders)
    goods = np.rint(np.bincount(lines.order, weights=lines.gross, minlength=n)).astype(np.int64)
    line_discount = np.rint(np.bincount(lines.order, weights=lines.discount, minlength=n)).astype(
        np.int64
    )
    discount = line_discount + order_discount
    shipping = np.where(goods - discount >= FREE_SHIPPING_FROM, 0, SHIPPING_FEE)
    units = np.bincount(lines.order, weights=lines.quantity, minlength=n).astype(np.int64)
    logistics = (
        600
        + 150 * np.minimum(units - 1, 10)
        + np.where(remote[orders.customer], 800, 0)
        + rng.integers(0, 200, n)
    )
    return Totals(
        goods=goods,
        line_discount=line_discount,
        discount=discount,
        shipping=shipping,
        paid=goods - discount + shipping,
        logistics=logistics,
        units=units,
    )


def order_table(orders: Orders, totals: Totals, region: np.ndarray, tl: Timeline) -> Table:
    """The Order rows (ids 1..n in creation order; external ids like SO000000042)."""
    n = len(orders)
    order_ids = ids(n)
    # The row last changed when it was paid, shipped or completed: a few days on.
    settled = np.where(orders.paid_at != NULL, orders.paid_at, orders.created)
    step = np.select([orders.status == COMPLETED, orders.status == SHIPPED], [7 * DAY, 2 * DAY], 0)
    return Table(
        Order,
        {
            "id": order_ids,
            "external_id": lazy_numbered("SO", order_ids, 9),
            "customer_id": orders.customer + 1,
            "channel_id": orders.channel + 1,
            "status": lookup(STATUSES, orders.status),
            "created_at": orders.created,
            "paid_at": orders.paid_at,
            "goods_total": totals.goods,
            "discount_total": totals.discount,
            "shipping_total": totals.shipping,
            "paid_total": totals.paid,
            "shipping_region": region[orders.customer],
            "logistics_cost": totals.logistics,
            "updated_at": np.minimum(settled + step, tl.end - 1),
        },
    )


def line_table(lines) -> Table:
    """The OrderLine rows (ids 1..n, grouped by order)."""
    return Table(
        OrderLine,
        {
            "id": ids(len(lines)),
            "order_id": lines.order + 1,
            "sku_id": lines.sku + 1,
            "quantity": lines.quantity,
            "unit_price": lines.unit_price,
            "unit_cost": lines.unit_cost,
            "discount": lines.discount,
        },
    )
