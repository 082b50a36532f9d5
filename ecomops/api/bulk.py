"""The bulk ingest endpoints' shared shape: ``{"items": [...]}`` (or a bare list) in, one
result per item out; more than the limit is refused whole with 413."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from catalog.ingest import MAX_ITEMS, IngestResult, TooManyItems
from ecomops.api.errors import ApiError


def bulk_items(request) -> list:
    data = request.data
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ApiError(
            "invalid", 'send {"items": [...]} (a list of records)', 400, {"items": ["required"]}
        )
    return items


def bulk_response(service, request) -> Response:
    try:
        result: IngestResult = service(bulk_items(request))
    except TooManyItems as exc:
        raise ApiError(
            "too_large", str(exc), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, {"items": [str(exc)]}
        ) from exc
    return Response(result.as_dict())


BulkResult = inline_serializer(
    "BulkResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "errors": serializers.IntegerField(),
        "customers_created": serializers.IntegerField(),
        "seconds": serializers.FloatField(),
        "results": inline_serializer(
            "BulkItemResult",
            {
                "index": serializers.IntegerField(),
                "id": serializers.CharField(),
                "status": serializers.ChoiceField(["created", "updated", "error"]),
                "errors": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
            many=True,
        ),
    },
)


def bulk_schema(item_serializer, example_item: dict, summary: str):
    """The OpenAPI description of a bulk endpoint (request and per-item results)."""
    request = inline_serializer(
        f"{item_serializer.__name__.removesuffix('Serializer')}Bulk",
        {"items": item_serializer(many=True, help_text=f"at most {MAX_ITEMS}")},
    )
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: BulkResult},
        examples=[
            OpenApiExample("one record", value={"items": [example_item]}, request_only=True),
            OpenApiExample(
                "per-item results",
                value={
                    "created": 1,
                    "updated": 0,
                    "errors": 1,
                    "customers_created": 0,
                    "seconds": 0.02,
                    "results": [
                        {
                            "index": 0,
                            "id": example_item.get("order_id")
                            or example_item.get("event_id")
                            or example_item.get("customer_id"),
                            "status": "created",
                        },
                        {
                            "index": 1,
                            "id": "X-2",
                            "status": "error",
                            "errors": {
                                "lines.0.sku": ["unknown SKU 'NOPE' (import products first)"]
                            },
                        },
                    ],
                },
                response_only=True,
            ),
        ],
    )
