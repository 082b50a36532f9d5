"""Campaign and experiment pages: from a segment to a launched, measured campaign."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from analytics.models import Segment, SegmentMember
from campaigns.models import Campaign, CampaignRecipient, Message, Redemption
from campaigns.selectors import experiment_sample_plan
from tests import factories as f

pytestmark = pytest.mark.django_db
LAUNCH = timezone.make_aware(datetime(2026, 6, 15, 10))


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # campaign reports are cached by (campaign, updated_at)
    yield
    cache.clear()


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.fixture
def segment():
    """A static list of 20 customers who may be contacted and one who opted out."""
    people = [f.CustomerFactory(name=f"Buyer {n:02d}") for n in range(20)]
    people.append(f.CustomerFactory(name="Opted Out", marketing_opt_in=False))
    segment = Segment.objects.create(
        name="Spring list", kind=Segment.Kind.STATIC, rule={"all": []}, member_count=21
    )
    SegmentMember.objects.bulk_create(SegmentMember(segment=segment, customer=c) for c in people)
    return segment


@pytest.fixture
def template():
    return f.CouponTemplateFactory(
        name="Spend 99 save 50", kind="threshold", value=D("50"), min_spend=D("99")
    )


@pytest.fixture
def draft(segment, template):
    return f.CampaignFactory(
        name="Spring win-back",
        audience_kind=Campaign.AudienceKind.LIST,
        audience_segment=segment,
        coupon_template=template,
        holdout_percent=D("50"),
        cost_per_contact=D("0.5"),
        message="Hi {{ name }}: {{ offer }} with {{ coupon_code }}",
    )


def _launch(client, campaign, capture):
    with time_machine.travel(LAUNCH, tick=False), capture(execute=True):
        response = client.post(f"/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 302
    campaign.refresh_from_db()
    return campaign


def test_ops_launches_a_campaign_and_reads_its_report_with_real_numbers(
    login_as, draft, django_capture_on_commit_callbacks
):
    client = login_as("ops")
    page = client.get(f"/campaigns/{draft.pk}/")
    assert b"Launch now" in page.content and b"data-confirm" in page.content

    campaign = _launch(client, draft, django_capture_on_commit_callbacks)
    assert campaign.status == "running" and campaign.sent_at is not None
    control = list(CampaignRecipient.objects.filter(campaign=campaign, arm="control"))
    treatment = list(CampaignRecipient.objects.filter(campaign=campaign, arm="treatment"))
    n_c, n_t = len(control), len(treatment)
    assert n_c + n_t == 20 and n_c > 0 and n_t > 0  # the opted-out customer is left out

    # One treatment buyer (200 paid after 50 off with the campaign coupon), one holdout buyer
    # (100); no cost of goods, commission or logistics: contribution = revenue.
    paid = LAUNCH + timedelta(days=1)
    bought = f.OrderFactory(
        customer_id=treatment[0].customer_id, created_at=paid, paid_at=paid, paid_total=D("200")
    )
    Redemption.objects.create(
        coupon=treatment[0].coupon,
        customer_id=treatment[0].customer_id,
        order=bought,
        discount_amount=D("50"),
    )
    f.OrderFactory(
        customer_id=control[0].customer_id, created_at=paid, paid_at=paid, paid_total=D("100")
    )

    with time_machine.travel(LAUNCH + timedelta(days=3), tick=False):
        progress = client.get(f"/campaigns/{campaign.pk}/progress/").json()
        page = client.get(f"/campaigns/{campaign.pk}/")
        arms_csv = _csv(client.get(f"/campaigns/{campaign.pk}/?export=arms"))
        uplift_csv = _csv(client.get(f"/campaigns/{campaign.pk}/?export=uplift"))
        daily_csv = _csv(client.get(f"/campaigns/{campaign.pk}/?export=daily"))
        listing = client.get("/campaigns/")
    assert progress["percent"] == 100 and progress["done"] is True
    assert progress["message"] == f"{n_t} of {n_t} recipients contacted"

    html = page.content.decode()
    assert "data-progress-url" not in html  # the launch is over
    assert 'data-metric="recipients"' in html and ">20<" in html
    assert 'data-metric="opted_out"' in html
    assert f"holdout (control) {n_c}" in html and f"campaign (treatment) {n_t}" in html
    assert "data-verdict" in html and "data-srm" not in html

    # arms: recipients, contacted, redemptions, redemption rate, converted, conversion,
    # revenue, revenue per customer, contribution, discount cost, contact cost
    assert arms_csv[0].startswith("Arm,Recipients,Contacted,Redemptions")
    assert arms_csv[1].split(",")[:3] == ["holdout (control)", str(n_c), "0"]
    control_row = arms_csv[1].split(",")
    assert [float(v) for v in control_row[5:11]] == pytest.approx(
        [1, 1 / n_c, 100, 100 / n_c, 100, 0]
    )
    row = arms_csv[2].split(",")
    assert row[:5] == ["campaign (treatment)", str(n_t), str(n_t), "1", str(1 / n_t)]
    assert [float(v) for v in row[5:12]] == pytest.approx(
        [1, 1 / n_t, 200, 200 / n_t, 200, 50, 0.5 * n_t]
    )
    assert f"{200 / n_t:,.2f}" in html and "50.00" in html

    uplift = {
        line.split(",")[1]: [float(v) for v in line.split(",")[2:]] for line in uplift_csv[1:]
    }
    assert uplift["Conversion (points)"][0] == pytest.approx(1 / n_t - 1 / n_c)
    incremental = (200 / n_t - 100 / n_c) * n_t
    assert uplift["Incremental contribution"][0] == pytest.approx(incremental)
    roi = (incremental - 0.5 * n_t) / (50 + 0.5 * n_t)
    assert uplift["ROI on contribution"][0] == pytest.approx(roi)
    assert f"{roi * 100:.1f}%" in html

    assert daily_csv[0] == "Date,Arm,Orders,Revenue,Contribution"
    assert sorted(daily_csv[1:]) == [
        "2026-06-16,campaign (treatment),1,200.00,200.00",
        "2026-06-16,holdout (control),1,100.00,100.00",
    ]
    assert "Revenue per day and arm" in html  # the chart of the daily table

    listed = listing.content.decode()
    assert "Spring win-back" in listed and f"{(1 / n_t - 1 / n_c) * 100:.1f}%" in listed


def test_the_progress_bar_follows_a_launch_still_sending(login_as, draft):
    draft.status = "running"
    draft.started_at = LAUNCH
    draft.launch_stats = {
        "planned": True, "audience": 5, "opted_out": 0, "frequency_capped": 0,
        "frequency_cap_days": 7, "recipients": 5, "arms": {"treatment": 4, "control": 1},
        "to_contact": 4,
    }  # fmt: skip
    draft.save()
    for n, customer in enumerate(draft.audience_segment.members.all()[:5]):
        f.CampaignRecipientFactory(
            campaign=draft,
            customer=customer,
            arm="control" if n == 4 else "treatment",
            contacted_at=LAUNCH if n == 0 else None,
        )
    client = login_as("manager")
    page = client.get(f"/campaigns/{draft.pk}/").content.decode()
    assert f'data-progress-url="/campaigns/{draft.pk}/progress/"' in page
    state = client.get(f"/campaigns/{draft.pk}/progress/").json()
    assert (state["percent"], state["done"], state["result_url"]) == (25, False, None)
    assert state["message"] == "1 of 4 recipients contacted"


def test_store_managers_and_analysts_see_but_cannot_launch_or_cancel(
    login_as, draft, django_capture_on_commit_callbacks
):
    for role in ("manager", "analyst"):
        client = login_as(role)
        page = client.get(f"/campaigns/{draft.pk}/")
        assert page.status_code == 200
        assert b"Launch now" not in page.content and b"Cancel campaign" not in page.content
        assert client.post(f"/campaigns/{draft.pk}/launch/").status_code == 403
        assert client.post(f"/campaigns/{draft.pk}/cancel/").status_code == 403
        assert client.get("/campaigns/new/").status_code == 403
        assert b"New campaign" not in client.get("/campaigns/").content
    draft.refresh_from_db()
    assert draft.status == "draft"
    client = login_as("ops")
    assert client.post(f"/campaigns/{draft.pk}/cancel/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "cancelled"


def test_a_user_without_the_permission_gets_403(client, db):
    client.force_login(f.UserFactory(username="nobody"))
    for url in ("/campaigns/", "/experiments/", "/campaigns/new/"):
        assert client.get(url).status_code == 403


def _form(segment, template, **overrides):
    data = {
        "name": "Spring list offer",
        "goal": "win_back",
        "audience_kind": "list",
        "audience_list": segment.pk,
        "coupon_template": template.pk,
        "holdout_percent": "25",
        "attribution_days": "14",
        "cost_per_contact": "0.1",
        "contact_channel": "sms",
        "message": "Hi {{ name }}, {{ offer }}: {{ coupon_code }}",
        "when": "draft",
        "action": "save",
    }
    return {**data, **overrides}


def test_the_wizard_preselects_a_segment_and_estimates_reach_plan_and_message(
    login_as, segment, template
):
    client = login_as("ops")
    first = segment.members.filter(marketing_opt_in=True).order_by("pk").first()
    # contacted two days ago: the 7-day frequency cap holds them back
    Message.objects.create(
        key="earlier:1",
        customer=segment.members.order_by("-pk")[1],
        channel="sms",
        body="earlier",
        sent_at=timezone.now() - timedelta(days=2),
    )
    page = client.get(f"/campaigns/new/?segment={segment.pk}").content.decode()
    assert f'<option value="{segment.pk}" selected>Spring list</option>' in page
    assert 'value="list"' in page and "checked" in page

    preview = client.post("/campaigns/new/", _form(segment, template, action="preview"))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-metric="audience"><div class="label">Audience</div><div class="value">21<' in html
    assert '<div class="value">1</div>' in html  # one opted out, one frequency-capped
    assert (
        'data-metric="reachable"><div class="label">Estimated reach</div><div class="value">19<'
        in html
    )
    assert "14 contacted, 5 in the holdout" in html  # 25% of 19 = 4.75 → 5
    assert f"Hi {first.name}, spend 99, save 50: SAMPLE-CODE" in html
    needed = experiment_sample_plan(baseline_rate=0.05, mde=0.2, audience=0)["needed_per_variant"]
    assert f"{needed:,}" in html  # the sample plan table: per arm at +20%
    assert Campaign.objects.count() == 0


def test_the_wizard_names_each_bad_field_and_saves_nothing(login_as, segment, template):
    client = login_as("ops")
    response = client.post(
        "/campaigns/new/",
        _form(
            segment,
            template,
            audience_list="",
            message="Hi {{ nmae }}",
            holdout_percent="120",
            when="at",
            scheduled_at="2020-01-01T10:00",
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"audience_list", "message", "holdout_percent", "scheduled_at"}
    assert "{{ nmae }}" in form.errors["message"][0]
    assert Campaign.objects.count() == 0


def test_the_wizard_saves_a_draft_and_schedules_through_the_services(login_as, segment, template):
    client = login_as("ops")
    response = client.post("/campaigns/new/", _form(segment, template))
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.status, campaign.audience_segment, campaign.holdout_percent) == (
        "draft",
        segment,
        D("25"),
    )
    assert campaign.contact_channel == "sms" and campaign.created_by.username == "ops"

    at = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    later = _form(segment, template, name="Later", when="at", scheduled_at=f"{at:%Y-%m-%dT%H:%M}")
    refused = client.post("/campaigns/new/", later)  # no SMS gateway is configured here
    assert refused.status_code == 400
    assert "CAMPAIGNS_SMS_GATEWAY_URL" in refused.content.decode()
    client.post("/campaigns/new/", {**later, "contact_channel": "email"})
    later = Campaign.objects.get(name="Later")
    assert later.status == "scheduled" and later.scheduled_at == at


def test_a_user_who_may_create_but_not_launch_can_neither_send_nor_schedule(
    client, segment, template
):
    from django.contrib.auth.models import Permission

    user = f.UserFactory(username="drafter")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "add_campaign"])
    )
    client.force_login(user)
    at = timezone.localtime() + timedelta(days=2)
    for when in ("now", "at"):
        response = client.post(
            "/campaigns/new/",
            _form(segment, template, when=when, scheduled_at=f"{at:%Y-%m-%dT%H:%M}"),
        )
        assert response.status_code == 400
        assert "not launch" in response.context["form"].errors["when"][0]
    assert Campaign.objects.count() == 0
    client.post("/campaigns/new/", _form(segment, template))  # a draft is theirs to save
    assert Campaign.objects.get().status == "draft"


def test_send_now_from_the_wizard_launches(
    login_as, segment, template, django_capture_on_commit_callbacks
):
    client = login_as("ops")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/campaigns/new/", _form(segment, template, when="now", contact_channel="console")
        )
    campaign = Campaign.objects.get()
    assert campaign.status == "running"
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 20


def test_the_campaign_list_filters_by_status_and_exports(login_as, draft):
    f.CampaignFactory(name="Old one", status="completed")
    client = login_as("manager")
    page = client.get("/campaigns/?status=draft").content.decode()
    assert "Spring win-back" in page and "Old one" not in page
    rows = _csv(client.get("/campaigns/?status=completed&export=campaigns"))
    assert len(rows) == 2 and rows[1].startswith("Old one,completed")


def test_empty_states_say_what_to_do(login_as):
    client = login_as("ops")
    assert b"No campaigns yet" in client.get("/campaigns/").content
    assert b'href="/campaigns/new/"' in client.get("/campaigns/").content
    assert b"No experiments yet" in client.get("/experiments/").content


def _experiment_with(sizes: dict[str, tuple[int, int]]):
    """An experiment whose campaign started at LAUNCH; ``sizes``: variant → (customers,
    buyers of 50 on the next day)."""
    experiment = f.ExperimentFactory(name="Subject line test", primary_metric="conversion")
    for name in sizes:
        f.ExperimentVariantFactory(experiment=experiment, name=name, weight=50)
    campaign = f.CampaignFactory(
        experiment=experiment, started_at=LAUNCH, status="running", launch_stats={"planned": True}
    )
    for name, (customers, buyers) in sizes.items():
        for n in range(customers):
            customer = f.CustomerFactory()
            CampaignRecipient.objects.create(
                campaign=campaign, customer=customer, arm=name, contacted_at=LAUNCH
            )
            if n < buyers:
                at = LAUNCH + timedelta(days=1)
                f.OrderFactory(customer=customer, created_at=at, paid_at=at, paid_total=D("50"))
    return experiment


def test_the_experiment_pages_show_sample_progress_and_a_verdict_per_variant(login_as):
    experiment = _experiment_with({"A": (40, 4), "B": (40, 4)})
    needed = experiment_sample_plan(baseline_rate=0.05, mde=0.2, audience=0)["needed_per_variant"]
    client = login_as("analyst")
    with time_machine.travel(LAUNCH + timedelta(days=20), tick=False):
        listing = client.get("/experiments/").content.decode()
        page = client.get(f"/experiments/{experiment.pk}/").content.decode()
        rows = _csv(client.get(f"/experiments/{experiment.pk}/?export=variants"))
    assert "Subject line test" in listing and f"{2 * needed:,}" in listing
    assert "Baseline: the other variants are compared with it." in page
    assert "No difference in conversion so far." in page
    assert "data-srm" not in page
    a = rows[1].split(",")
    assert a[0] == "A" and a[3] == "40" and a[4] == str(needed)
    assert float(a[5]) == pytest.approx(40 / needed)
    assert a[8:10] == ["4", "0.1"]


def test_a_broken_split_is_flagged_on_the_experiment(login_as):
    experiment = _experiment_with({"A": (60, 6), "B": (20, 2)})
    with time_machine.travel(LAUNCH + timedelta(days=20), tick=False):
        page = login_as("ops").get(f"/experiments/{experiment.pk}/").content.decode()
    assert "data-srm" in page and "The split is broken" in page


def _started_campaigns(n: int):
    for _ in range(n):
        campaign = f.CampaignFactory(
            status="completed", started_at=LAUNCH, launch_stats={"planned": True, "recipients": 2}
        )
        f.CampaignRecipientFactory(campaign=campaign, arm="control")
        f.CampaignRecipientFactory(campaign=campaign, arm="treatment", contacted_at=LAUNCH)


def test_pages_read_a_bounded_number_of_queries(login_as, draft, django_assert_max_num_queries):
    client = login_as("manager")
    _started_campaigns(3)
    client.get("/campaigns/")  # fills the report cache
    with django_assert_max_num_queries(12):
        assert client.get("/campaigns/").status_code == 200
    _started_campaigns(4)
    client.get("/campaigns/")
    with django_assert_max_num_queries(12):  # the same with more campaigns
        assert client.get("/campaigns/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/campaigns/{draft.pk}/").status_code == 200
    _experiment_with({"A": (5, 1), "B": (5, 1)})
    with django_assert_max_num_queries(10):
        assert client.get("/experiments/").status_code == 200
