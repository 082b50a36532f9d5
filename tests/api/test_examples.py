"""The OpenAPI schema's examples: every operation carries them (a request example where it
takes a body, a response example for each 2xx answer with content), each one fits the
schema it illustrates, and their PII is fake."""

import json

import pytest
from django.core.management import CommandError, call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft202012Validator

from ecomops.api.examples import FAKE_EMAIL_DOMAINS, FAKE_PHONE, example_value
from tests import factories as f

METHODS = ("get", "post", "put", "patch", "delete")
# OpenAPI 3.0 keywords that are not JSON Schema assertions (or, for nullable, are not
# JSON Schema at all: it becomes "or null" below).
ANNOTATIONS = {"nullable", "readOnly", "writeOnly", "example", "deprecated", "discriminator"}


@pytest.fixture(scope="module")
def schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def examples_of(operation):
    """(where, schema, example value) for every request and response example."""
    body = operation.get("requestBody", {}).get("content", {})
    for media_type, content in body.items():
        for name, example in content.get("examples", {}).items():
            yield f"request {media_type} {name}", content["schema"], example["value"]
    for status, response in operation["responses"].items():
        for media_type, content in response.get("content", {}).items():
            for name, example in content.get("examples", {}).items():
                yield f"{status} {media_type} {name}", content["schema"], example["value"]


def json_schema(schema):
    """An OpenAPI 3.0 schema as JSON Schema 2020-12; objects with declared properties
    accept no others, so a misspelt field name in an example fails."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {}
    for key, value in schema.items():
        if key in ANNOTATIONS:
            continue
        if key == "properties":
            converted[key] = {name: json_schema(field) for name, field in value.items()}
        elif key in ("enum", "required", "default"):
            converted[key] = value
        else:
            converted[key] = json_schema(value)
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    return {"anyOf": [converted, {"type": "null"}]} if schema.get("nullable") else converted


def test_every_operation_carries_examples(schema):
    missing, exemplified, total = [], 0, 0
    for name, operation in operations(schema):
        total += 1
        wanted = []
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            wanted.append((f"request {media_type}", content))
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                for media_type, content in response.get("content", {}).items():
                    wanted.append((f"{status} {media_type}", content))
        # Swagger UI offers one form per operation for every media type; JSON is the one
        # that needs an example (forms are the same fields).
        wanted = [(where, c) for where, c in wanted if where.endswith("application/json")]
        missing += [f"{name}: {where}" for where, content in wanted if not content.get("examples")]
        exemplified += any(True for _ in examples_of(operation))
    assert missing == []
    # Only the two DELETEs (204, no body either way) have nothing to show.
    assert (exemplified, total) == (93, 95)


def test_every_example_fits_its_schema(schema):
    components = {"schemas": json_schema(schema["components"]["schemas"])}
    failures, checked = [], 0
    for name, operation in operations(schema):
        for where, part, value in examples_of(operation):
            validator = Draft202012Validator(
                {**json_schema(part), "components": components},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            failures += [
                f"{name} {where}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                for e in validator.iter_errors(value)
            ]
            checked += 1
    assert failures == [], "\n".join(failures)
    assert checked > 100


def test_example_pii_is_fake(schema):
    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "phone":
                    assert item in ("", FAKE_PHONE) or "*" in item, item
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, str) and "@" in value and "{{" not in value:
            yield value

    for _, operation in operations(schema):
        for _, _, value in examples_of(operation):
            for text in walk(value):
                assert text.rpartition("@")[2] in FAKE_EMAIL_DOMAINS, text


def test_example_values_are_cut_short_and_lose_their_pii():
    recorded = {"rows": list(range(10)), "customer": {
        "email": "someone@gmail.com", "phone": "13912345678", "items": [{"phone": "1"}] * 5}}  # fmt: skip
    assert example_value(recorded) == {"rows": [0, 1, 2], "customer": {
        "email": "customer@example.com", "phone": FAKE_PHONE,
        "items": [{"phone": FAKE_PHONE}] * 3}}  # fmt: skip
    assert example_value({"email": "li.na@example.org", "phone": ""}) == {
        "email": "li.na@example.org", "phone": ""}  # fmt: skip


@pytest.mark.django_db
def test_the_recorder_records_what_the_data_has_and_changes_nothing(tmp_path):
    from campaigns.models import Experiment
    from ecomops.models import ApiKey, WebhookSubscription

    f.CustomerFactory(external_id="C-1", phone="13912345678")
    f.CouponTemplateFactory(pk=7), f.CouponTemplateFactory(pk=8)  # the experiment example's
    output = tmp_path / "examples.json"
    with pytest.raises(CommandError, match="not recorded"):  # factories make no scores etc.
        call_command("record_api_examples", "--output", str(output))
    recorded = json.loads(output.read_text())
    assert recorded["customers_list"]["external_id"] == "C-1"
    assert recorded["customers_retrieve"]["phone"] == FAKE_PHONE
    assert recorded["experiments_retrieve"]["variants"][0]["name"] == "A"
    assert recorded["webhooks_list"]["url"].startswith("https://crm.example.com/")
    assert not Experiment.objects.exists() and not WebhookSubscription.objects.exists()
    assert not ApiKey.objects.exists()
