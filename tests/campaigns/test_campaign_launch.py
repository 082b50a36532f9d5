"""Campaign launch: audience snapshot, opt-outs, frequency cap, deterministic holdout,
chunked idempotent delivery, messages, life cycle (eager Celery, in-process)."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from analytics.models import Recommendation, Segment, SegmentMember
from campaigns.assignment import CONTROL, TREATMENT, Split, arm
from campaigns.models import Campaign, CampaignRecipient, Coupon, Message
from campaigns.services import (
    CampaignError,
    campaign_cancel,
    campaign_launch,
    campaign_plan,
    campaign_problems,
    campaign_progress,
    campaign_schedule,
    campaign_send_chunk,
    campaigns_complete_due,
    campaigns_launch_due,
    campaigns_resume_stalled,
)
from customers.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 6, 15, 12))


def static_segment(customers):
    segment = Segment.objects.create(
        name=f"Audience {Segment.objects.count()}", kind=Segment.Kind.STATIC, rule={"all": []}
    )
    SegmentMember.objects.bulk_create(SegmentMember(segment=segment, customer=c) for c in customers)
    return segment


def campaign_for(customers, **fields):
    defaults = {
        "audience_segment": static_segment(customers),
        "holdout_percent": D("20"),
        "message": "Hi {{ name }}, {{ offer }} with {{ coupon_code }} until {{ coupon_expires }}. "
        "Picks: {{ products }}",
        "coupon_template": f.CouponTemplateFactory(
            kind="threshold", value=D("50"), min_spend=D("99"), valid_days=7
        ),
    }
    return f.CampaignFactory(**{**defaults, **fields})


def launch(campaign, capture, **kwargs):
    with capture(execute=True):
        campaign_launch(campaign=campaign, at=kwargs.pop("at", NOW), **kwargs)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def people():
    return [f.CustomerFactory() for _ in range(60)]


def test_launch_splits_issues_and_contacts_each_treatment_recipient_once(
    people, django_capture_on_commit_callbacks, settings
):
    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "CHUNK_SIZE": 7}
    product = f.ProductFactory(name="Silk pillowcase")
    Recommendation.objects.create(customer=people[0], product=product, rank=1, score=0.9)
    campaign = launch(campaign_for(people), django_capture_on_commit_callbacks)

    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    assert recipients.count() == 60
    split = Split(holdout_percent=D("20"))
    for r in recipients:  # the stored arm is the hash's arm: a re-run gives the same split
        assert r.arm == arm(f"campaign:{campaign.pk}", r.customer_id, split)
    control = recipients.filter(arm=CONTROL)
    treatment = recipients.filter(arm=TREATMENT)
    assert control.count() + treatment.count() == 60
    assert 0 < control.count() < 30
    # Controls get nothing; each treatment recipient has one coupon and one message.
    assert not control.filter(coupon__isnull=False).exists()
    assert not control.filter(contacted_at__isnull=False).exists()
    done = treatment.filter(coupon__isnull=False, contacted_at__isnull=False)
    assert done.count() == treatment.count()
    assert Coupon.objects.filter(template=campaign.coupon_template).count() == treatment.count()
    messages = Message.objects.filter(campaign=campaign)
    assert messages.count() == treatment.count()
    assert set(messages.values_list("customer_id", flat=True)) == set(
        treatment.values_list("customer_id", flat=True)
    )
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.sent_at is not None
    assert campaign.launch_stats["arms"] == {
        CONTROL: control.count(),
        TREATMENT: treatment.count(),
    }
    assert campaign_progress(campaign) == {
        "planned": True,
        "to_contact": treatment.count(),
        "contacted": treatment.count(),
        "percent": 100,
        "done": True,
    }
    one = treatment.select_related("coupon", "customer").first()
    body = Message.objects.get(campaign=campaign, customer=one.customer).body
    assert body.startswith(f"Hi {one.customer.name}, spend 99, save 50 with {one.coupon.code}")
    expires = timezone.localdate(one.coupon.expires_at)
    assert expires == timezone.localdate(one.coupon.issued_at) + timedelta(days=7)
    assert f"until {expires.isoformat()}" in body
    if one.customer == people[0]:
        assert body.endswith("Picks: Silk pillowcase")


def test_a_repeated_plan_or_chunk_issues_nothing_twice(people, django_capture_on_commit_callbacks):
    campaign = launch(campaign_for(people), django_capture_on_commit_callbacks)
    coupons = Coupon.objects.count()
    messages = Message.objects.count()
    ids = CampaignRecipient.objects.filter(campaign=campaign).values_list("pk", flat=True)
    assert campaign_send_chunk(campaign_id=campaign.pk, first_id=min(ids), last_id=max(ids)) == {
        "contacted": 0
    }
    stats = campaign_plan(campaign_id=campaign.pk)
    assert stats["chunks_queued"] == 0
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 60
    assert (Coupon.objects.count(), Message.objects.count()) == (coupons, messages)


def test_opted_out_and_recently_contacted_customers_are_left_out(
    people, django_capture_on_commit_callbacks
):
    for c in people[:5]:
        c.marketing_opt_in = False
        c.save()
    earlier = campaign_for(people[5:8], name="Earlier")
    for c in people[5:8]:  # contacted 3 days ago: inside the 7-day cap
        Message.objects.create(
            key=f"x:{c.pk}", customer=c, campaign=earlier, channel="console", body="hi",
            sent_at=NOW - timedelta(days=3),
        )  # fmt: skip
    Message.objects.create(  # 8 days ago: outside the cap
        key="old", customer=people[8], channel="console", body="hi", sent_at=NOW - timedelta(days=8)
    )
    campaign = launch(campaign_for(people), django_capture_on_commit_callbacks)
    stats = campaign.launch_stats
    assert (stats["audience"], stats["opted_out"], stats["frequency_capped"]) == (60, 5, 3)
    assert stats["recipients"] == 52
    contacted = set(Message.objects.filter(campaign=campaign).values_list("customer_id", flat=True))
    assert not contacted & {c.pk for c in people[:8]}
    assert not CampaignRecipient.objects.filter(campaign=campaign, customer__in=people[:8]).exists()


def test_group_and_tier_audiences(django_capture_on_commit_callbacks):
    group = f.CommunityGroupFactory()
    members = [f.GroupMembershipFactory(group=group).customer for _ in range(4)]
    f.GroupMembershipFactory(  # left: not in it
        group=group, joined_at=NOW - timedelta(days=9), left_at=NOW - timedelta(days=1)
    )
    campaign = campaign_for(
        [], audience_kind=Campaign.AudienceKind.GROUP, audience_group=group, holdout_percent=0
    )
    launch(campaign, django_capture_on_commit_callbacks)
    assert set(campaign.recipients.values_list("customer_id", flat=True)) == {m.pk for m in members}
    gold = f.TierFactory(name="Gold", rank=2)
    golden = [f.CustomerFactory(tier=gold) for _ in range(3)]
    f.CustomerFactory()
    by_tier = campaign_for(
        [], audience_kind=Campaign.AudienceKind.TIER, audience_tier=gold, holdout_percent=0
    )
    launch(by_tier, django_capture_on_commit_callbacks, at=NOW + timedelta(days=30))
    assert set(by_tier.recipients.values_list("customer_id", flat=True)) == {c.pk for c in golden}


def test_experiment_variants_get_their_own_offer(people, django_capture_on_commit_callbacks):
    experiment = f.ExperimentFactory()
    big = f.CouponTemplateFactory(kind="amount_off", value=D("30"), min_spend=D("0"))
    f.ExperimentVariantFactory(experiment=experiment, name="A", weight=50)
    f.ExperimentVariantFactory(experiment=experiment, name="B", weight=50, coupon_template=big)
    campaign = launch(
        campaign_for(people, experiment=experiment, holdout_percent=10),
        django_capture_on_commit_callbacks,
    )
    arms = dict(campaign.launch_stats["arms"])
    assert set(arms) == {CONTROL, TREATMENT, "A", "B"}
    assert arms[TREATMENT] == 0  # allocation 100%: everyone not held out is in the test
    b_coupons = Coupon.objects.filter(recipient__campaign=campaign, recipient__arm="B")
    assert b_coupons.count() == arms["B"]
    assert set(b_coupons.values_list("template", flat=True)) == {big.pk}
    a_coupons = Coupon.objects.filter(recipient__campaign=campaign, recipient__arm="A")
    assert set(a_coupons.values_list("template", flat=True)) <= {campaign.coupon_template_id}
    experiment.refresh_from_db()
    assert experiment.status == "running"


def test_launch_refuses_bad_states_and_bad_messages(people, django_capture_on_commit_callbacks):
    campaign = campaign_for(people, message="Hi {{ nmae }}")
    with pytest.raises(CampaignError, match="unknown placeholder nmae") as error:
        campaign_launch(campaign=campaign)
    assert error.value.code == "invalid"
    campaign.message = "Hi {{ name }}"
    campaign.save()
    launch(campaign, django_capture_on_commit_callbacks)
    with pytest.raises(CampaignError) as error:
        campaign_launch(campaign=campaign)
    assert error.value.code == "invalid_state"
    no_offer = campaign_for(people, coupon_template=None, message=" ")
    with pytest.raises(CampaignError, match="give the campaign an offer"):
        campaign_launch(campaign=no_offer)


def test_cancel_stops_the_chunks_not_yet_sent(people, django_capture_on_commit_callbacks):
    campaign = campaign_for(people, holdout_percent=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_launch(campaign=campaign, at=NOW)
    assert len(callbacks) == 1
    campaign_plan(campaign_id=campaign.pk, queue=False)  # planned, nothing sent yet
    campaign_cancel(campaign=campaign)
    ids = list(campaign.recipients.values_list("pk", flat=True))
    result = campaign_send_chunk(campaign_id=campaign.pk, first_id=min(ids), last_id=max(ids))
    assert result == {"contacted": 0, "skipped": "cancelled"}
    assert not Message.objects.filter(campaign=campaign).exists()
    with pytest.raises(CampaignError):
        campaign_cancel(campaign=campaign)


def test_scheduled_campaigns_launch_when_due_and_complete_after_attribution(
    people, django_capture_on_commit_callbacks
):
    campaign = campaign_for(people, attribution_days=14)
    campaign_schedule(campaign=campaign, scheduled_at=NOW + timedelta(hours=2))
    assert campaigns_launch_due(at=NOW) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_launch_due(at=NOW + timedelta(hours=2)) == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.status == "running" and campaign.sent_at is not None
    assert campaigns_complete_due(at=NOW + timedelta(days=13)) == []
    assert campaigns_complete_due(at=NOW + timedelta(days=14, hours=2)) == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.status == "completed"


def test_a_stalled_launch_is_resumed_and_finishes(
    people, django_capture_on_commit_callbacks, settings
):
    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "CHUNK_SIZE": 10, "STALL_SECONDS": 60}
    campaign = campaign_for(people, holdout_percent=0)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_launch(campaign=campaign, at=NOW)
    campaign_plan(campaign_id=campaign.pk, queue=False)
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    campaign_send_chunk(campaign_id=campaign.pk, first_id=ids[0], last_id=ids[9], at=NOW)
    # The worker "died" here: 10 of 60 contacted. Not stalled yet one second later...
    assert campaigns_resume_stalled(at=NOW + timedelta(seconds=1)) == []
    # ...but after STALL_SECONDS the tick re-plans, which queues the 5 chunks left.
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_resume_stalled(at=NOW + timedelta(seconds=61)) == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.sent_at is not None
    assert Message.objects.filter(campaign=campaign).count() == 60
    assert Coupon.objects.filter(recipient__campaign=campaign).count() == 60


def test_launch_and_coupons_are_in_the_audit_trail(people, django_capture_on_commit_callbacks):
    ops = f.UserFactory(username="ops-1")
    campaign = launch(
        campaign_for(people[:5], holdout_percent=0), django_capture_on_commit_callbacks, by=ops
    )
    entry = AuditEntry.objects.get(action="launch", object_id=str(campaign.pk))
    assert (entry.actor, entry.actor_label) == (ops, "ops-1")
    assert (entry.before, entry.after) == ({"status": "draft"}, {"status": "running"})
    issued = AuditEntry.objects.filter(action="issue", object_type="campaigns.coupon")
    assert issued.count() == 5
    assert set(issued.values_list("customer_id", flat=True)) == {c.pk for c in people[:5]}


def test_email_channel_sends_through_django_mail_and_logs_failures(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with_email = f.CustomerFactory(email="li.na@example.com")
    without = f.CustomerFactory(email="")
    campaign = campaign_for([with_email, without], holdout_percent=0, contact_channel="email")
    launch(campaign, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["li.na@example.com"]]
    assert "spend 99, save 50" in mail.outbox[0].body
    failed = Message.objects.get(campaign=campaign, customer=without)
    assert (failed.status, failed.error) == ("failed", "no email address")


def test_sms_gateway_gets_one_batch_and_reports_per_message(
    django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "SMS_GATEWAY_URL": "https://sms.example/send"}
    posted = []

    def fake_post(self, payload):
        posted.append(payload)
        first = payload["messages"][0]["key"]
        return {
            "results": {
                m["key"]: ("blocked" if m["key"] == first else None) for m in payload["messages"]
            }
        }

    monkeypatch.setattr("campaigns.channels.HttpGatewayBackend.post", fake_post)
    people = [f.CustomerFactory() for _ in range(3)]
    campaign = campaign_for(people, holdout_percent=0, contact_channel="sms")
    launch(campaign, django_capture_on_commit_callbacks)
    assert len(posted) == 1 and len(posted[0]["messages"]) == 3
    assert {m["to"] for m in posted[0]["messages"]} == {c.phone for c in people}
    statuses = sorted(Message.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == ["failed", "sent", "sent"]


def test_an_unreachable_mail_server_or_gateway_fails_the_messages_not_the_launch(
    django_capture_on_commit_callbacks, settings, monkeypatch
):
    from urllib.error import URLError

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    people = [f.CustomerFactory(email=f"c{i}@example.com") for i in range(2)]
    campaign = campaign_for(people, holdout_percent=0, contact_channel="email")
    launch(campaign, django_capture_on_commit_callbacks)
    errors = set(Message.objects.filter(campaign=campaign).values_list("status", "error"))
    assert len(errors) == 1
    status, error = errors.pop()
    assert status == "failed" and error.startswith("email not sent: ")
    campaign.refresh_from_db()
    assert campaign.sent_at is not None  # every recipient attempted, the launch finished

    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "SMS_GATEWAY_URL": "https://sms.example/send"}

    def unreachable(self, payload):
        raise URLError("connection refused")

    monkeypatch.setattr("campaigns.channels.HttpGatewayBackend.post", unreachable)
    sms = campaign_for([f.CustomerFactory() for _ in range(2)], holdout_percent=0,
                       contact_channel="sms")  # fmt: skip
    launch(sms, django_capture_on_commit_callbacks)
    assert set(Message.objects.filter(campaign=sms).values_list("error", flat=True)) == {
        "sms gateway: <urlopen error connection refused>"
    }


def test_sms_without_a_gateway_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from campaigns.channels import backend_for

    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "SMS_GATEWAY_URL": ""}
    with pytest.raises(ImproperlyConfigured, match="CAMPAIGNS_SMS_GATEWAY_URL"):
        backend_for("sms")


def test_a_launch_on_a_channel_not_configured_is_refused_before_anything_runs(people, settings):
    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "SMS_GATEWAY_URL": ""}
    campaign = campaign_for(people, contact_channel="sms")
    with pytest.raises(CampaignError, match="CAMPAIGNS_SMS_GATEWAY_URL"):
        campaign_launch(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()
    settings.CAMPAIGNS = {**settings.CAMPAIGNS, "SMS_GATEWAY_URL": "https://sms.example/send"}
    assert campaign_problems(campaign) == []
