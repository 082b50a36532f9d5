"""Reads of the campaigns app: the campaign report (uplift over the holdout) and the
experiment result, for the admin, the pages and the API.

The attribution window of a campaign runs from its start for ``attribution_days``; every
arm, holdout included, is measured over the same window, so the comparison is fair. A
recipient *converts* with a paid order in the window; revenue is net of refunds;
contribution is net revenue − cost of goods − channel commission − logistics
(DESIGN §3). Redemptions count the recipient's campaign coupon used on an order and not
reversed. The math is in ``analytics.metrics.uplift`` and ``campaigns.verdicts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from analytics import loaders
from analytics.metrics.profit import order_contribution
from analytics.metrics.stats import (
    min_sample_size_proportions,
    minimum_detectable_effect,
    srm_check,
)
from analytics.metrics.uplift import Uplift, uplift
from analytics.selectors import segment_members
from campaigns.assignment import CONTROL, TREATMENT, Split
from campaigns.models import (
    Campaign,
    CampaignRecipient,
    Experiment,
    ExperimentVariant,
    Message,
    Redemption,
)
from campaigns.verdicts import Verdict, conversion_verdict, revenue_verdict
from catalog.models import Order, Return
from customers.models import Customer, GroupMembership

PAID = tuple(str(s) for s in Order.PAID_STATUSES)


@dataclass(frozen=True)
class ArmResult:
    arm: str
    recipients: int
    contacted: int
    redemptions: int
    redemption_rate: float  # redemptions / contacted
    conversions: int
    conversion_rate: float
    orders: int
    revenue: float
    revenue_per_customer: float
    contribution: float
    contribution_per_customer: float
    discount_cost: float
    contact_cost: float


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    start: datetime | None
    end: datetime | None
    window_complete: bool
    arms: list[ArmResult]
    uplift: dict[str, Uplift]  # arm → its uplift over the holdout
    verdict: Verdict | None
    sample_ratio_mismatch: bool
    daily: pd.DataFrame  # date, arm, orders, revenue, contribution


def _window(campaign: Campaign, as_of: datetime) -> tuple[datetime | None, datetime | None]:
    if campaign.started_at is None:
        return None, None
    end = campaign.started_at + timedelta(days=campaign.attribution_days)
    return campaign.started_at, min(end, as_of)


def recipient_outcomes(campaign_ids: list[int], start: datetime, end: datetime):
    """One row per recipient (customer_id, arm, contacted, coupon_id, converted, orders,
    revenue, contribution, redemptions, discount) and one row per attributed order
    (customer_id, arm, paid_at local, revenue, contribution)."""
    recipients = pd.DataFrame.from_records(
        CampaignRecipient.objects.filter(campaign_id__in=campaign_ids).values_list(
            "customer_id", "arm", "contacted_at", "coupon_id"
        ),
        columns=["customer_id", "arm", "contacted_at", "coupon_id"],
    )
    recipients["contacted"] = recipients.pop("contacted_at").notna().astype(int)
    # The days of the window through the analytics loader (one definition of net revenue
    # and contribution, DESIGN §3), then exactly [start, end) in local time.
    orders = order_contribution(
        loaders.paid_orders(as_of=timezone.localdate(end), since=timezone.localdate(start))
    )
    local = [timezone.localtime(moment).replace(tzinfo=None) for moment in (start, end)]
    orders = orders[(orders["paid_at"] >= local[0]) & (orders["paid_at"] < local[1])]
    orders = orders.rename(columns={"net_revenue": "revenue"})[
        ["order_id", "customer_id", "paid_at", "revenue", "contribution"]
    ]
    orders = orders.merge(recipients[["customer_id", "arm"]], on="customer_id", how="inner")
    per_customer = orders.groupby("customer_id").agg(
        orders=("order_id", "size"),
        revenue=("revenue", "sum"),
        contribution=("contribution", "sum"),
    )
    redeemed = pd.DataFrame.from_records(
        Redemption.objects.filter(
            coupon__recipient__campaign_id__in=campaign_ids,
            reversed_at__isnull=True,
            order__status__in=PAID,
        )
        .values("coupon_id")
        .annotate(n=Count("id"), discount=Sum("discount_amount"))
        .values_list("coupon_id", "n", "discount"),
        columns=["coupon_id", "redemptions", "discount"],
    )
    redeemed["discount"] = redeemed["discount"].astype("float64")
    rows = recipients.merge(per_customer, left_on="customer_id", right_index=True, how="left")
    rows = rows.merge(redeemed, on="coupon_id", how="left")
    rows = rows.fillna(
        {"orders": 0, "revenue": 0.0, "contribution": 0.0, "redemptions": 0, "discount": 0.0}
    )
    rows["converted"] = (rows["orders"] > 0).astype(int)
    return rows, orders


def _arm_result(arm: str, rows: pd.DataFrame, cost_per_contact: float) -> ArmResult:
    n = len(rows)
    contacted = int(rows["contacted"].sum())
    redemptions = int(rows["redemptions"].sum())
    conversions = int(rows["converted"].sum())
    revenue = float(rows["revenue"].sum())
    contribution = float(rows["contribution"].sum())
    return ArmResult(
        arm=arm,
        recipients=n,
        contacted=contacted,
        redemptions=redemptions,
        redemption_rate=redemptions / contacted if contacted else 0.0,
        conversions=conversions,
        conversion_rate=conversions / n if n else 0.0,
        orders=int(rows["orders"].sum()),
        revenue=round(revenue, 2),
        revenue_per_customer=revenue / n if n else 0.0,
        contribution=round(contribution, 2),
        contribution_per_customer=contribution / n if n else 0.0,
        discount_cost=round(float(rows["discount"].sum()), 2),
        contact_cost=round(contacted * cost_per_contact, 2),
    )


def _arrays(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: rows[c].to_numpy(dtype="float64") for c in ("converted", "revenue", "contribution")}


def campaign_report(campaign: Campaign, *, as_of: datetime | None = None) -> CampaignReport:
    """Every arm's outcome over the attribution window (up to ``as_of``, default now) and
    each arm's uplift over the holdout, with intervals and a verdict in words."""
    as_of = as_of or timezone.now()
    start, end = _window(campaign, as_of)
    empty_daily = pd.DataFrame(columns=["date", "arm", "orders", "revenue", "contribution"])
    if start is None or not campaign.launch_stats.get("planned"):
        return CampaignReport(campaign, start, end, False, [], {}, None, False, empty_daily)
    rows, orders = recipient_outcomes([campaign.pk], start, end)
    cost = float(campaign.cost_per_contact)
    order = [CONTROL, TREATMENT, *sorted(set(rows["arm"]) - {CONTROL, TREATMENT})]
    by_arm = {arm: rows[rows["arm"] == arm] for arm in order if (rows["arm"] == arm).any()}
    arms = [_arm_result(arm, part, cost) for arm, part in by_arm.items()]
    results = {a.arm: a for a in arms}
    uplifts = {}
    if CONTROL in by_arm:
        for arm, part in by_arm.items():
            if arm != CONTROL:
                uplifts[arm] = uplift(
                    _arrays(part), _arrays(by_arm[CONTROL]),
                    discount_cost=results[arm].discount_cost, contact_cost=results[arm].contact_cost,
                )  # fmt: skip
    verdict = None
    srm = False
    shares = _split_of(campaign).expected_shares()
    present = [arm for arm in shares if arm in by_arm]
    if len(present) >= 2:
        srm = srm_check([len(by_arm[a]) for a in present], [shares[a] for a in present]).mismatch
    if CONTROL in by_arm and TREATMENT in by_arm:
        holdout = float(campaign.holdout_percent) / 100
        verdict = conversion_verdict(
            a=("the holdout", results[CONTROL].conversions, results[CONTROL].recipients),
            b=("the campaign", results[TREATMENT].conversions, results[TREATMENT].recipients),
            allocation=(holdout, 1 - holdout),
        )
    daily = empty_daily
    if len(orders):
        orders["date"] = orders["paid_at"].dt.date
        daily = (
            orders.groupby(["date", "arm"])
            .agg(
                orders=("order_id", "size"),
                revenue=("revenue", "sum"),
                contribution=("contribution", "sum"),
            )
            .reset_index()
        )
    complete = start + timedelta(days=campaign.attribution_days) <= as_of
    return CampaignReport(campaign, start, end, complete, arms, uplifts, verdict, srm, daily)


REPORT_CACHE_SECONDS = 600


def campaign_report_cached(campaign: Campaign) -> CampaignReport:
    """``campaign_report`` as of now, kept for ``REPORT_CACHE_SECONDS`` (pages read it on
    every view; the report scans the attribution window's orders). The key holds the
    campaign's ``updated_at``, so a launch, cancel or completion is shown at once; late
    orders appear within the cache time."""
    key = f"campaign-report:{campaign.pk}:{campaign.updated_at.timestamp()}"
    report = cache.get(key)
    if report is None:
        report = campaign_report(campaign)
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


@dataclass(frozen=True)
class CampaignsRoi:
    campaigns: int  # campaigns started in the period with a holdout to compare with
    incremental_contribution: float
    cost: float  # discounts + contact costs of the treatment arms
    roi: float  # (incremental contribution − contact cost) / cost; NaN without cost


def campaigns_roi(*, start: datetime, end: datetime) -> CampaignsRoi:
    """Campaign ROI of the cockpit: over the campaigns started in ``[start, end)`` that
    have a holdout, the treatment arms' incremental contribution (point estimates of each
    campaign's uplift report) against what they cost, on the same definition as one
    campaign's ROI (DESIGN §3)."""
    started = Campaign.objects.filter(
        started_at__gte=start, started_at__lt=end, holdout_percent__gt=0
    ).exclude(status=Campaign.Status.DRAFT)
    incremental = contact = cost = 0.0
    counted = 0
    for campaign in started.order_by("started_at"):
        report = campaign_report_cached(campaign)
        if not report.uplift:
            continue
        counted += 1
        arms = {a.arm: a for a in report.arms}
        for arm, result in report.uplift.items():
            incremental += result.incremental_contribution.estimate
            contact += arms[arm].contact_cost
            cost += result.cost
    roi = (incremental - contact) / cost if cost else float("nan")
    return CampaignsRoi(counted, incremental, cost, roi)


def _split_of(campaign: Campaign) -> Split:
    if campaign.experiment_id is None:
        return Split(holdout_percent=campaign.holdout_percent)
    variants = list(campaign.experiment.variants.values_list("name", "weight"))
    return Split(
        holdout_percent=campaign.holdout_percent,
        variants=variants,
        allocation_percent=campaign.experiment.allocation_percent,
    )


# --- Audiences ---------------------------------------------------------------------------


def campaign_audience(campaign: Campaign, *, at: datetime | None = None) -> QuerySet[Customer]:
    """Everyone the campaign is addressed to, before opt-outs and the frequency cap."""
    kind = campaign.audience_kind
    if kind in (Campaign.AudienceKind.SEGMENT, Campaign.AudienceKind.LIST):
        as_of = timezone.localdate(at) if at else None
        return segment_members(segment=campaign.audience_segment, as_of=as_of)
    if kind == Campaign.AudienceKind.GROUP:
        members = GroupMembership.objects.filter(
            group_id=campaign.audience_group_id, left_at__isnull=True
        )
        return Customer.objects.filter(pk__in=members.values("customer_id"))
    return Customer.objects.filter(tier_id=campaign.audience_tier_id)


def contacted_since(cutoff: datetime) -> QuerySet:
    """Messages sent at or after ``cutoff`` (for the frequency cap)."""
    return Message.objects.filter(sent_at__gte=cutoff, status=Message.Status.SENT)


def campaign_reachable(campaign: Campaign, *, at: datetime) -> Reachable:
    """Who the campaign would reach if it launched ``at``: its audience without opted-out
    customers and without those contacted within ``CAMPAIGNS["FREQUENCY_CAP_DAYS"]``
    (the launch snapshot and the create page's estimate use this one definition)."""
    from django.conf import settings

    cap_days = settings.CAMPAIGNS["FREQUENCY_CAP_DAYS"]
    recent = contacted_since(at - timedelta(days=cap_days)) if cap_days else None
    return reachable(campaign_audience(campaign, at=at), recent)


def campaign_list(*, status: str = "") -> QuerySet[Campaign]:
    """Campaigns, newest first, with what a list shows (audience, offer, experiment) in
    the same query; ``status`` narrows to one status."""
    campaigns = Campaign.objects.select_related(
        "audience_segment", "audience_group", "audience_tier", "coupon_template", "experiment"
    ).order_by("-created_at", "-id")
    return campaigns.filter(status=status) if status else campaigns


@dataclass(frozen=True)
class Reachable:
    everyone: int
    opted_out: int
    held_back: int  # by the frequency cap or a cool-down (opted-out ones not counted twice)
    eligible: list[int]  # customer ids, ascending


def reachable(audience: QuerySet[Customer], held_back: QuerySet | None = None) -> Reachable:
    """The audience without opted-out customers and without those with a row in
    ``held_back`` (messages, automation triggers... anything with a ``customer_id``), in
    one query."""
    rows = audience.order_by("pk")
    if held_back is None:
        triples = [
            (pk, opted_in, False) for pk, opted_in in rows.values_list("pk", "marketing_opt_in")
        ]
    else:
        held = Exists(held_back.filter(customer_id=OuterRef("pk")))
        triples = list(rows.annotate(held=held).values_list("pk", "marketing_opt_in", "held"))
    opted_out = sum(1 for _, opted_in, _ in triples if not opted_in)
    held = sum(1 for _, opted_in, is_held in triples if opted_in and is_held)
    eligible = [pk for pk, opted_in, is_held in triples if opted_in and not is_held]
    return Reachable(len(triples), opted_out, held, eligible)


# --- Experiments ------------------------------------------------------------------------


def experiment_list() -> list[Experiment]:
    """Experiments, newest first, each with ``variant_names`` (ordered), ``campaign_count``
    and ``recipients`` (customers assigned to a variant so far, over its campaigns): three
    queries whatever the number of experiments."""
    experiments = list(
        Experiment.objects.annotate(campaign_count=Count("campaigns", distinct=True)).order_by(
            "-created_at", "-id"
        )
    )
    names: dict[int, list[str]] = {}
    for experiment_id, name in ExperimentVariant.objects.filter(
        experiment__in=experiments
    ).values_list("experiment_id", "name"):
        names.setdefault(experiment_id, []).append(name)
    assigned = dict(
        CampaignRecipient.objects.filter(campaign__experiment__in=experiments)
        .exclude(arm__in=(CONTROL, TREATMENT))
        .values("campaign__experiment_id")
        .annotate(n=Count("id"))
        .values_list("campaign__experiment_id", "n")
    )
    for experiment in experiments:
        experiment.variant_names = sorted(names.get(experiment.pk, []))
        experiment.recipients = assigned.get(experiment.pk, 0)
    return experiments


@dataclass(frozen=True)
class ExperimentResult:
    experiment: Experiment
    variants: list[ArmResult]
    comparisons: dict[str, Verdict]  # variant → verdict against the first variant
    sample_ratio_mismatch: bool
    baseline: str | None


def experiment_result(experiment: Experiment, *, as_of: datetime | None = None) -> ExperimentResult:
    """Each variant's outcome (over its campaigns' attribution windows) and a verdict for
    every variant against the first one, on the experiment's primary metric."""
    as_of = as_of or timezone.now()
    variants = list(experiment.variants.order_by("name"))
    names = [v.name for v in variants]
    campaigns = [c for c in experiment.campaigns.all() if c.started_at is not None]
    if not campaigns or len(variants) < 2:
        return ExperimentResult(experiment, [], {}, False, None)
    parts = []
    for campaign in campaigns:
        start, end = _window(campaign, as_of)
        rows, _ = recipient_outcomes([campaign.pk], start, end)
        parts.append(rows.assign(cost=float(campaign.cost_per_contact)))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["arm"].isin(names)]
    cost = float(campaigns[0].cost_per_contact)
    results = [_arm_result(name, rows[rows["arm"] == name], cost) for name in names]
    sizes = [r.recipients for r in results]
    weights = [float(v.weight) for v in variants]
    srm = sum(sizes) > 0 and all(w > 0 for w in weights) and srm_check(sizes, weights).mismatch
    baseline = results[0]
    comparisons = {}
    for variant, result in zip(variants[1:], results[1:], strict=True):
        if not baseline.recipients or not result.recipients:
            continue
        allocation = (float(variants[0].weight), float(variant.weight))
        if experiment.primary_metric == Experiment.Metric.REVENUE_PER_USER:
            comparisons[variant.name] = revenue_verdict(
                a=(baseline.arm, rows[rows["arm"] == baseline.arm]["revenue"].to_numpy()),
                b=(result.arm, rows[rows["arm"] == result.arm]["revenue"].to_numpy()),
                allocation=allocation,
            )
        else:
            comparisons[variant.name] = conversion_verdict(
                a=(baseline.arm, baseline.conversions, baseline.recipients),
                b=(result.arm, result.conversions, result.recipients),
                allocation=allocation,
            )
    return ExperimentResult(experiment, results, comparisons, srm, baseline.arm)


def experiment_sample_plan(
    *, baseline_rate: float, mde: float, audience: int, variants: int = 2,
    allocation_percent: float = 100, holdout_percent: float = 0, alpha: float = 0.05,
    power: float = 0.8,
) -> dict:  # fmt: skip
    """Before launch: customers needed per variant to detect a relative lift ``mde`` on
    ``baseline_rate``, what this audience gives per variant, and the smallest lift it can
    detect."""
    needed = min_sample_size_proportions(baseline_rate, mde, alpha=alpha, power=power)
    per_variant = int(audience * (1 - holdout_percent / 100) * allocation_percent / 100 / variants)
    detectable = (
        minimum_detectable_effect(baseline_rate, per_variant, alpha=alpha, power=power)
        if per_variant > 1
        else float("nan")
    )
    return {
        "needed_per_variant": needed.n_a,
        "needed_total": needed.n_a * variants,
        "available_per_variant": per_variant,
        "enough": per_variant >= needed.n_a,
        "minimum_detectable_lift": detectable,
    }


def campaign_sample_plan(campaign: Campaign) -> dict | None:
    """The sample plan of a draft: its audience (the segment's cached count, or the group's
    or tier's members), split as the campaign will split it, against the planned effect
    ``CAMPAIGNS["PLANNED_LIFT"]`` on ``CAMPAIGNS["BASELINE_CONVERSION"]``. Compared arms are
    the variants of an experiment, or the treatment and the holdout."""
    from django.conf import settings

    if campaign.audience_target_id is None:
        return None
    audience = None
    if campaign.audience_kind in (Campaign.AudienceKind.SEGMENT, Campaign.AudienceKind.LIST):
        audience = campaign.audience_segment.member_count  # the segment's cached count
    if audience is None:
        audience = campaign_audience(campaign).count()
    baseline = settings.CAMPAIGNS["BASELINE_CONVERSION"]
    lift = settings.CAMPAIGNS["PLANNED_LIFT"]
    holdout = float(campaign.holdout_percent)
    if campaign.experiment_id:
        variants = max(2, campaign.experiment.variants.count())
        plan = experiment_sample_plan(
            baseline_rate=baseline, mde=lift, audience=audience, variants=variants,
            allocation_percent=float(campaign.experiment.allocation_percent),
            holdout_percent=holdout,
        )  # fmt: skip
    else:  # treatment vs holdout: the holdout is the smaller arm
        smaller = int(audience * min(holdout, 100 - holdout) / 100)
        plan = experiment_sample_plan(baseline_rate=baseline, mde=lift, audience=2 * smaller)
    return {**plan, "audience": audience, "baseline_rate": baseline, "planned_lift": lift}


# --- Community groups -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupReport:
    group_id: int
    members: int  # active at the end of the period
    kocs: int
    joined: int  # in the period
    left: int
    active_buyers: int  # members with a paid order in the period
    orders: int
    revenue: Decimal  # net of refunds
    redemptions: int  # coupons of the group's exclusive templates used in the period
    exclusive_discount: Decimal


def group_report(group, *, start: datetime, end: datetime) -> GroupReport:
    """A community group over [start, end): its members, how many bought and for how much
    (orders of customers who were members at the end), and its exclusive offers' use."""
    return group_reports([group], start=start, end=end)[group.pk]


def group_reports(groups, *, start: datetime, end: datetime) -> dict[int, GroupReport]:
    """:func:`group_report` for many groups at once, by group id: four grouped queries
    whatever the number of groups (the group list page)."""
    ids = [g.pk if hasattr(g, "pk") else g for g in groups]
    active_at_end = Q(joined_at__lt=end) & (Q(left_at__isnull=True) | Q(left_at__gte=end))
    flows = {
        row["group_id"]: row
        for row in GroupMembership.objects.filter(group_id__in=ids)
        .values("group_id")
        .annotate(
            members=Count("id", filter=active_at_end),
            kocs=Count("id", filter=active_at_end & Q(role=GroupMembership.Role.KOC)),
            joined=Count("id", filter=Q(joined_at__gte=start, joined_at__lt=end)),
            left=Count("id", filter=Q(left_at__gte=start, left_at__lt=end)),
        )
    }
    # Orders of the customers who were members at the end; one filter() call, so the
    # membership conditions all apply to the same membership row.
    member_at_end = Q(
        Q(customer__memberships__left_at__isnull=True) | Q(customer__memberships__left_at__gte=end),
        customer__memberships__group_id__in=ids,
        customer__memberships__joined_at__lt=end,
    )
    orders = Order.objects.paid().filter(member_at_end, paid_at__gte=start, paid_at__lt=end)
    sales = {
        row["customer__memberships__group_id"]: row
        for row in orders.values("customer__memberships__group_id").annotate(
            n=Count("id"), buyers=Count("customer_id", distinct=True), paid=Sum("paid_total")
        )
    }
    # Refunds of those orders, grouped through the same membership row.
    refunds = dict(
        Return.objects.filter(
            Q(order__customer__memberships__left_at__isnull=True)
            | Q(order__customer__memberships__left_at__gte=end),
            order__customer__memberships__group_id__in=ids,
            order__customer__memberships__joined_at__lt=end,
            order__status__in=PAID,
            order__paid_at__gte=start,
            order__paid_at__lt=end,
        )
        .values("order__customer__memberships__group_id")
        .annotate(s=Sum("refund_amount"))
        .values_list("order__customer__memberships__group_id", "s")
    )
    used = {
        row["coupon__template__group_id"]: row
        for row in Redemption.objects.filter(
            coupon__template__group_id__in=ids,
            reversed_at__isnull=True,
            redeemed_at__gte=start,
            redeemed_at__lt=end,
        )
        .values("coupon__template__group_id")
        .annotate(n=Count("id"), discount=Sum("discount_amount"))
    }
    reports = {}
    for pk in ids:
        flow, sale, use = flows.get(pk, {}), sales.get(pk, {}), used.get(pk, {})
        reports[pk] = GroupReport(
            group_id=pk,
            members=flow.get("members", 0),
            kocs=flow.get("kocs", 0),
            joined=flow.get("joined", 0),
            left=flow.get("left", 0),
            active_buyers=sale.get("buyers") or 0,
            orders=sale.get("n") or 0,
            revenue=(sale.get("paid") or Decimal(0)) - (refunds.get(pk) or Decimal(0)),
            redemptions=use.get("n") or 0,
            exclusive_discount=use.get("discount") or Decimal(0),
        )
    return reports
