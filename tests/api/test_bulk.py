"""Bulk ingest of orders and events: per-item results, idempotency, the 1,000 limit."""

from decimal import Decimal as D

import pytest

from analytics.models import Event
from catalog.models import Order
from customers.models import Customer
from tests import factories as f
from tests.api.clients import client_with, error

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    f.SKUFactory(code="TEA-1", list_price=D("59.00"), unit_cost=D("20.00"))
    f.ChannelFactory(code="search")
    f.CustomerFactory(external_id="C1")


def order(order_id, **extra):
    return {
        "order_id": order_id,
        "customer_id": "C1",
        "created_at": "2026-11-20T10:15:00+08:00",
        "status": "paid",
        "channel": "search",
        "shipping": "8.00",
        "lines": [{"sku": "TEA-1", "quantity": 2, "unit_price": "59.00"}],
        **extra,
    }


def test_orders_bulk_writes_the_good_items_and_names_each_bad_field(world):
    api = client_with("read", "write")
    items = [
        order("SO-1"),
        order(
            "SO-2",
            lines=[
                {"sku": "TEA-1", "quantity": 1, "unit_price": "59"},
                {"sku": "NOPE", "quantity": "two", "unit_price": "1"},
            ],
        ),
        order("SO-3", customer_id="NEW-9"),
        {"customer_id": "C1"},
        "not an object",
        order("SO-4", created_at="yesterday-ish", colour="red"),
    ]
    response = api.post("/api/v1/orders/bulk/", {"items": items}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["errors"], body["customers_created"]) == (
        2,
        0,
        4,
        1,
    )
    statuses = [(r["index"], r["id"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "SO-1", "created"), (1, "SO-2", "error"), (2, "SO-3", "created"),
                        (3, "", "error"), (4, "", "error"), (5, "SO-4", "error")]  # fmt: skip
    so2 = body["results"][1]["errors"]
    assert so2["lines.1.sku"] == ["unknown SKU 'NOPE' (import products first)"]
    assert "lines.1.quantity" in so2
    assert body["results"][3]["errors"] == {"order_id": ["order_id is required"]}
    assert body["results"][5]["errors"] == {"_": ["unknown field(s): colour"]}
    written = Order.objects.get(external_id="SO-1")
    # goods 2 × 59 = 118, paid = goods − discount + shipping = 126
    assert (written.goods_total, written.paid_total, written.lines.count()) == (
        D("118.00"),
        D("126.00"),
        1,
    )
    assert not Order.objects.filter(external_id="SO-2").exists()
    assert Customer.objects.filter(external_id="NEW-9").exists()


def test_orders_bulk_is_idempotent_and_updates_by_external_id(world):
    api = client_with("read", "write")
    api.post("/api/v1/orders/bulk/", [order("SO-1")], format="json")
    again = api.post("/api/v1/orders/bulk/", [order("SO-1")], format="json").json()
    assert (again["created"], again["updated"]) == (0, 1)
    assert Order.objects.filter(external_id="SO-1").count() == 1
    changed = api.post("/api/v1/orders/bulk/", [order("SO-1", status="refunded")], format="json")
    assert changed.json()["results"][0]["status"] == "updated"
    assert Order.objects.get(external_id="SO-1").status == "refunded"
    listed = api.get("/api/v1/orders/SO-1/").json()
    assert listed["lines"][0]["sku"] == "TEA-1" and listed["customer"] == "C1"


def test_more_than_1000_items_is_refused_whole_with_413(world):
    api = client_with("read", "write")
    response = api.post("/api/v1/orders/bulk/", {"items": [order(f"SO-{n}") for n in range(1001)]},
                        format="json")  # fmt: skip
    assert response.status_code == 413
    assert error(response)["code"] == "too_large"
    assert "the limit is 1000" in error(response)["message"]
    assert Order.objects.count() == 0
    bad = api.post("/api/v1/orders/bulk/", {"items": "x"}, format="json")
    assert bad.status_code == 400 and error(bad)["fields"] == {"items": ["required"]}


def test_bulk_needs_the_write_scope(world):
    response = client_with("read").post("/api/v1/orders/bulk/", [order("SO-1")], format="json")
    assert response.status_code == 403


def test_events_bulk_with_per_item_results_and_idempotency(world):
    api = client_with("read", "write")
    items = [
        {"event_id": "E1", "customer_id": "C1", "session_id": "s1", "type": "product_view",
         "sku": "TEA-1", "channel": "search", "occurred_at": "2026-11-20T10:00:00Z",
         "properties": {"query": "oolong"}},
        {"event_id": "E2", "session_id": "s2", "type": "teleport", "occurred_at": "2026-11-20"},
        {"session_id": "s3", "type": "visit", "occurred_at": "2026-11-20"},
    ]  # fmt: skip
    body = api.post("/api/v1/events/bulk/", {"items": items}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "error", "error"]
    assert "type" in body["results"][1]["errors"]
    assert "event_id" in body["results"][2]["errors"]
    event = Event.objects.get(external_id="E1")
    assert event.properties == {"query": "oolong"} and event.sku.code == "TEA-1"
    again = api.post("/api/v1/events/bulk/", {"items": items[:1]}, format="json").json()
    assert again["updated"] == 1 and Event.objects.count() == 1
    listed = api.get("/api/v1/events/", {"type": "product_view"}).json()["results"]
    assert [e["event_id"] for e in listed] == ["E1"]


def test_customers_bulk_creates_updates_and_refuses_masked_values(world):
    api = client_with("read", "write", "pii")
    items = [
        {"customer_id": "C1", "name": "Li Na", "email": "li.na@example.com", "tags": ["vip"]},
        {"customer_id": "C2", "email": "w***@example.com", "gender": "f"},
        {"customer_id": "C3", "gender": "female", "birthday": "1990-02-30"},
        {"customer_id": "C4", "tags": "vip"},
    ]
    body = api.post("/api/v1/customers/bulk/", {"items": items}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["updated", "error", "error", "error"]
    assert "email" in body["results"][1]["errors"] and "birthday" in body["results"][2]["errors"]
    assert body["results"][3]["errors"] == {"tags": ["tags must be a list of names"]}
    got = api.get("/api/v1/customers/C1/").json()
    assert (got["name"], got["email"], got["tags"]) == ("Li Na", "li.na@example.com", ["vip"])
