"""Lookups loaded once per import: SKU codes and channel codes to ids.

One query each, held in memory for the whole file (a catalogue of 100,000 SKUs is a few
megabytes), so that no row costs a query.
"""

from __future__ import annotations

from decimal import Decimal

from catalog.models import SKU, Channel


def sku_costs() -> dict[str, tuple[int, Decimal]]:
    """SKU code → (id, current unit cost)."""
    return {
        code: (pk, cost) for code, pk, cost in SKU.objects.values_list("code", "pk", "unit_cost")
    }


def channel_ids() -> dict[str, int]:
    """Channel code, and lower-cased code and name, → id."""
    ids: dict[str, int] = {}
    for pk, code, name in Channel.objects.values_list("pk", "code", "name"):
        ids.setdefault(name.lower(), pk)
        ids[code.lower()] = pk
        ids[code] = pk
    return ids


def channel_codes() -> dict[int, str]:
    return dict(Channel.objects.values_list("pk", "code"))
