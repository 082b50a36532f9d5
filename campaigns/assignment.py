"""Deterministic arm assignment (pure; no database).

A customer's arm is drawn from a hash of (salt, customer id) — the salt names the campaign
or automation — so the same campaign always splits the same audience the same way: a
re-run, a retried chunk or a resumed launch can never move a customer between arms, and
nobody can game the split. BLAKE2b of the text ``"<salt>:<customer id>"``, first 8 bytes
as an unsigned integer over 2**64, gives a uniform share in [0, 1).

Arms, in order:
1. ``control`` when the holdout draw is below ``holdout_percent``;
2. otherwise, with an experiment, a variant when a second, independent draw is below the
   experiment's ``allocation_percent``; variants share that part by weight;
3. otherwise ``treatment`` (the campaign's own offer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

CONTROL = "control"
TREATMENT = "treatment"
_SCALE = float(2**64)


def share(salt: str, customer_id: int) -> float:
    """A uniform number in [0, 1), fixed for (salt, customer)."""
    digest = hashlib.blake2b(f"{salt}:{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class Split:
    """How an audience is split: the holdout share, and the test part of an experiment."""

    holdout_percent: Decimal | float
    variants: Sequence[tuple[str, Decimal | float]] = ()  # (name, weight)
    allocation_percent: Decimal | float = 100

    def __post_init__(self):
        if not 0 <= float(self.holdout_percent) <= 100:
            raise ValueError(f"holdout_percent must be 0-100, not {self.holdout_percent}")
        if self.variants:
            if not 0 <= float(self.allocation_percent) <= 100:
                raise ValueError(f"allocation_percent must be 0-100, not {self.allocation_percent}")
            weights = [float(w) for _, w in self.variants]
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise ValueError("variant weights must be ≥ 0 and not all 0")
            names = [name for name, _ in self.variants]
            if len(set(names)) != len(names) or {CONTROL, TREATMENT} & set(names):
                raise ValueError('variant names must be unique and not "control" or "treatment"')

    def expected_shares(self) -> dict[str, float]:
        """Each arm's expected share of the audience (for the sample-ratio check)."""
        holdout = float(self.holdout_percent) / 100
        shares = {CONTROL: holdout}
        rest = 1 - holdout
        if self.variants:
            test = rest * float(self.allocation_percent) / 100
            total = sum(float(w) for _, w in self.variants)
            for name, weight in self.variants:
                shares[name] = test * float(weight) / total
            rest -= test
        shares[TREATMENT] = rest
        return {arm: value for arm, value in shares.items() if value > 0}


def arm(salt: str, customer_id: int, split: Split) -> str:
    if share(f"{salt}:holdout", customer_id) < float(split.holdout_percent) / 100:
        return CONTROL
    allocated = float(split.allocation_percent) / 100
    if split.variants and share(f"{salt}:allocation", customer_id) < allocated:
        point = share(f"{salt}:variant", customer_id)
        total = sum(float(w) for _, w in split.variants)
        cumulative = 0.0
        for name, weight in split.variants:
            cumulative += float(weight) / total
            if point < cumulative:
                return name
        return split.variants[-1][0]  # rounding at the very top
    return TREATMENT


def assign(salt: str, customer_ids: Sequence[int], split: Split) -> dict[str, list[int]]:
    """Customers grouped by arm (every arm of the split present, possibly empty)."""
    arms: dict[str, list[int]] = {CONTROL: [], TREATMENT: []}
    for name, _ in split.variants:
        arms[name] = []
    for customer_id in customer_ids:
        arms[arm(salt, customer_id, split)].append(customer_id)
    return arms
