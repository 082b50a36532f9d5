"""Webhooks: signed deliveries to a real local HTTP server, retries with backoff, the
events the apps' signals raise, and subscriptions through the API."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from ecomops.models import WebhookDelivery, WebhookSegmentState
from ecomops.webhooks import (
    segment_changes_emit,
    sign,
    verify,
    webhook_deliver,
    webhook_emit,
    webhook_subscription_create,
    webhooks_retry_due,
)
from tests import factories as f
from tests.api.clients import client_with

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint answering with the next status of ``answers`` (then 200)."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.received: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(answers=()):
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_a_delivery_is_signed_and_the_signature_verifies(receiver):
    endpoint = receiver()
    subscription = webhook_subscription_create(
        name="CRM", url=endpoint.url, events=["tier.changed"]
    )
    webhook_emit("tier.changed", {"customer_id": "C1", "to": "Gold"})
    webhook_emit("coupon.redeemed", {"code": "X"})  # not subscribed: nothing queued
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery.pk).status == "delivered"
    headers, body = endpoint.received[0]
    assert headers["X-EcomOps-Event"] == "tier.changed"
    assert verify(subscription.secret, headers["X-EcomOps-Signature"], body)
    assert not verify("another secret", headers["X-EcomOps-Signature"], body)
    assert not verify(subscription.secret, headers["X-EcomOps-Signature"], body + b" ")
    payload = json.loads(body)
    assert payload["data"] == {"customer_id": "C1", "to": "Gold"}
    assert payload["id"] == delivery.event_id == headers["X-EcomOps-Delivery"]
    # The documented scheme, recomputed by hand: HMAC-SHA256 of "<t>.<body>".
    t = int(headers["X-EcomOps-Signature"].split(",")[0][2:])
    assert sign(subscription.secret, t, body) == headers["X-EcomOps-Signature"]
    assert webhook_deliver(delivery.pk) is None  # delivered ones are not sent again


def test_failures_are_retried_with_doubling_backoff_then_given_up(receiver, settings):
    settings.WEBHOOKS = {"TIMEOUT": 5, "MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": 60}
    endpoint = receiver([500, 503, 500])
    webhook_subscription_create(name="BI", url=endpoint.url)
    webhook_emit("campaign.completed", {"id": 1})
    delivery = WebhookDelivery.objects.get()
    before = timezone.now()
    first = webhook_deliver(delivery.pk)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert timedelta(seconds=59) < first.next_attempt_at - before < timedelta(seconds=62)
    assert webhooks_retry_due() == []  # not yet due
    assert webhooks_retry_due(at=first.next_attempt_at) == [delivery.pk]
    second = webhook_deliver(delivery.pk)
    assert second.attempts == 2 and second.next_attempt_at - timezone.now() > timedelta(seconds=110)
    third = webhook_deliver(delivery.pk)
    assert (third.status, third.attempts, third.next_attempt_at) == ("failed", 3, None)
    assert len(endpoint.received) == 3


def test_an_unreachable_url_is_an_error_not_a_crash(settings):
    settings.WEBHOOKS = {"TIMEOUT": 1, "MAX_ATTEMPTS": 2, "BACKOFF_SECONDS": 1}
    webhook_subscription_create(name="gone", url="http://127.0.0.1:9/nothing")
    webhook_emit("tier.changed", {})
    delivery = webhook_deliver(WebhookDelivery.objects.get().pk)
    assert (
        delivery.status == "pending" and delivery.last_error and delivery.last_status_code is None
    )


def test_the_apps_signals_raise_events(django_capture_on_commit_callbacks):
    webhook_subscription_create(name="all", url="http://127.0.0.1:9/")
    redemption = f.RedemptionFactory(coupon__code="SAVE10", order__external_id="SO-1")
    campaign = f.CampaignFactory(status="running")
    campaign.status = "completed"
    campaign.save(update_fields=["status"])
    from customers.models import TierChange

    gold = f.TierFactory(name="Gold")
    TierChange.objects.create(customer=redemption.customer, to_tier=gold, reason="upgrade",
                              changed_at=timezone.now())  # fmt: skip
    events = dict(WebhookDelivery.objects.values_list("event", "payload"))
    assert events["coupon.redeemed"]["code"] == "SAVE10"
    assert events["coupon.redeemed"]["order_id"] == "SO-1"
    assert events["campaign.completed"]["id"] == campaign.pk
    assert events["tier.changed"]["to"] == "Gold"


def test_segment_entered_and_left_after_a_baseline():
    segment = f.SegmentFactory(rule={"all": [{"field": "is_koc", "op": "=", "value": True}]})
    a = f.CustomerFactory(external_id="A", is_koc=True)
    f.CustomerFactory(external_id="B", is_koc=False)
    webhook_subscription_create(name="seg", url="http://127.0.0.1:9/", segments=[segment.pk],
                                events=["segment.entered", "segment.left"])  # fmt: skip
    assert segment_changes_emit() == {}  # the baseline: nothing sent
    assert WebhookSegmentState.objects.get().members == [a.pk]
    a.is_koc = False
    a.save()
    f.CustomerFactory(external_id="C", is_koc=True)
    assert segment_changes_emit() == {segment.pk: (1, 1)}
    sent = {d.event: d.payload["customers"] for d in WebhookDelivery.objects.all()}
    assert sent == {"segment.entered": ["C"], "segment.left": ["A"]}


def test_subscriptions_and_the_delivery_log_through_the_api():
    api = client_with("read", "write")
    created = api.post("/api/v1/webhooks/", {"name": "CRM", "url": "https://crm.example.com/in",
                                             "events": ["coupon.redeemed"]}, format="json")  # fmt: skip
    assert created.status_code == 201 and len(created.json()["secret"]) == 48
    assert "secret" not in api.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    bad = api.post("/api/v1/webhooks/", {"name": "x", "url": "not a url", "events": ["nope"]},
                   format="json")  # fmt: skip
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) >= {"url", "events.0"}
    webhook_emit("coupon.redeemed", {"code": "X"})
    log = api.get("/api/v1/webhook-deliveries/", {"status": "pending"}).json()["results"]
    assert [d["event"] for d in log] == ["coupon.redeemed"]


def test_the_admin_lists_deliveries_and_sends_them_again(
    admin_client, django_capture_on_commit_callbacks
):
    webhook_subscription_create(name="gone", url="http://127.0.0.1:9/")
    webhook_emit("tier.changed", {})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8)
    page = admin_client.get("/admin/ecomops/webhookdelivery/")
    assert (
        page.status_code == 200 and b"tier.changed" in page.content and b"redeliver" in page.content
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        admin_client.post("/admin/ecomops/webhookdelivery/", {
            "action": "redeliver", "_selected_action": [delivery.pk], "apply": "1"})  # fmt: skip
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(queued)) == ("pending", 0, 1)
    assert admin_client.get("/admin/ecomops/webhooksubscription/add/").status_code == 200
