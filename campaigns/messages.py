"""Message templates written by ops staff: ``{{ placeholder }}`` and plain text (pure).

Only the placeholders below exist; anything else in braces is refused when the campaign
is saved or launched, with the name of the unknown placeholder, so a typo never reaches a
customer as ``{{ coupn_code }}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = {
    "name": "the customer's name (or 'there' when unknown)",
    "tier": "the customer's membership tier",
    "coupon_code": "the personal coupon code",
    "coupon_expires": "the coupon's expiry date",
    "offer": "what the coupon gives, e.g. '50 off orders of 99 or more'",
    "products": "up to three recommended products",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def validate_message(text: str) -> None:
    unknown = unknown_placeholders(text)
    if unknown:
        known = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {', '.join(unknown)}; use {known}")


def render(text: str, context: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (empty when missing)."""
    return _PLACEHOLDER.sub(lambda match: str(context.get(match.group(1), "")), text)
