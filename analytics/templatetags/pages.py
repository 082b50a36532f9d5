"""Formatting for page tables and cards: ``{{ value|cell:"percent" }}``."""

from __future__ import annotations

import math
from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from customers.pii import masked_value

register = template.Library()

MISSING = "—"


@register.filter
def cell(value, kind: str = "text"):
    """A value as the page shows it: numbers grouped, money with 2 decimals, shares as
    percentages, NaN and None as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"
    if kind == "money":
        return intcomma(f"{Decimal(str(value)).quantize(Decimal('0.01')):f}")
    if kind == "int":
        return intcomma(round(float(value)))
    if kind == "number":
        number = float(value)
        return intcomma(f"{number:.2f}") if abs(number) < 1000 else intcomma(round(number))
    if kind == "date" and hasattr(value, "year"):
        return date_format(value, "Y-m-d")
    return value


@register.filter
def get(mapping, key):
    """``{{ row|get:column.key }}``"""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def change_class(value) -> str:
    """``up``, ``down`` or ``flat`` for a relative change (for colouring)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "flat"
    return "up" if value > 0 else "down" if value < 0 else "flat"


@register.filter
def heat(value, maximum) -> str:
    """An inline background for a heatmap cell: the share of ``maximum`` as opacity."""
    try:
        share = max(0.0, min(1.0, float(value) / float(maximum)))
    except (TypeError, ValueError, ZeroDivisionError):
        return ""
    if math.isnan(share):
        return ""
    return f"background: rgba(37, 99, 235, {0.08 + 0.8 * share:.2f}); color: {'#fff' if share > 0.55 else 'inherit'}"


@register.filter
def mask(value, pii_field: str):
    """A PII value as users without ``customers.view_pii`` see it."""
    return masked_value(pii_field, value) if value else value


@register.simple_tag
def table_body(table, can_view_pii: bool):
    """The rows of a page table as HTML: each cell formatted by its column's kind (a link
    column links to the row's ``url``; a PII column is masked without ``view_pii``).
    Built in one loop rather than with template tags per cell: a table of a few hundred
    rows rendered cell by cell took most of a report page's time."""
    parts = []
    columns = [(c.key, c.kind, c.pii if not can_view_pii else None) for c in table.columns]
    for row in table.rows:
        parts.append("<tr>")
        for key, kind, pii in columns:
            value = row.get(key)
            if kind == "link":
                parts.append(
                    f'<td><a href="{conditional_escape(row.get("url") or "")}">'
                    f"{conditional_escape(value)}</a></td>"
                )
            elif pii:
                parts.append(f'<td class="masked">{conditional_escape(mask(value, pii))}</td>')
            else:
                parts.append(f'<td class="{kind}">{conditional_escape(cell(value, kind))}</td>')
        parts.append("</tr>\n")
    return mark_safe("".join(parts))  # every value above is escaped
