"""Parsing of cell values: dates, money, integers, booleans (DESIGN §4).

Every parser takes what a reader yields (text, or a native value from an XLSX cell) and
returns a Python value or raises :class:`~catalog.importing.errors.FieldError` with a
reason a person can act on. Empty text is handled by the caller (a blank optional cell).

Dates and times
    ISO 8601 with or without time and zone (``2024-03-01``, ``2024-03-01T09:30``,
    ``2024-03-01 09:30:00+08:00``, ``...Z``), ``YYYYMMDD``, slashes for dashes
    (``2024/03/01 09:30``, as Chinese Excel writes them) and Shopify's
    ``2024-03-01 09:30:00 +0800``. A time without a zone is local time in
    ``settings.TIME_ZONE``; a date alone is midnight local time. The ``online-retail``
    format also reads the UCI file's US style ``12/1/2010 8:26`` (month first).
Money
    ``1234.5``, ``1,234.50``, ``¥1234.50``, ``$1,234.50`` (also ``￥ € £`` and ``RMB``,
    ``CNY``, ``USD`` prefixes or suffixes) → ``Decimal`` rounded half-up to cents.
    Floats never appear: an XLSX number cell goes through ``repr`` to ``Decimal``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

from catalog.importing.errors import FieldError

CENT = Decimal("0.01")
_CURRENCY = re.compile(
    r"^(?:[¥￥$€£]|RMB|CNY|USD|EUR|GBP)\s*|\s*(?:[¥￥$€£元]|RMB|CNY|USD|EUR|GBP)$", re.I
)
_SPACED_OFFSET = re.compile(r"^(.*\d)\s+([+-]\d{2}:?\d{2}|Z|UTC)$")
_US_DATETIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TRUE = {"1", "true", "t", "yes", "y", "是", "x"}
_FALSE = {"0", "false", "f", "no", "n", "否", ""}


def local_zone() -> ZoneInfo:
    return _zone(settings.TIME_ZONE)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_datetime(value: object, *, us_dates: bool = False) -> datetime:
    """An aware datetime; naive input is local time in ``settings.TIME_ZONE``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=local_zone())
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=local_zone())
    return _parse_datetime_text(str(value).strip(), us_dates, settings.TIME_ZONE)


@lru_cache(maxsize=65536)
def _parse_datetime_text(text: str, us_dates: bool, zone_name: str) -> datetime:
    # Cached: the lines of one order, and busy minutes, repeat the same text.
    if len(text) in (10, 19) and text[4] == "-" and text[7] == "-" and not us_dates:
        try:  # the common shapes, 2024-03-01 and 2024-03-01 09:30:00, without the checks below
            return datetime.fromisoformat(text).replace(tzinfo=_zone(zone_name))
        except ValueError:
            pass
    parsed = None
    if us_dates and (match := _US_DATETIME.match(text)):
        month, day, year, hour, minute, second = match.groups()
        try:
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError as exc:
            raise FieldError(f"{text!r} is not a valid date ({exc})", "invalid_date") from None
    else:
        candidate = text
        if len(candidate) >= 10 and candidate[4] == "/" and candidate[7] == "/":
            candidate = candidate[:10].replace("/", "-") + candidate[10:]
        if match := _SPACED_OFFSET.match(candidate):
            candidate = match.group(1) + ("+00:00" if match.group(2) == "UTC" else match.group(2))
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            parsed = None
        if parsed is None or not _looks_like_a_date(candidate):
            raise FieldError(
                f"{text!r} is not a date; use ISO 8601 (2024-03-01 or 2024-03-01T09:30:00+08:00)"
                " or YYYYMMDD",
                "invalid_date",
            )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_zone(zone_name))


def _looks_like_a_date(text: str) -> bool:
    # fromisoformat also accepts week dates and ordinal days ("2024-W10", "2024061");
    # nobody's export means those, so insist on a year-month-day shape.
    head = text[:10]
    return (len(head) == 10 and head[4] == "-" and head[7] == "-") or (
        len(text) >= 8 and text[:8].isdigit() and (len(text) == 8 or text[8] == "T")
    )


def parse_date(value: object) -> date:
    """A calendar date: ISO 8601 (a time part is ignored), ``YYYYMMDD`` or ``YYYY/MM/DD``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError:
        raise FieldError(
            f"{text!r} is not a date; use YYYY-MM-DD or YYYYMMDD", "invalid_date"
        ) from None


def parse_money(value: object) -> Decimal:
    """A money amount as ``Decimal`` with two places; may be negative (callers decide)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = repr(value)
    return _parse_money_text(str(value).strip())


@lru_cache(maxsize=65536)
def _parse_money_text(text: str) -> Decimal:
    cleaned = _CURRENCY.sub("", text).replace(",", "").replace(" ", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = "-" + cleaned[1:-1]
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not cleaned:
        raise FieldError(
            f"{text!r} is not an amount of money (e.g. 1234.5, 1,234.50, ¥1234.50)",
            "invalid_number",
        )
    if abs(amount) >= Decimal("1e12"):
        raise FieldError(f"{text!r} is too large for an amount of money", "invalid_number")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_int(value: object) -> int:
    """A whole number; ``3.0`` (as Excel writes 3) is accepted, ``1.5`` is not."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().replace(",", "")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise FieldError(f"{text!r} is not a whole number", "invalid_number")
    return int(number)


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError(f"{text!r} is not yes/no (use true/false, 1/0, yes/no)", "invalid_value")


def parse_choice(value: str, choices: dict[str, str], what: str) -> str:
    """Map ``value`` (case-insensitive) through ``choices`` (spellings → stored value)."""
    try:
        return choices[value.strip().lower()]
    except KeyError:
        allowed = ", ".join(sorted(set(choices.values())))
        raise FieldError(
            f"{value!r} is not a {what} (one of: {allowed})", "invalid_value"
        ) from None


def choice_spellings(text_choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Stored values and English labels of a ``TextChoices``, lower-cased, plus ``extra``."""
    spellings = {}
    for stored, label in text_choices.choices:
        spellings[str(stored).lower()] = stored
        spellings[str(label).lower()] = stored
    for spelling, stored in (extra or {}).items():
        spellings[spelling.lower()] = stored
    return spellings


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text(value: object, *, limit: int, what: str) -> str:
    """Stripped text no longer than the model allows.

    A leading apostrophe before a formula character is the escape our exports add
    (:mod:`catalog.importing.exports`); it is removed so that a round trip is exact.
    """
    result = value if isinstance(value, str) else str(value)
    if result[:1] == "'" and result[1:2] in FORMULA_STARTS and result[1:2]:
        result = result[1:]
    result = result.strip()
    if len(result) > limit:
        raise FieldError(f"{what} is longer than {limit} characters", "too_long")
    return result


class Memo(dict):
    """Cell text → parsed value, computed once per distinct text (a C-speed dict hit
    for every repeat). ``parse`` raises :class:`FieldError` for a bad value; the memo is
    emptied when it reaches ``limit`` entries so that memory stays bounded."""

    __slots__ = ("limit", "parse")

    def __init__(self, parse, limit: int = 200_000):
        super().__init__()
        self.parse = parse
        self.limit = limit

    def __missing__(self, raw):
        if len(self) >= self.limit:
            self.clear()
        value = self.parse(raw)
        self[raw] = value
        return value


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
