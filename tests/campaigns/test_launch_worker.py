"""A launch through a real Celery worker on Redis and PostgreSQL, killed in the middle and
restarted: it completes with every recipient contacted exactly once (`make test-services`).

The worker of ``tests/services.py`` runs with 100-recipient chunks and a 2-second stall
time, so this launch has about 50 chunks and a restart resumes it within seconds.
"""

import time
from decimal import Decimal as D

import pytest
from django.db.models import Count

from analytics.models import Segment, SegmentMember
from campaigns.models import Campaign, CampaignRecipient, Coupon, CouponTemplate, Message
from campaigns.services import campaign_launch
from customers.models import Customer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
AUDIENCE = 5500


def wait_for(condition, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s")


def test_a_worker_killed_mid_launch_then_restarted_completes_it_exactly_once(
    celery_worker_process,
):
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"K{n:05d}", name=f"Kill test {n}") for n in range(AUDIENCE)
    )
    segment = Segment.objects.create(name="Kill test", kind="static", rule={"all": []})
    SegmentMember.objects.bulk_create(SegmentMember(segment=segment, customer=c) for c in customers)
    template = CouponTemplate.objects.create(
        name="Kill test 20 off", kind="amount_off", value=D("20"), valid_days=14
    )
    campaign = Campaign.objects.create(
        name="Kill test", audience_segment=segment, coupon_template=template,
        holdout_percent=D("10"), message="Hi {{ name }}, {{ coupon_code }}",
    )  # fmt: skip
    contacted = CampaignRecipient.objects.filter(campaign=campaign, contacted_at__isnull=False)

    campaign_launch(campaign=campaign)  # autocommit: the plan task is queued at once
    wait_for(lambda: contacted.count() >= 300, timeout=60)
    celery_worker_process.kill()
    campaign.refresh_from_db()
    to_contact = campaign.launch_stats["to_contact"]
    at_kill = contacted.count()
    assert 300 <= at_kill < to_contact, "the launch must be cut off in the middle"
    assert campaign.sent_at is None

    celery_worker_process.start()
    wait_for(
        lambda: Campaign.objects.filter(pk=campaign.pk, sent_at__isnull=False).exists(),
        timeout=60,
        interval=0.5,
    )

    treatment = CampaignRecipient.objects.filter(campaign=campaign, arm="treatment")
    assert treatment.count() == to_contact
    assert (
        CampaignRecipient.objects.filter(campaign=campaign).count()
        == (campaign.launch_stats["recipients"])
    )
    assert treatment.filter(contacted_at__isnull=True).count() == 0
    assert treatment.filter(coupon__isnull=True).count() == 0
    coupons = Coupon.objects.filter(template=template)
    assert coupons.count() == to_contact
    duplicates = coupons.values("customer_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert Message.objects.filter(campaign=campaign).count() == to_contact
    control = CampaignRecipient.objects.filter(campaign=campaign, arm="control")
    assert not control.filter(coupon__isnull=False).exists()
    assert not Message.objects.filter(
        campaign=campaign, customer__in=control.values("customer")
    ).exists()
