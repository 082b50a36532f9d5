"""Campaigns: schedule, launch, fan out in chunks, cancel, resume, complete.

A launch happens in three steps, each safe to repeat:

1. :func:`campaign_launch` (a person, or the tick for a scheduled campaign) moves the
   campaign to *running* under a row lock and queues the plan.
2. :func:`campaign_plan` snapshots the audience once: opted-out customers and those
   contacted within the frequency cap are left out (and counted), the rest are split into
   arms by a hash of (campaign, customer) and written as ``CampaignRecipient`` rows — all
   in one transaction, so a plan either happened completely or not at all. It then queues
   one :func:`campaign_send_chunk` per ``CHUNK_SIZE`` treatment recipients not yet
   contacted.
3. :func:`campaign_send_chunk` locks its recipients (``SKIP LOCKED``), skips any already
   contacted, issues their coupons, renders and sends their messages and marks them
   contacted — one transaction. A chunk that runs twice, or two copies at once, issues
   nothing twice: the lock and the ``contacted_at IS NULL`` filter see to it, and each
   message has a unique key.

A worker killed mid-launch leaves some chunks undone: Redis re-delivers their tasks
(``acks_late``), and :func:`campaigns_resume_stalled` (run by the tick every minute and
at worker start-up) re-plans launches that made no progress for ``STALL_SECONDS``.

Delivery through an outside gateway happens inside the chunk's transaction, before the
commit; if the commit then fails, the retried chunk sends again. Coupons and the message
log are exactly-once; an outside SMS may, in that rare case, arrive twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from analytics.writers import insert_frame
from campaigns.assignment import CONTROL, TREATMENT, Split, assign
from campaigns.channels import backend_for, channel_problem
from campaigns.messages import validate_message
from campaigns.models import (
    Campaign,
    CampaignRecipient,
    CouponTemplate,
    Experiment,
    ExperimentVariant,
)
from campaigns.selectors import campaign_reachable
from campaigns.services.delivery import prepare, save_contacts, send_and_record
from customers.audit import audit_record
from customers.errors import ServiceError

S = Campaign.Status


class CampaignError(ServiceError):
    INVALID_STATE = "invalid_state"
    INVALID = "invalid"


def _setting(name: str):
    return settings.CAMPAIGNS[name]


# --- Checks ----------------------------------------------------------------------------


def campaign_problems(campaign: Campaign) -> list[str]:
    """What stops ``campaign`` from launching, in words (empty when it can launch)."""
    problems = []
    if campaign.audience_target_id is None:
        problems.append(f"choose the {campaign.get_audience_kind_display()} to send to")
    if campaign.coupon_template_id is None and not campaign.message.strip():
        problems.append("give the campaign an offer (coupon template) or a message")
    channel = channel_problem(campaign.contact_channel)
    if channel:
        problems.append(channel)
    if campaign.coupon_template_id and not campaign.coupon_template.active:
        problems.append(f"the coupon template {campaign.coupon_template} is not active")
    texts = [campaign.message]
    if campaign.experiment_id:
        variants = list(campaign.experiment.variants.all())
        if len(variants) < 2:
            problems.append(f"the experiment {campaign.experiment} needs at least two variants")
        try:
            _split(campaign, variants)
        except ValueError as error:
            problems.append(str(error))
        texts += [variant.message for variant in variants]
    for text in texts:
        try:
            validate_message(text)
        except ValueError as error:
            problems.append(f"message: {error}")
    return problems


def _split(campaign: Campaign, variants=None) -> Split:
    if campaign.experiment_id is None:
        return Split(holdout_percent=campaign.holdout_percent)
    if variants is None:
        variants = list(campaign.experiment.variants.all())
    return Split(
        holdout_percent=campaign.holdout_percent,
        variants=[(variant.name, variant.weight) for variant in variants],
        allocation_percent=campaign.experiment.allocation_percent,
    )


def _locked(campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("coupon_template", "experiment")
        .get(pk=pk)
    )


# --- Audience --------------------------------------------------------------------------


# --- A draft from a segment, with its recommended offer ---------------------------------

G = Campaign.Goal
SEGMENT_GOALS = {
    "prospect": G.ACTIVATION, "new": G.ACTIVATION, "promising": G.REPURCHASE,
    "potential_loyalist": G.REPURCHASE, "active": G.REPURCHASE, "need_attention": G.REPURCHASE,
    "about_to_sleep": G.WIN_BACK, "churn_warning": G.WIN_BACK, "at_risk": G.WIN_BACK,
    "cannot_lose": G.RETENTION, "hibernating": G.WIN_BACK, "lost": G.WIN_BACK,
    "champions": G.RETENTION, "loyal": G.RETENTION, "won_back": G.RETENTION,
}  # fmt: skip
GOAL_MESSAGES = {
    G.ACTIVATION: "Welcome, {{ name }}! Your first order: {{ offer }} with code {{ coupon_code }} "
    "(until {{ coupon_expires }}). Picked for you: {{ products }}",
    G.REPURCHASE: "Hi {{ name }}, time for a refill? {{ offer }} with code {{ coupon_code }} "
    "until {{ coupon_expires }}. You may like: {{ products }}",
    G.WIN_BACK: "We miss you, {{ name }}! Come back for {{ offer }}: code {{ coupon_code }}, "
    "valid until {{ coupon_expires }}. Picked for you: {{ products }}",
    G.RETENTION: "Thank you, {{ name }}, for being one of our best customers: {{ offer }} with "
    "code {{ coupon_code }} (until {{ coupon_expires }}).",
    G.UPSELL: "Hi {{ name }}: {{ offer }} with code {{ coupon_code }} until {{ coupon_expires }}.",
    G.AWARENESS: "Hi {{ name }}, new this week: {{ products }}",
}


def segment_goal(segment) -> str:
    """The campaign goal a segment suggests (from the RFM segment or lifecycle stage its
    rule selects; repurchase otherwise)."""
    rule = segment.rule or {}
    conditions = [rule] if "field" in rule else list(rule.get("all", []))
    for condition in conditions:
        if (
            condition.get("field") in ("rfm_segment", "lifecycle_stage")
            and condition.get("op") == "="
        ):
            return SEGMENT_GOALS.get(condition.get("value"), G.REPURCHASE)
    return G.REPURCHASE


def template_last_used_for(goal: str) -> int | None:
    """The active coupon template of the latest campaign with ``goal`` (the offer a new
    campaign for that goal starts from)."""
    return (
        Campaign.objects.filter(goal=goal, coupon_template__active=True)
        .order_by("-created_at")
        .values_list("coupon_template_id", flat=True)
        .first()
    )


@transaction.atomic
def campaign_draft_for_segment(*, segment, by=None) -> Campaign:
    """A draft campaign to ``segment`` with the offer pre-filled: the goal its segment
    suggests, the coupon template last used for that goal, a message written for it."""
    goal = segment_goal(segment)
    last = template_last_used_for(goal)
    campaign = Campaign.objects.create(
        name=f"{segment.name} – {timezone.localdate():%Y-%m-%d}"[:100],
        goal=goal,
        audience_kind=Campaign.AudienceKind.SEGMENT,
        audience_segment=segment,
        coupon_template_id=last,
        message=GOAL_MESSAGES[goal],
        created_by=by if getattr(by, "pk", None) else None,
    )
    audit_record("add", campaign, by=by, after={"segment": segment.name, "goal": goal})
    return campaign


@transaction.atomic
def campaign_create(*, by=None, **fields) -> Campaign:
    """A draft campaign from ``fields`` (model fields), checked by the model's rules."""
    campaign = Campaign(**fields, created_by=by if getattr(by, "pk", None) else None)
    campaign.full_clean()
    campaign.save()
    audit_record("add", campaign, by=by, after={"name": campaign.name})
    return campaign


@transaction.atomic
def campaign_create_and_send(
    *, by=None, scheduled_at: datetime | None = None, launch: bool = False, **fields
) -> Campaign:
    """A new campaign (``campaign_create``), then in the same transaction scheduled for
    ``scheduled_at`` or launched now: when it cannot be, nothing is saved."""
    campaign = campaign_create(by=by, **fields)
    if scheduled_at is not None:
        campaign_schedule(campaign=campaign, scheduled_at=scheduled_at, by=by)
    elif launch:
        campaign_launch(campaign=campaign, by=by)
    return campaign


@transaction.atomic
def experiment_create(*, variants: list[dict], by=None, **fields) -> Experiment:
    """An experiment with its variants (dicts of ExperimentVariant fields)."""
    experiment = Experiment.objects.create(
        **fields, created_by=by if getattr(by, "pk", None) else None
    )
    ExperimentVariant.objects.bulk_create(
        [ExperimentVariant(experiment=experiment, **variant) for variant in variants]
    )
    audit_record("add", experiment, by=by, after={"name": experiment.name})
    return experiment


# --- Life cycle ------------------------------------------------------------------------


def _check_state(campaign: Campaign, allowed, refusal: str) -> None:
    if campaign.status not in allowed:
        raise CampaignError(CampaignError.INVALID_STATE, refusal)


def _check_ready(campaign: Campaign) -> None:
    problems = campaign_problems(campaign)
    if problems:
        raise CampaignError(CampaignError.INVALID, "; ".join(problems))


def _move(campaign: Campaign, action: str, status: str, *, by, **fields) -> Campaign:
    """Set the new status (and ``fields``), save, and record it in the audit trail."""
    before = campaign.status
    campaign.status = status
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=["status", *fields, "updated_at"])
    shown = {k: v.isoformat() for k, v in fields.items() if k == "scheduled_at"}
    audit_record(
        action, campaign, by=by, before={"status": before}, after={"status": status, **shown}
    )
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, scheduled_at: datetime, by=None) -> Campaign:
    campaign = _locked(campaign)
    _check_state(
        campaign, (S.DRAFT, S.SCHEDULED),
        f"only a draft can be scheduled; {campaign} is {campaign.get_status_display()}",
    )  # fmt: skip
    _check_ready(campaign)
    return _move(campaign, "schedule", S.SCHEDULED, by=by, scheduled_at=scheduled_at)


def campaign_launch(
    *, campaign: Campaign | int, by=None, at: datetime | None = None, queue: bool = True
) -> Campaign:
    """Start sending now: the campaign runs, the plan is queued (after the commit; with
    ``queue=False`` the caller plans and sends itself, as the demo data does)."""
    at = at or timezone.now()
    with transaction.atomic():
        campaign = _locked(campaign)
        _check_state(
            campaign, (S.DRAFT, S.SCHEDULED),
            f"{campaign} is {campaign.get_status_display()}; only a draft or a scheduled "
            "campaign can be launched",
        )  # fmt: skip
        _check_ready(campaign)
        launched_by = by if getattr(by, "pk", None) else None
        _move(campaign, "launch", S.RUNNING, by=by, started_at=at, launched_by=launched_by)
        if campaign.experiment_id and campaign.experiment.status == Experiment.Status.DRAFT:
            Experiment.objects.filter(pk=campaign.experiment_id).update(
                status=Experiment.Status.RUNNING, starts_at=at
            )
        pk = campaign.pk
        if queue:
            transaction.on_commit(lambda: _queue_plan(pk))
    return campaign


def _queue_plan(campaign_id: int) -> None:
    from campaigns.tasks import plan_campaign

    plan_campaign.delay(campaign_id)


def campaign_plan(*, campaign_id: int, queue: bool = True) -> dict:
    """Snapshot the audience into recipients (once), then queue the chunks still to send.
    Returns the launch stats."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != S.RUNNING:
            return dict(campaign.launch_stats, skipped=campaign.status)
        if not campaign.launch_stats.get("planned"):
            campaign.launch_stats = _snapshot(campaign)
            campaign.save(update_fields=["launch_stats", "updated_at"])
    chunks = pending_chunks(campaign)
    if not chunks:
        _mark_sent_if_done(campaign.pk)
    elif queue:
        from campaigns.tasks import send_campaign_chunk

        for first_id, last_id in chunks:
            send_campaign_chunk.delay(campaign.pk, first_id, last_id)
    return dict(campaign.launch_stats, chunks_queued=len(chunks) if queue else 0)


def _snapshot(campaign: Campaign) -> dict:
    at = campaign.started_at
    cap_days = _setting("FREQUENCY_CAP_DAYS")
    audience = campaign_reachable(campaign, at=at)
    arms = assign(f"campaign:{campaign.pk}", audience.eligible, _split(campaign))
    rows = pd.DataFrame(
        [(customer_id, name) for name, ids in arms.items() for customer_id in ids],
        columns=["customer_id", "arm"],
    )
    rows["campaign_id"] = campaign.pk
    rows["created_at"] = at
    insert_frame(CampaignRecipient, rows)
    return {
        "planned": True,
        "audience": audience.everyone,
        "opted_out": audience.opted_out,
        "frequency_capped": audience.held_back,
        "frequency_cap_days": cap_days,
        "recipients": len(audience.eligible),
        "arms": {name: len(ids) for name, ids in arms.items()},
        "to_contact": len(audience.eligible) - len(arms[CONTROL]),
    }


def _pending(campaign_id: int) -> QuerySet[CampaignRecipient]:
    return CampaignRecipient.objects.filter(
        campaign_id=campaign_id, contacted_at__isnull=True
    ).exclude(arm=CONTROL)


def pending_chunks(campaign: Campaign) -> list[tuple[int, int]]:
    """(first id, last id) of each run of ``CHUNK_SIZE`` recipients still to contact."""
    ids = list(_pending(campaign.pk).order_by("pk").values_list("pk", flat=True))
    size = _setting("CHUNK_SIZE")
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def campaign_send_chunk(
    *, campaign_id: int, first_id: int, last_id: int, at: datetime | None = None
) -> dict:
    """Contact the treatment recipients with ids in [first_id, last_id] not yet contacted:
    issue their coupons, render and send their messages. Safe to run twice, or twice at once."""
    at = at or timezone.now()
    campaign = Campaign.objects.select_related("coupon_template", "experiment").get(pk=campaign_id)
    if campaign.status != S.RUNNING:
        return {"contacted": 0, "skipped": campaign.status}
    offers = _offers(campaign)
    backend = backend_for(campaign.contact_channel)
    with transaction.atomic():
        recipients = list(
            _pending(campaign_id)
            .filter(pk__gte=first_id, pk__lte=last_id)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        contacted = 0 if not recipients else _contact(campaign, recipients, offers, backend, at)
    _mark_sent_if_done(campaign_id, at)
    return {"contacted": contacted}


def _offers(campaign: Campaign) -> dict[str, tuple[CouponTemplate | None, str]]:
    """Each arm's (coupon template, message): variants override the campaign's own."""
    offers = {TREATMENT: (campaign.coupon_template, campaign.message)}
    if campaign.experiment_id:
        for variant in campaign.experiment.variants.select_related("coupon_template"):
            offers[variant.name] = (
                variant.coupon_template or campaign.coupon_template,
                variant.message or campaign.message,
            )
    return offers


def _contact(campaign, recipients, offers, backend, at) -> int:
    by_arm: dict[str, list[CampaignRecipient]] = {}
    for recipient in recipients:
        by_arm.setdefault(recipient.arm, []).append(recipient)
    outgoing = []
    for arm_name, members in by_arm.items():
        template, text = offers.get(arm_name, offers[TREATMENT])
        outgoing += prepare(
            members, template=template, text=text, key=f"campaign:{campaign.pk}", at=at
        )
    save_contacts(CampaignRecipient, recipients, at)
    send_and_record(outgoing, backend, channel=campaign.contact_channel, campaign=campaign, at=at)
    return len(recipients)


def _mark_sent_if_done(campaign_id: int, at: datetime | None = None) -> None:
    if not _pending(campaign_id).exists():
        Campaign.objects.filter(pk=campaign_id, sent_at__isnull=True, status=S.RUNNING).update(
            sent_at=at or timezone.now()
        )


@transaction.atomic
def campaign_cancel(*, campaign: Campaign | int, by=None) -> Campaign:
    """Stop a campaign: nothing more is sent. Coupons already issued stay valid (customers
    were told about them); the report still measures what was sent."""
    campaign = _locked(campaign)
    _check_state(
        campaign, (S.DRAFT, S.SCHEDULED, S.RUNNING),
        f"{campaign} is already {campaign.get_status_display()}",
    )  # fmt: skip
    return _move(campaign, "cancel", S.CANCELLED, by=by, completed_at=timezone.now())


@transaction.atomic
def campaign_complete(*, campaign: Campaign | int, by=None, at=None) -> Campaign:
    campaign = _locked(campaign)
    _check_state(
        campaign, (S.RUNNING,),
        f"only a running campaign can complete; {campaign} is {campaign.get_status_display()}",
    )  # fmt: skip
    return _move(campaign, "complete", S.COMPLETED, by=by, completed_at=at or timezone.now())


def campaign_progress(campaign: Campaign) -> dict:
    """How far the launch got: recipients to contact, contacted so far, percent."""
    stats = campaign.launch_stats or {}
    total = stats.get("to_contact")
    if total is None:
        return {"planned": False, "to_contact": None, "contacted": 0, "percent": 0}
    done = total - _pending(campaign.pk).count() if campaign.sent_at is None else total
    return {
        "planned": True,
        "to_contact": total,
        "contacted": done,
        "percent": 100 if total == 0 else round(100 * done / total),
        "done": campaign.sent_at is not None,
    }


# --- The tick: scheduled launches, stalled launches, completion ------------------------


def campaigns_launch_due(*, at: datetime | None = None) -> list[int]:
    at = at or timezone.now()
    due = Campaign.objects.filter(status=S.SCHEDULED, scheduled_at__lte=at).values_list(
        "pk", flat=True
    )
    launched = []
    for pk in list(due):
        try:
            campaign_launch(campaign=pk, at=at)
        except CampaignError:
            continue  # launched meanwhile, or no longer valid; the admin shows why
        launched.append(pk)
    return launched


def campaigns_resume_stalled(*, at: datetime | None = None) -> list[int]:
    """Re-plan running launches with no contact for ``STALL_SECONDS`` (a dead worker)."""
    at = at or timezone.now()
    cutoff = at - timedelta(seconds=_setting("STALL_SECONDS"))
    running = (
        Campaign.objects.filter(status=S.RUNNING, sent_at__isnull=True, started_at__lte=cutoff)
        .annotate(last_contact=Max("recipients__contacted_at"))
        .filter(Q(last_contact__isnull=True) | Q(last_contact__lte=cutoff))
        .values_list("pk", flat=True)
    )
    resumed = list(running)
    for pk in resumed:
        _queue_plan(pk)
    return resumed


def campaigns_complete_due(*, at: datetime | None = None) -> list[int]:
    """Running campaigns whose attribution window is over become completed."""
    at = at or timezone.now()
    done = []
    for campaign in Campaign.objects.filter(status=S.RUNNING, sent_at__isnull=False):
        if campaign.started_at + timedelta(days=campaign.attribution_days) <= at:
            campaign_complete(campaign=campaign, at=at)
            done.append(campaign.pk)
    return done
