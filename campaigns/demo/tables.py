"""Column tables: what the generators hand to the writer.

A :class:`Table` is a model and a dict of equally long columns keyed by field attname
(``customer_id``, not ``customer``). Columns are numpy arrays in the demo's units, which
the writer turns into database text without going through model instances:

- integers and foreign keys: int64, with :data:`NULL` for NULL;
- money (``DecimalField``): int64 **cents**;
- ``DateTimeField``: int64 epoch seconds (UTC); ``DateField``: int64 days since the epoch;
- booleans: bool arrays; text and JSON: object arrays of ``str`` (``None`` for NULL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.db import models

NULL = np.iinfo(np.int64).min


@dataclass
class Table:
    model: type[models.Model]
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def label(self) -> str:
        return self.model._meta.label

    def check(self) -> None:
        """Every column has the same length and names a concrete field of the model."""
        names = {f.attname for f in self.model._meta.concrete_fields}
        n = len(self)
        for name, values in self.columns.items():
            if name not in names:
                raise ValueError(f"{self.label} has no column {name!r}")
            if len(values) != n:
                raise ValueError(f"{self.label}.{name} has {len(values)} values, expected {n}")


class Lazy:
    """A text column built chunk by chunk as it is written (``column[lo:hi]``).

    Millions of Python strings (keys, codes, session ids) would otherwise sit in memory
    for the whole seed; the numbers they are made from are small.
    """

    def __init__(self, n: int, make: Callable[[int, int], np.ndarray]):
        self.n = n
        self.make = make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: slice) -> np.ndarray:
        lo, hi, step = index.indices(self.n)
        if step != 1:
            raise ValueError("lazy columns are read in plain slices")
        return self.make(lo, hi)


def lazy_numbered(prefix: str, numbers: np.ndarray, width: int) -> Lazy:
    """Codes like ``SO000000042`` for ``numbers``, made when written."""
    return Lazy(len(numbers), lambda lo, hi: numbered(prefix, numbers[lo:hi], width))


def ids(n: int) -> np.ndarray:
    """Primary keys 1..n: explicit ids make a seed reproducible and let COPY link rows."""
    return np.arange(1, n + 1, dtype=np.int64)


def text(values) -> np.ndarray:
    """An object array of strings (for text columns)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def repeat_text(value: str, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def lookup(choices, index: np.ndarray) -> np.ndarray:
    """``choices[index]`` as an object array of strings (vectorised string picking)."""
    return text(choices)[index]


def numbered(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Codes such as ``C0000042``: prefix + zero-padded number, as an object array."""
    return text(f"{prefix}{n:0{width}d}" for n in numbers.tolist())


def cents(yuan: np.ndarray) -> np.ndarray:
    """Round amounts in yuan to int64 cents."""
    return np.rint(np.asarray(yuan, dtype=np.float64) * 100).astype(np.int64)


def group_starts(keys: np.ndarray) -> np.ndarray:
    """For keys sorted ascending: True where a new key begins."""
    out = np.ones(len(keys), dtype=bool)
    out[1:] = keys[1:] != keys[:-1]
    return out


def grouped_cumsum(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at each new key (keys sorted ascending)."""
    total = np.cumsum(values)
    first = np.maximum.accumulate(np.where(group_starts(keys), np.arange(len(values)), 0))
    return total - (total - values)[first]


def rank_in_group(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2… within each run of equal keys (keys sorted ascending)."""
    n = len(keys)
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(group_starts(keys), idx, 0))
    return idx - first
