"""Personal data (PII) of customers: who may see it, and how it looks masked.

Email, phone and birthday are PII (``Customer.PII_FIELDS``). Only holders of
``customers.view_pii`` (ops staff and superusers) see them; everyone else — pages,
exports, the admin, the API — sees the masked forms below.
"""

from __future__ import annotations

from datetime import date

MASKED_BIRTHDAY = "****-**-**"


def can_view_pii(user) -> bool:
    return bool(user and user.has_perm("customers.view_pii"))


def mask_email(email: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``; empty stays empty."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    if not at:
        return local[:1] + "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``: the first 3 and last 4 digits stay; short
    numbers keep only their last 2."""
    if not phone:
        return ""
    if len(phone) >= 8:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def mask_birthday(birthday: date | str | None) -> str:
    return MASKED_BIRTHDAY if birthday else ""


def masked_value(field: str, value) -> str:
    """The masked form of a PII field's value."""
    masks = {"email": mask_email, "phone": mask_phone, "birthday": mask_birthday}
    return masks[field](value)
