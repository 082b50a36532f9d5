"""The OpenAPI response examples of the GET operations, recorded from the demo data.

``examples.json`` maps an operation id (``customers_list``, ``campaigns_report_retrieve``)
to the body a real request answered; for a list, its first item (drf-spectacular wraps it
in the page). ``manage.py record_api_examples`` writes the file (``make api-examples``
records it from a fresh demo database); ``ExampleSchema`` attaches it. Request bodies and
the answers to writes are written by hand next to their views, with
``extend_schema(examples=[OpenApiExample(...)])``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from drf_spectacular.utils import OpenApiExample

RECORDED_FILE = Path(__file__).with_name("examples.json")
RECORDED_SUMMARY = "recorded from the demo data"
# Recorded PII is the demo's fake data; phones are replaced all the same (an 11-digit
# demo number could be someone's), e-mails are kept only on the reserved example domains.
FAKE_PHONE = "13800000000"
FAKE_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
FAKE_EMAIL = "customer@example.com"


@cache
def recorded() -> dict[str, object]:
    if not RECORDED_FILE.exists():
        return {}
    return json.loads(RECORDED_FILE.read_text(encoding="utf-8"))


def recorded_examples(operation_id: str) -> list[OpenApiExample]:
    if operation_id not in recorded():
        return []
    return [
        OpenApiExample(
            "recorded",
            summary=RECORDED_SUMMARY,
            value=recorded()[operation_id],
            response_only=True,
        )
    ]


def example_value(value, *, max_items: int = 3):
    """A recorded body made fit for the schema: lists cut to ``max_items``, phones and
    e-mails (at any depth) replaced by obviously fake ones."""
    if isinstance(value, list):
        return [example_value(item, max_items=max_items) for item in value[:max_items]]
    if not isinstance(value, dict):
        return value
    fitted = {key: example_value(item, max_items=max_items) for key, item in value.items()}
    if fitted.get("phone"):
        fitted["phone"] = FAKE_PHONE
    email = fitted.get("email")
    if email and email.rpartition("@")[2] not in FAKE_EMAIL_DOMAINS:
        fitted["email"] = FAKE_EMAIL
    return fitted
