"""The demo's past campaign closes the loop through the real services.

The seed commits for real (on PostgreSQL it loads tables on parallel connections), so
this test runs outside a test transaction and the database is emptied after it."""

from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings

from campaigns.demo.campaign import NAME
from campaigns.models import Automation, Campaign, CampaignRecipient, Message, Redemption
from campaigns.selectors import campaign_report
from customers.models import PointsEntry

pytestmark = pytest.mark.django_db(transaction=True)
AS_OF = date(2026, 6, 30)


def test_demo_campaign_has_a_holdout_redemptions_and_a_report(capsys):
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command(
            "seed_demo", customers=800, orders=8000, as_of=AS_OF.isoformat(), no_progress=True
        )
    call_command("seed_demo_campaign", as_of=AS_OF.isoformat())
    assert "recipients" in capsys.readouterr().out
    campaign = Campaign.objects.get(name=NAME)
    assert campaign.status == "completed" and campaign.started_at.date() == date(2026, 6, 10)
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    treatment = recipients.filter(arm="treatment")
    assert recipients.filter(arm="control").exists() and treatment.exists()
    assert Message.objects.filter(campaign=campaign).count() == treatment.count()
    used = Redemption.objects.filter(coupon__recipient__campaign=campaign)
    assert used.exists()
    assert PointsEntry.objects.filter(reference__startswith="DEMO-WB").exists()
    report = campaign_report(campaign)
    assert [a.arm for a in report.arms] == ["control", "treatment"]
    assert report.arms[1].redemptions == used.count()
    assert report.window_complete
    assert sorted(Automation.objects.values_list("name", "coupon_template__name")) == [
        ("Birthday month", "Birthday 15% off"),
        ("New-member activation", "99 minus 50"),  # the seed's activation coupon
        ("Tier upgrade gift", "Upgrade gift 20 off"),
        ("Win-back after 90 days", "Win-back 149 minus 30"),
    ]
    call_command("seed_demo_campaign", as_of=AS_OF.isoformat())  # a second run: nothing
    assert "exists already" in capsys.readouterr().out
    assert Campaign.objects.filter(name=NAME).count() == 1
