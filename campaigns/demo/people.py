"""Demo customers: who they are, when they registered, and how they will buy.

Registrations spread over the two years before ``as_of``, growing threefold (the shop
grows) and following the sales calendar. Each customer carries the two latent traits of
the BG/NBD story, drawn here and used by :mod:`campaigns.demo.orders`: a purchase rate
``rate`` from a gamma distribution (scaled by the acquisition channel's quality) and
whether they ever buy at all (prospects never do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo import reference as ref
from campaigns.demo.tables import NULL, Table, ids, lookup, numbered, text
from campaigns.demo.timeline import DAY, Timeline
from customers.models import Customer

RATE_SHAPE = 2.5  # gamma shape of purchase rates: < 1 gives many light buyers, a few heavy
GROWTH = np.log(3.0)
REFERRED_SHARE_OF_REFERRAL_CHANNEL = 0.85
OPT_IN = 0.88


@dataclass
class People:
    table: Table  # Customer columns known before any order (tier and points come later)
    registered: np.ndarray  # epoch seconds, ascending (ids follow registration order)
    channel: np.ndarray  # acquisition channel index into ref.CHANNELS
    region: np.ndarray  # province names (object array)
    preferred_root: np.ndarray  # root category index they lean to
    rate: np.ndarray  # latent purchase rate (relative; orders.py scales it)
    buyer: np.ndarray  # bool: will ever order
    first_delay: np.ndarray  # seconds from registration to the first order


def generate_people(rng: np.random.Generator, tl: Timeline, n: int) -> People:
    """``n`` customers with their profile columns and latent buying traits."""
    registered = tl.sample(rng, n, tl.intensity(season=0.5, growth=GROWTH))
    customer_ids = ids(n)
    channels = ref.CHANNELS
    share = np.array([c.acquisition_share for c in channels])
    channel = rng.choice(len(channels), n, p=share / share.sum())

    gender = rng.choice(4, n, p=[0.58, 0.35, 0.02, 0.05])
    roots = ref.ROOTS
    female = np.array([r.female_share for r in roots])
    weight = np.array([r.weight for r in roots])
    preferred_root = np.empty(n, dtype=np.int64)
    for g, lean in enumerate(
        [female, 1 - female, np.full(len(roots), 0.5), np.full(len(roots), 0.5)]
    ):
        who = np.flatnonzero(gender == g)
        p = lean * weight
        preferred_root[who] = rng.choice(len(roots), len(who), p=p / p.sum())

    age_days = (rng.triangular(18, 27, 58, n) * 365.25).astype(np.int64)
    birthday = np.where(rng.random(n) < 0.72, (tl.end - DAY) // DAY - age_days, NULL)
    city_share = np.array([c[2] for c in ref.CITIES])
    city = rng.choice(len(ref.CITIES), n, p=city_share / city_share.sum())
    region = lookup([c[1] for c in ref.CITIES], city)

    surname = rng.integers(0, len(ref.SURNAMES), n)
    given = rng.integers(0, len(ref.GIVEN_NAMES), n)
    names = lookup([s[0] for s in ref.SURNAMES], surname) + lookup(
        [g[0] for g in ref.GIVEN_NAMES], given
    )
    emails = (
        lookup([g[1] for g in ref.GIVEN_NAMES], given)
        + "."
        + lookup([s[1] for s in ref.SURNAMES], surname)
        + text(map(str, customer_ids.tolist()))
        + "@"
        + lookup(ref.EMAIL_DOMAINS, rng.integers(0, len(ref.EMAIL_DOMAINS), n))
    )
    emails[rng.random(n) < 0.12] = ""
    phones = text(
        map(
            str,
            (
                np.array(ref.PHONE_PREFIXES)[rng.integers(0, len(ref.PHONE_PREFIXES), n)]
                * 100_000_000
                + rng.integers(0, 100_000_000, n)
            ).tolist(),
        )
    )
    phones[rng.random(n) < 0.07] = ""

    # Referrals: most customers of the referral channel name an earlier customer.
    referral = np.flatnonzero(
        (channel == channel_index("referral"))
        & (rng.random(n) < REFERRED_SHARE_OF_REFERRAL_CHANNEL)
        & (customer_ids > 1)
    )
    referred_by = np.full(n, NULL, dtype=np.int64)
    referred_by[referral] = 1 + np.floor(rng.random(len(referral)) * referral).astype(np.int64)

    rate = rng.gamma(RATE_SHAPE, 1.0, n) * np.array([c.rate_factor for c in channels])[channel]
    buyer = rng.random(n) < np.array([c.buyer_rate for c in channels])[channel]
    # First order: often in the registration session, else days or weeks later. Never
    # sooner than 30 minutes, so the order's browsing session starts after registering.
    u = rng.random(n)
    first_delay = np.where(
        u < 0.45,
        rng.uniform(1800, 7200, n),
        np.where(u < 0.8, rng.exponential(4 * DAY, n), rng.exponential(45 * DAY, n)) + 1800,
    ).astype(np.int64)

    table = Table(
        Customer,
        {
            "id": customer_ids,
            "external_id": numbered("C", customer_ids, 7),
            "name": names,
            "email": emails,
            "phone": phones,
            "gender": lookup(["f", "m", "o", "u"], gender),
            "birthday": birthday,
            "city": lookup([c[0] for c in ref.CITIES], city),
            "region": region,
            "registered_at": registered,
            "acquisition_channel": lookup([c.code for c in channels], channel),
            "is_koc": np.zeros(n, dtype=bool),
            "referred_by_id": referred_by,
            "marketing_opt_in": rng.random(n) < OPT_IN,
            "notes": text([""] * n),
            "created_at": registered,
        },
    )
    return People(
        table=table,
        registered=registered,
        channel=channel,
        region=region,
        preferred_root=preferred_root,
        rate=rate,
        buyer=buyer,
        first_delay=first_delay,
    )


def channel_index(code: str) -> int:
    """Index of the channel with ``code`` in :data:`reference.CHANNELS`."""
    return next(i for i, c in enumerate(ref.CHANNELS) if c.code == code)
