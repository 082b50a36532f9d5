"""Record the response example of every GET operation of the API from this database (the
demo data) into ``ecomops/api/examples.json``.

Lists come first: a detail path is filled in from its list's first item (``/customers/``
→ ``/customers/C0000400/``). What the demo data lacks (an experiment, a webhook
subscription and one delivery) is created through the operations' own request examples
first; everything is rolled back, so the database is left as it was.
"""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from analytics.models import DailyKPI, Recommendation
from campaigns.models import Redemption
from ecomops.api.examples import RECORDED_FILE, example_value
from ecomops.services import api_key_create
from ecomops.webhooks import webhook_emit

PARAM = re.compile(r"\{(\w+)\}")
# Detail paths with no list of their own: where their first value comes from.
PARENT_LIST = {"/api/v1/group-reports/": "/api/v1/groups/"}
# Lists whose first item by default shows less than a typical one (a prospect without a
# score's segment): the query that picks a typical one.
LIST_QUERY = {"/api/v1/scores/": {"r_score__gte": 1}}
# Detail paths whose list does not show the value: from the database.
LOOKUPS = {
    # a customer with recommendations (not every customer has them)
    "/api/v1/recommendations/": lambda: {"customer": Recommendation.objects.order_by(
        "customer_id").values_list("customer__external_id", flat=True).first()},
    # the KPI list shows no ids; its first row is the newest
    "/api/v1/kpis/": lambda: {"id": DailyKPI.objects.order_by("-id").values_list(
        "pk", flat=True).first()},
}  # fmt: skip


class Command(BaseCommand):
    help = "Record the OpenAPI response examples of the GET operations from this database."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(RECORDED_FILE), help="default: %(default)s")

    def handle(self, *args, **options):
        with transaction.atomic():
            schema = SchemaGenerator().get_schema(request=None, public=True)
            client = APIClient()
            _, key = api_key_create(name="OpenAPI examples", scopes=["read", "write", "pii"])
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
            _create_what_the_demo_lacks(client, schema)
            examples, missing = _record_gets(client, schema)
            transaction.set_rollback(True)
        with open(options["output"], "w", encoding="utf-8") as file:
            json.dump(examples, file, ensure_ascii=False, indent=1, sort_keys=True)
            file.write("\n")
        self.stdout.write(f"{len(examples)} operations recorded into {options['output']}")
        if missing:
            raise CommandError(f"not recorded (no data or not 200): {', '.join(missing)}")


def _request_example(schema: dict, path: str, method: str) -> dict:
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return next(iter(content["examples"].values()))["value"]


def _create_what_the_demo_lacks(client: APIClient, schema: dict) -> None:
    for path in ("/api/v1/experiments/", "/api/v1/webhooks/"):
        response = client.post(path, _request_example(schema, path, "post"), format="json")
        if response.status_code != 201:
            raise CommandError(f"POST {path}: {response.status_code} {response.content[:300]}")
    redemption = Redemption.objects.select_related("coupon", "order", "customer").first()
    if redemption is not None:
        # The payload ecomops.apps sends for a redemption (queued only: never delivered,
        # the transaction is rolled back).
        webhook_emit("coupon.redeemed", {
            "code": redemption.coupon.code, "order_id": redemption.order.external_id,
            "customer_id": redemption.customer.external_id if redemption.customer_id else None,
            "discount_amount": redemption.discount_amount,
            "redeemed_at": redemption.redeemed_at,
        })  # fmt: skip


def _record_gets(client: APIClient, schema: dict) -> tuple[dict, list[str]]:
    examples: dict[str, object] = {}
    missing: list[str] = []
    firsts: dict[str, dict] = {}  # list path -> its first item
    gets = sorted(
        (p for p, ops in schema["paths"].items() if "get" in ops), key=lambda p: (p.count("{"), p)
    )
    for path in gets:
        operation_id = schema["paths"][path]["get"]["operationId"]
        names = PARAM.findall(path)
        url = path
        if names:
            prefix = path[: path.index("{")]
            values = dict(firsts.get(PARENT_LIST.get(prefix, prefix)) or {})
            if prefix in LOOKUPS:
                values.update(LOOKUPS[prefix]())
            if any(values.get(name) is None for name in names):
                missing.append(operation_id)
                continue
            url = path.format(**values)
        response = client.get(url, LIST_QUERY.get(path, {}))
        if response.status_code != 200:
            missing.append(operation_id)
            continue
        body = response.json()
        if isinstance(body, dict) and set(body) == {"next", "previous", "results"}:
            body = body["results"]
        if isinstance(body, list):
            if not body:
                missing.append(operation_id)
                continue
            firsts[path] = body[0]
            body = body[0]
        examples[operation_id] = example_value(body)
    return examples, missing
