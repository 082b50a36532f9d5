"""Column values as database text, in bulk.

Per column, not per row: integers through ``map(str, ...)``, cents through a lookup of
the 100 possible fractions, timestamps as a day string plus one of the 86,400 times of
day. That is 5-10× faster than formatting row by row, and the writer only has to join.
PostgreSQL gets COPY text (``\\N`` for NULL, timestamps with ``+00``); other databases get
Python values for ``executemany`` (``None`` for NULL, timestamps as naive UTC text, as
Django stores them on SQLite).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
from django.db import models

from campaigns.demo.tables import NULL

_EPOCH = date(1970, 1, 1)
_SPECIAL = ("\\", "\t", "\n", "\r")


@cache
def _times_of_day(suffix: str) -> np.ndarray:
    """'HH:MM:SS' + suffix for every second of a day."""
    s = np.arange(86400)
    return np.array(
        [
            f"{h:02d}:{m:02d}:{x:02d}{suffix}"
            for h, m, x in zip(s // 3600, s // 60 % 60, s % 60, strict=True)
        ],
        dtype=object,
    )


@cache
def _fractions(places: int) -> np.ndarray:
    return np.array([f".{i:0{places}d}" for i in range(10**places)], dtype=object)


def _days(first: int, last: int, suffix: str = "") -> np.ndarray:
    return np.array(
        [(_EPOCH + timedelta(days=d)).isoformat() + suffix for d in range(first, last + 1)],
        dtype=object,
    )


def field_kind(field: models.Field) -> tuple[str, int]:
    """How a model field's column is formatted: (kind, decimal places)."""
    kind = field.get_internal_type()
    if kind == "DecimalField":
        return "decimal", field.decimal_places
    if kind in {"DateTimeField", "DateField", "BooleanField", "FloatField"}:
        return {"DateTimeField": "datetime", "DateField": "date", "BooleanField": "bool"}.get(
            kind, "float"
        ), 0
    if kind in {"CharField", "TextField", "SlugField", "EmailField", "JSONField", "URLField"}:
        return "text", 0
    return "int", 0


def format_column(values, kind: str, places: int, *, postgres: bool) -> list:
    """One column (a numpy array in the :mod:`tables` units) as a list of database values."""
    null = "\\N" if postgres else None
    if kind == "text":
        return _text(values, null, postgres)
    if kind == "bool":
        return np.where(values, "t", "f").tolist() if postgres else values.astype(int).tolist()
    if kind == "float":
        return list(map(repr, values.tolist()))
    mask = values == NULL
    safe = np.where(mask, 0, values)
    if kind == "int":
        if not postgres:
            out = safe.astype(object)
        else:
            out = np.array(list(map(str, safe.tolist())), dtype=object)
    elif kind == "decimal":
        if (safe < 0).any():
            raise ValueError("the demo generates no negative amounts")
        scale = 10**places
        whole = np.array(list(map(str, (safe // scale).tolist())), dtype=object)
        if places <= 3:
            out = whole + _fractions(places)[safe % scale]
        else:
            out = whole + np.array(
                [f".{f:0{places}d}" for f in (safe % scale).tolist()], dtype=object
            )
    elif kind == "datetime":
        day, second = np.divmod(safe, 86400)
        first = int(day.min()) if len(day) else 0
        days = _days(first, int(day.max()) if len(day) else 0, " ")
        out = days[day - first] + _times_of_day("+00" if postgres else "")[second]
    elif kind == "date":
        first = int(safe.min()) if len(safe) else 0
        out = _days(first, int(safe.max()) if len(safe) else 0)[safe - first]
    else:
        raise ValueError(f"unknown column kind {kind!r}")
    if mask.any():
        out[mask] = null
    return out.tolist()


def _text(values, null, postgres: bool) -> list:
    out = values.tolist()
    if not postgres:
        return out
    # Generated text never holds COPY's special characters; check in one pass anyway.
    joined = "".join(v for v in out if v is not None)
    if any(c in joined for c in _SPECIAL):
        out = [None if v is None else _escape(v) for v in out]
    if None in out:
        out = [null if v is None else v for v in out]
    return out


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )
