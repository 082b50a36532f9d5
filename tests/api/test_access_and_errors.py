"""API keys, scopes, PII masking, the one error shape, pagination caps, query counts."""

import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import CustomerScore
from campaigns.models import Redemption
from ecomops.models import ApiKey
from ecomops.services import api_key_check, api_keys_revoke
from tests import factories as f
from tests.api.clients import client_with, error

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_the_key_once_and_stores_only_its_hash():
    out = io.StringIO()
    call_command("create_api_key", "Shop platform", "--scopes", "read,write", stdout=out)
    key = out.getvalue().strip().split()[-1]
    stored = ApiKey.objects.get()
    assert stored.scopes == ["read", "write"] and key.startswith(stored.prefix + ".")
    assert key not in repr(list(ApiKey.objects.values()))  # only the hash is kept
    assert api_key_check(key) == stored and api_key_check(key + "x") is None
    api_keys_revoke(keys=[stored])
    assert api_key_check(key) is None


def test_bad_scopes_are_refused_by_the_command():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="scopes are read, write, pii"):
        call_command("create_api_key", "x", "--scopes", "read,admin", stdout=io.StringIO())


def test_no_key_wrong_key_and_revoked_key_get_401_in_the_error_shape():
    anonymous = APIClient().get("/api/v1/customers/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Api-Key"
    assert error(anonymous)["code"] == "not_authenticated"
    wrong = APIClient(HTTP_AUTHORIZATION="Api-Key abc.def").get("/api/v1/customers/")
    assert wrong.status_code == 401
    assert error(wrong) == {
        "code": "authentication_failed",
        "message": "unknown or revoked API key",
        "fields": {},
    }


def test_read_scope_reads_but_cannot_write():
    reader = client_with("read")
    assert reader.get("/api/v1/customers/").status_code == 200
    response = reader.post("/api/v1/coupons/redeem/", {"code": "X", "order_id": "Y"}, format="json")
    assert response.status_code == 403
    assert error(response)["message"] == "this API key lacks the 'write' scope"


def test_pii_is_masked_without_the_pii_scope():
    f.CustomerFactory(external_id="C1", email="li.na@example.com", phone="13812345678")
    masked = client_with("read").get("/api/v1/customers/C1/").json()
    assert (masked["email"], masked["phone"]) == ("l***@example.com", "138****5678")
    clear = client_with("read", "pii").get("/api/v1/customers/C1/").json()
    assert (clear["email"], clear["phone"]) == ("li.na@example.com", "13812345678")


def test_staff_sessions_need_the_model_permission(client):
    from django.contrib.auth.models import Permission

    f.CustomerFactory(external_id="C1")
    user = f.UserFactory(username="someone", is_staff=True)
    api = APIClient()
    api.force_login(user)
    assert api.get("/api/v1/customers/").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    assert api.get("/api/v1/customers/").status_code == 200


def test_a_customer_with_tier_tags_groups_and_score():
    gold = f.TierFactory(name="Gold", rank=2)
    customer = f.CustomerFactory(external_id="C7", tier=gold)
    f.CustomerTagFactory(customer=customer, tag=f.TagFactory(name="vip"))
    f.GroupMembershipFactory(customer=customer, group=f.CommunityGroupFactory(name="VIP 1"))
    CustomerScore.objects.create(customer=customer, as_of=timezone.localdate(), r_score=5,
                                 f_score=4, m_score=3, lifecycle_stage="active", monetary=D("321.50"))  # fmt: skip
    body = client_with("read").get("/api/v1/customers/C7/").json()
    assert (body["tier"], body["tags"], body["groups"]) == ("Gold", ["vip"], ["VIP 1"])
    assert body["score"]["r_score"] == 5 and body["score"]["monetary"] == "321.50"
    missing = client_with("read").get("/api/v1/customers/NOPE/")
    assert missing.status_code == 404 and error(missing)["code"] == "not_found"


def test_lists_are_cursor_paginated_capped_and_filtered():
    for n in range(7):
        f.CustomerFactory(external_id=f"P{n}", tier=None, updated_at=timezone.now())
    api = client_with("read")
    page = api.get("/api/v1/customers/?page_size=3").json()
    assert len(page["results"]) == 3 and page["next"] and "cursor=" in page["next"]
    rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 3
    big = api.get("/api/v1/customers/?page_size=100000").json()
    assert len(big["results"]) == 7  # capped at 500, and only 7 exist
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert api.get("/api/v1/customers/", {"updated_since": later}).json()["results"] == []


def test_list_queries_do_not_grow_with_the_page():
    api = client_with("read")
    api.get("/api/v1/tiers/")  # the key's first use writes last_used_at: not part of a page
    for _ in range(3):
        customer = f.CustomerFactory()
        f.CustomerTagFactory(customer=customer)
        f.GroupMembershipFactory(customer=customer)
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/customers/")
    for _ in range(20):
        customer = f.CustomerFactory()
        f.CustomerTagFactory(customer=customer)
        f.GroupMembershipFactory(customer=customer)
    with CaptureQueriesContext(connection) as large:
        api.get("/api/v1/customers/")
    assert len(large) == len(small) <= 5


def test_redeem_through_the_api_and_its_refusals():
    customer = f.CustomerFactory(external_id="C1")
    template = f.CouponTemplateFactory(
        kind="amount_off", value=D("20"), min_spend=D("0"), total_limit=1
    )
    coupon = f.CouponFactory(template=template, customer=customer, code="SAVE20AAAAAA")
    order = f.OrderFactory(customer=customer, external_id="SO-1", paid_total=D("100"))
    f.OrderLineFactory(order=order)
    api = client_with("read", "write")
    done = api.post(
        "/api/v1/coupons/redeem/", {"code": coupon.code, "order_id": "SO-1"}, format="json"
    )
    assert done.status_code == 201, done.json()
    assert done.json()["discount_amount"] == "20.00" and Redemption.objects.count() == 1
    other = f.OrderFactory(customer=customer, external_id="SO-2")
    f.OrderLineFactory(order=other)
    again = api.post(
        "/api/v1/coupons/redeem/", {"code": coupon.code, "order_id": "SO-2"}, format="json"
    )
    assert again.status_code == 409 and error(again)["code"] in {
        "limit_reached",
        "customer_limit_reached",
    }
    unknown = api.post(
        "/api/v1/coupons/redeem/", {"code": "NOPE", "order_id": "SO-2"}, format="json"
    )
    assert unknown.status_code == 404 and error(unknown)["code"] == "unknown"
    invalid = api.post("/api/v1/coupons/redeem/", {"code": ""}, format="json")
    assert invalid.status_code == 400
    assert error(invalid)["code"] == "invalid" and set(error(invalid)["fields"]) == {
        "code",
        "order_id",
    }
    garbage = api.post("/api/v1/coupons/redeem/", "not json", content_type="application/json")
    assert garbage.status_code == 400 and error(garbage)["code"] == "parse_error"


def test_quote_a_cart():
    customer = f.CustomerFactory(external_id="C1")
    template = f.CouponTemplateFactory(kind="threshold", value=D("50"), min_spend=D("99"))
    f.CouponFactory(template=template, customer=customer, code="TAKE50AAAAAA")
    sku = f.SKUFactory(code="TEE-1", list_price=D("60"))
    api = client_with("read")
    body = {"code": "TAKE50AAAAAA", "customer_id": "C1", "lines": [{"sku": "TEE-1", "quantity": 2}]}
    quote = api.post("/api/v1/coupons/quote/", body, format="json")
    assert quote.status_code == 200 and quote.json()["discount"] == "50.00"
    body["lines"] = [{"sku": "TEE-1", "quantity": 1}]
    short = api.post("/api/v1/coupons/quote/", body, format="json")
    assert short.status_code == 400 and error(short)["code"] == "min_spend_not_met"
    body["lines"] = [{"sku": "NOPE", "quantity": 1}]
    assert error(api.post("/api/v1/coupons/quote/", body, format="json"))["fields"] == {
        "lines": ["unknown SKU NOPE"]
    }
    assert sku.pk


def test_throttling_answers_429_with_retry_after(settings):
    import time_machine
    from django.core.cache import cache

    cache.clear()
    settings.API = {**settings.API, "THROTTLE_RATE": "2/min"}
    api, other = client_with("read"), client_with("read")
    with time_machine.travel("2026-11-23 10:00:15+00:00", tick=False):
        assert [api.get("/api/v1/tiers/").status_code for _ in range(2)] == [200, 200]
        third = api.get("/api/v1/tiers/")
        assert third.status_code == 429 and int(third["Retry-After"]) == 45  # to 10:01:00
        assert error(third)["code"] == "throttled"
        assert other.get("/api/v1/tiers/").status_code == 200  # each key its own budget
    with time_machine.travel("2026-11-23 10:01:01+00:00", tick=False):
        assert api.get("/api/v1/tiers/").status_code == 200  # a new window
    cache.clear()


def test_customer_representation_matches_the_fields():
    """The hand-written representation equals DRF's field-by-field one."""
    from rest_framework import serializers
    from rest_framework.test import APIRequestFactory

    from customers.api.serializers import CustomerSerializer
    from customers.api.views import customer_queryset
    from customers.selectors import customers_label

    gold = f.TierFactory(name="Gold")
    customer = f.CustomerFactory(external_id="C1", tier=gold, tier_since=timezone.now(),
                                 birthday="1990-05-04", email="a@example.com")  # fmt: skip
    f.CustomerTagFactory(customer=customer, tag=f.TagFactory(name="b"))
    f.CustomerTagFactory(customer=customer, tag=f.TagFactory(name="a"))
    f.GroupMembershipFactory(customer=customer, group=f.CommunityGroupFactory(name="G"))
    f.GroupMembershipFactory(customer=customer, joined_at=timezone.now() - timedelta(days=9),
                             left_at=timezone.now())  # fmt: skip
    CustomerScore.objects.create(customer=customer, as_of=timezone.localdate(), r_score=3)
    row = customer_queryset().get(pk=customer.pk)
    customers_label([row])
    request = APIRequestFactory().get("/")
    request.auth = ApiKey(scopes=["read", "pii"])
    serializer = CustomerSerializer(context={"request": request})
    fast = serializer.to_representation(row)
    assert list(fast) == list(serializer.fields)
    for name, field in serializer.fields.items():  # DRF's own rendering of the model
        if isinstance(field, serializers.SerializerMethodField):
            continue
        value = field.get_attribute(customer)
        assert fast[name] == (None if value is None else field.to_representation(value)), name
    assert (fast["tags"], fast["groups"]) == (["a", "b"], ["G"])
    assert fast["score"]["r_score"] == 3 and fast["tier"] == "Gold"
