"""The campaign report on a fixture small enough to check on paper, and the uplift
intervals cross-checked against scipy."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from analytics.metrics.uplift import uplift
from campaigns.models import CampaignRecipient, Redemption
from campaigns.selectors import campaign_report, experiment_result, experiment_sample_plan
from tests import factories as f

pytestmark = pytest.mark.django_db
START = timezone.make_aware(datetime(2026, 5, 1, 10))


def order(customer, total, *, days=1, status="completed", cogs=None):
    at = START + timedelta(days=days)
    paid = at if status in ("paid", "shipped", "completed") else None
    o = f.OrderFactory(customer=customer, status=status, created_at=at, paid_at=paid,
                       paid_total=D(total), goods_total=D(total))  # fmt: skip
    if cogs is not None:
        f.OrderLineFactory(order=o, quantity=2, unit_price=D(total) / 2, unit_cost=D(cogs) / 2)
    return o


@pytest.fixture
def campaign():
    """Holdout c1..c4: c1 spends 100. Treatment t1..t6, all contacted with a coupon:
    t1 spends 200 (cost of goods 80) using its coupon for 20 off; t2 spends 150; t3 buys
    only after the 14-day window; t4 spends 120 and gets 30 refunded; t5's order is
    pending; t6 buys nothing."""
    campaign = f.CampaignFactory(
        started_at=START, status="running", attribution_days=14, holdout_percent=D("40"),
        cost_per_contact=D("0.5"), launch_stats={"planned": True},
    )  # fmt: skip
    control = [f.CustomerFactory() for _ in range(4)]
    treatment = [f.CustomerFactory() for _ in range(6)]
    for c in control:
        CampaignRecipient.objects.create(campaign=campaign, customer=c, arm="control")
    coupons = {}
    for c in treatment:
        coupons[c] = f.CouponFactory(customer=c, template=campaign.coupon_template)
        CampaignRecipient.objects.create(
            campaign=campaign, customer=c, arm="treatment", coupon=coupons[c], contacted_at=START
        )
    order(control[0], "100")
    t1 = order(treatment[0], "200", cogs="80")
    Redemption.objects.create(coupon=coupons[treatment[0]], customer=treatment[0], order=t1,
                              discount_amount=D("20"))  # fmt: skip
    order(treatment[1], "150", days=13)
    order(treatment[2], "80", days=20)
    t4 = order(treatment[3], "120")
    f.ReturnFactory(order=t4, order_line=f.OrderLineFactory(order=t4, unit_cost=0),
                    refund_amount=D("30"))  # fmt: skip
    order(treatment[4], "60", status="pending")
    return campaign


def test_report_arms_on_paper(campaign):
    report = campaign_report(campaign, as_of=START + timedelta(days=30))
    control, treatment = report.arms
    assert (control.arm, control.recipients, control.conversions, control.revenue) == (
        "control",
        4,
        1,
        100.0,
    )
    assert control.conversion_rate == 0.25 and control.revenue_per_customer == 25.0
    assert (treatment.recipients, treatment.contacted, treatment.conversions) == (6, 6, 3)
    assert treatment.revenue == 440.0  # 200 + 150 + (120 − 30); t3 after the window
    assert treatment.contribution == 360.0  # t1's 80 cost of goods out
    assert (treatment.redemptions, treatment.discount_cost, treatment.contact_cost) == (
        1,
        20.0,
        3.0,
    )
    assert treatment.redemption_rate == pytest.approx(1 / 6)
    lift = report.uplift["treatment"]
    assert lift.conversion.estimate == pytest.approx(0.5 - 0.25)
    assert lift.revenue_per_customer.estimate == pytest.approx(440 / 6 - 25)
    assert lift.incremental_revenue.estimate == pytest.approx((440 / 6 - 25) * 6)  # 290
    assert lift.incremental_contribution.estimate == pytest.approx((60 - 25) * 6)  # 210
    assert lift.cost == 23.0
    assert lift.roi.estimate == pytest.approx((210 - 3) / 23)  # 9.0
    assert report.window_complete
    assert report.verdict.text.startswith("not enough data")
    daily = report.daily.set_index(["date", "arm"])
    assert daily.loc[(START.date() + timedelta(days=1), "treatment"), "orders"] == 2
    assert daily["revenue"].sum() == 540.0


def test_report_before_the_window_ends_counts_orders_so_far(campaign):
    report = campaign_report(campaign, as_of=START + timedelta(days=5))
    treatment = report.arms[1]
    assert treatment.revenue == 290.0 and not report.window_complete  # t2 bought on day 13


def test_a_reversed_redemption_is_not_counted(campaign):
    Redemption.objects.update(reversed_at=START + timedelta(days=3))
    assert campaign_report(campaign, as_of=START + timedelta(days=30)).arms[1].redemptions == 0


def test_uplift_intervals_match_scipy():
    rng = np.random.default_rng(3)
    hold = {"converted": rng.integers(0, 2, 300), "revenue": rng.gamma(2, 30, 300)}
    arm = {"converted": rng.integers(0, 2, 900), "revenue": rng.gamma(2, 36, 900)}
    hold["contribution"], arm["contribution"] = hold["revenue"] * 0.3, arm["revenue"] * 0.3
    result = uplift(arm, hold, discount_cost=500, contact_cost=100)
    reference = stats.ttest_ind(arm["revenue"], hold["revenue"], equal_var=False)
    low, high = reference.confidence_interval(0.95)
    assert result.revenue_per_customer.low == pytest.approx(low)
    assert result.revenue_per_customer.high == pytest.approx(high)
    assert result.revenue_p_value == pytest.approx(reference.pvalue)
    assert result.incremental_revenue.low == pytest.approx(low * 900)
    c_ref = stats.ttest_ind(arm["contribution"], hold["contribution"], equal_var=False)
    c_low, c_high = c_ref.confidence_interval(0.95)
    assert result.roi.low == pytest.approx((c_low * 900 - 100) / 600)
    assert result.roi.high == pytest.approx((c_high * 900 - 100) / 600)


def test_experiment_result_compares_variants_on_the_primary_metric():
    experiment = f.ExperimentFactory(primary_metric="conversion")
    f.ExperimentVariantFactory(experiment=experiment, name="A", weight=50)
    f.ExperimentVariantFactory(experiment=experiment, name="B", weight=50)
    campaign = f.CampaignFactory(experiment=experiment, started_at=START, status="running",
                                 launch_stats={"planned": True})  # fmt: skip
    for arm, buyers in (("A", 100), ("B", 160)):
        for n in range(1000):
            customer = f.CustomerFactory.build()
            customer.save()
            CampaignRecipient.objects.create(campaign=campaign, customer=customer, arm=arm,
                                             contacted_at=START)  # fmt: skip
            if n < buyers:
                order(customer, "50")
    result = experiment_result(experiment, as_of=START + timedelta(days=20))
    assert [(v.arm, v.recipients, v.conversions) for v in result.variants] == [
        ("A", 1000, 100),
        ("B", 1000, 160),
    ]
    verdict = result.comparisons["B"]
    assert verdict.winner == "B" and verdict.text.startswith("B converts better")
    assert not result.sample_ratio_mismatch


def test_sample_plan_before_launch():
    plan = experiment_sample_plan(baseline_rate=0.05, mde=0.2, audience=20_000, variants=2,
                                  holdout_percent=10)  # fmt: skip
    assert plan["available_per_variant"] == 9000
    assert plan["needed_per_variant"] == 8158  # statsmodels: 8157.7 → 8158
    assert plan["enough"]
    assert 0.19 < plan["minimum_detectable_lift"] < 0.2


def test_group_report_on_paper():
    from campaigns.selectors import group_report

    group = f.CommunityGroupFactory()
    end = START + timedelta(days=30)
    a = f.GroupMembershipFactory(group=group, joined_at=START - timedelta(days=60)).customer
    b = f.GroupMembershipFactory(
        group=group, joined_at=START + timedelta(days=3), role="koc"
    ).customer
    gone = f.GroupMembershipFactory(group=group, joined_at=START - timedelta(days=60),
                                    left_at=START + timedelta(days=5)).customer  # fmt: skip
    order(a, "100")
    t = order(a, "50", days=2)
    f.ReturnFactory(order=t, order_line=f.OrderLineFactory(order=t), refund_amount=D("10"))
    order(b, "70", days=10)
    order(gone, "999", days=1)  # no longer a member at the end: not the group's
    order(a, "40", days=40)  # after the period
    template = f.CouponTemplateFactory(group=group)
    Redemption.objects.create(coupon=f.CouponFactory(template=template, customer=b), customer=b,
                              order=order(b, "30", days=11), discount_amount=D("12"),
                              redeemed_at=START + timedelta(days=11))  # fmt: skip
    report = group_report(group, start=START, end=end)
    assert (report.members, report.kocs, report.joined, report.left) == (2, 1, 1, 1)
    assert (report.active_buyers, report.orders) == (2, 4)
    assert report.revenue == D("240")  # 100 + 50 − 10 + 70 + 30
    assert (report.redemptions, report.exclusive_discount) == (1, D("12"))
