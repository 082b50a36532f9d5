"""Selectors and the message preview added for the campaign pages."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from analytics.models import Segment, SegmentMember
from campaigns.models import CampaignRecipient, Coupon, Message
from campaigns.selectors import campaign_list, campaign_reachable, experiment_list
from campaigns.services.delivery import message_preview
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_campaign_reachable_leaves_out_opted_out_and_recently_contacted():
    people = [f.CustomerFactory() for _ in range(4)]
    people[0].marketing_opt_in = False
    people[0].save()
    segment = Segment.objects.create(name="S", kind=Segment.Kind.STATIC, rule={"all": []})
    SegmentMember.objects.bulk_create(SegmentMember(segment=segment, customer=c) for c in people)
    now = timezone.now()
    Message.objects.create(key="k1", customer=people[1], channel="sms", body="x",
                           sent_at=now - timedelta(days=3))  # fmt: skip
    Message.objects.create(key="k2", customer=people[2], channel="sms", body="x",
                           sent_at=now - timedelta(days=8))  # fmt: skip
    campaign = f.CampaignFactory(audience_kind="list", audience_segment=segment)
    reach = campaign_reachable(campaign, at=now)
    assert (reach.everyone, reach.opted_out, reach.held_back) == (4, 1, 1)
    assert reach.eligible == [people[2].pk, people[3].pk]


def test_campaign_list_filters_by_status():
    f.CampaignFactory(name="a", status="draft")
    f.CampaignFactory(name="b", status="completed")
    assert [c.name for c in campaign_list(status="completed")] == ["b"]
    assert {c.name for c in campaign_list()} == {"a", "b"}


def test_experiment_list_counts_variant_recipients_in_three_queries(django_assert_num_queries):
    experiment = f.ExperimentFactory()
    for name in ("B", "A"):
        f.ExperimentVariantFactory(experiment=experiment, name=name)
    campaign = f.CampaignFactory(experiment=experiment)
    for arm in ("A", "A", "B", "control"):
        f.CampaignRecipientFactory(campaign=campaign, arm=arm)
    with django_assert_num_queries(3):
        (listed,) = experiment_list()
    assert (listed.variant_names, listed.campaign_count, listed.recipients) == (["A", "B"], 1, 3)


def test_message_preview_renders_for_a_customer_without_issuing_a_coupon():
    customer = f.CustomerFactory(name="Li Na", tier=f.TierFactory(name="Gold"))
    template = f.CouponTemplateFactory(kind="threshold", value=D("50"), min_spend=D("99"),
                                       valid_days=7)  # fmt: skip
    at = timezone.make_aware(timezone.datetime(2026, 6, 1, 12))
    text = message_preview(
        text="{{ name }} ({{ tier }}): {{ offer }}, {{ coupon_code }} until {{ coupon_expires }}",
        template=template, customer_id=customer.pk, at=at,
    )  # fmt: skip
    assert text == "Li Na (Gold): spend 99, save 50, SAMPLE-CODE until 2026-06-08"
    assert Coupon.objects.count() == 0 and CampaignRecipient.objects.count() == 0
