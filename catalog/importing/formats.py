"""Column layouts: how a file's header maps onto an importer's fields.

A :class:`Layout` lists the fields an importer reads in one format (``generic``,
``shopify``, ``online-retail``) and the header spellings of each. Headers match
case-insensitively, ignoring surrounding spaces; in the generic layouts ``-`` and spaces
also count as ``_`` (``Order ID`` → ``order_id``). ``--map SRC=FIELD`` renames any other
export's column ``SRC`` to ``FIELD`` (``SRC=`` ignores a column). Required columns are
checked against the header before a single row is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from catalog.importing.errors import ImportFileError

GENERIC = "generic"
SHOPIFY = "shopify"
ONLINE_RETAIL = "online-retail"
FORMATS = (GENERIC, SHOPIFY, ONLINE_RETAIL)


def normalise(header: str, *, generic: bool) -> str:
    name = header.strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s\-]+", "_", name) if generic else re.sub(r"\s+", " ", name)


@dataclass(frozen=True)
class Layout:
    """The fields one format yields, their header spellings and what is required.

    ``required`` is a list of alternatives per requirement: ``(("total",), ("sku",
    "quantity", "unit_price"))`` means "total, or all of sku, quantity and unit_price".
    ``extras`` says whether unmapped columns are kept (events keep them as properties).
    """

    name: str
    fields: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)
    required: tuple[tuple[tuple[str, ...], ...], ...] = ()
    extras: bool = False

    @property
    def generic(self) -> bool:
        return self.name == GENERIC

    def spelling_to_field(self) -> dict[str, str]:
        spellings = {normalise(f, generic=self.generic): f for f in self.fields}
        spellings.update({normalise(k, generic=self.generic): v for k, v in self.headers.items()})
        return spellings


def generic_layout(
    fields: Sequence[str],
    *,
    required: Sequence[str | tuple[tuple[str, ...], ...]] = (),
    aliases: dict[str, str] | None = None,
    extras: bool = False,
) -> Layout:
    """A generic layout; ``required`` items are field names or tuples of alternatives."""
    needs = tuple(((item,),) if isinstance(item, str) else item for item in required)
    return Layout(GENERIC, tuple(fields), dict(aliases or {}), needs, extras)


@dataclass
class ColumnMap:
    """Where each field sits in the file's rows, and what the header called it."""

    header: list[str]
    positions: dict[str, int]
    ignored: list[str]
    extra_positions: list[tuple[int, str]]

    def source_name(self, field_name: str) -> str:
        position = self.positions.get(field_name)
        return self.header[position] if position is not None else field_name

    def has(self, field_name: str) -> bool:
        return field_name in self.positions

    def as_dict(self) -> dict[str, str]:
        return {
            self.header[i]: name for name, i in sorted(self.positions.items(), key=lambda x: x[1])
        }


def parse_column_map(text: str | Sequence[str] | dict | None) -> dict[str, str]:
    """``"Order No=order_id,Buyer=customer_id"`` (or a list of such) → a dict."""
    if not text:
        return {}
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    items = [text] if isinstance(text, str) else list(text)
    mapping = {}
    for item in items:
        for pair in item.split(","):
            if not pair.strip():
                continue
            source, sep, target = pair.partition("=")
            if not sep or not source.strip():
                raise ImportFileError(
                    f"--map expects SRC=FIELD pairs separated by commas, not {pair.strip()!r}.",
                    code="bad_map",
                )
            mapping[source.strip()] = target.strip()
    return mapping


def resolve_columns(
    header: list[str], layout: Layout, overrides: dict[str, str], *, kind: str
) -> ColumnMap:
    """Match ``header`` to ``layout``; refuse a header that names none of its fields or
    lacks a required one, before any row is read."""
    spellings = layout.spelling_to_field()
    by_header = {h.strip().lower(): i for i, h in enumerate(header)}
    assigned: dict[int, str] = {}
    for source, target in overrides.items():
        index = by_header.get(source.strip().lower())
        if index is None:
            raise ImportFileError(
                f"--map names the column {source!r}, which the header does not have "
                f"(it has: {', '.join(header)}).",
                code="bad_map",
            )
        if target and target not in layout.fields:
            raise ImportFileError(
                f"--map: {target!r} is not a field of {kind} in the {layout.name} format "
                f"(fields: {', '.join(layout.fields)}).",
                code="bad_map",
            )
        assigned[index] = target
    for index, cell in enumerate(header):
        if index not in assigned:
            assigned[index] = spellings.get(normalise(cell, generic=layout.generic), "")
    positions: dict[str, int] = {}
    for index, name in sorted(assigned.items()):
        if not name:
            continue
        if name in positions:
            raise ImportFileError(
                f"The columns {header[positions[name]]!r} and {header[index]!r} are both "
                f"{name}; keep one or rename one with --map.",
                code="duplicate_column",
            )
        positions[name] = index
    if not positions and not layout.extras:
        raise ImportFileError(
            f"The first line is not a header of {kind}: none of its cells "
            f"({', '.join(repr(h) for h in header[:8])}) names a column of the {layout.name} "
            f"format (expected {', '.join(layout.fields[:6])}, ...).",
            code="no_header",
        )
    _check_required(layout, positions, header, kind)
    unmapped = [(i, h) for i, h in enumerate(header) if not assigned.get(i) and h]
    ignored = [] if layout.extras else [h for _, h in unmapped]
    extras = unmapped if layout.extras else []
    return ColumnMap(header, positions, ignored, extras)


def _check_required(layout: Layout, positions: dict, header: list[str], kind: str) -> None:
    missing = []
    for alternatives in layout.required:
        if any(all(f in positions for f in option) for option in alternatives):
            continue
        missing.append(" or ".join(", ".join(option) for option in alternatives))
    if missing:
        raise ImportFileError(
            f"A {kind} file needs the column(s): {'; '.join(missing)}. The header has: "
            f"{', '.join(header)}. Rename a column with --map SRC=FIELD.",
            code="missing_column",
        )
