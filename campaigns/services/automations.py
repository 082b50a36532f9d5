"""Automations: lifecycle triggers that send an offer every day, with a cool-down and a
holdout of their own.

Triggers (``as_of`` is the local day of the run; a trigger looks back ``CATCH_UP_DAYS``
so a day the beat missed is caught up the next day — the cool-down keeps it to once):

- registered, no order after N days: registered between N + 7 and N days before the run
  and no paid order ever (N = 1: the "99 minus 50" activation coupon after 24 hours);
- N days since the last order: the last paid order fell N to N + 7 days before the run
  (win-back);
- birthday: born in this month;
- tier upgrade: upgraded within the last 7 days.

Then opted-out customers are dropped, and so is anyone this automation triggered for
within ``cooldown_days`` (control arm included: a customer held out stays out for the
cool-down, as if contacted). The rest are split by a hash of (automation, day, customer):
``holdout_percent`` get nothing and are kept as the control. Rows are unique per
(automation, customer, day), so a repeated run the same day issues nothing twice.
Automations are not subject to the campaign frequency cap (their cool-down governs them),
but their messages count towards it for campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from analytics.writers import insert_frame
from campaigns.assignment import CONTROL, TREATMENT, Split, assign
from campaigns.channels import backend_for
from campaigns.discounts import describe
from campaigns.models import Automation, AutomationRecipient
from campaigns.selectors import reachable
from campaigns.services.coupons import offer_of
from campaigns.services.delivery import prepare, save_contacts, send_and_record
from catalog.models import Order
from customers.models import Customer, TierChange

CATCH_UP_DAYS = 7
T = Automation.Trigger


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def automation_candidates(automation: Automation, *, as_of: date) -> QuerySet[Customer]:
    """Everyone the trigger fires for on ``as_of``, before opt-outs and the cool-down."""
    end = _day_start(as_of + timedelta(days=1))
    customers = Customer.objects.all()
    if automation.trigger == T.REGISTERED_NO_ORDER:
        latest = end - timedelta(days=automation.trigger_days)
        paid = Order.objects.paid().filter(customer=OuterRef("pk"))
        return customers.filter(
            registered_at__lt=latest,
            registered_at__gte=latest - timedelta(days=CATCH_UP_DAYS),
        ).exclude(Exists(paid))
    if automation.trigger == T.DAYS_SINCE_LAST_ORDER:
        latest = end - timedelta(days=automation.trigger_days)
        last = Order.objects.paid().values("customer_id").annotate(last=Max("paid_at"))
        recent = last.filter(
            last__lt=latest, last__gte=latest - timedelta(days=CATCH_UP_DAYS)
        ).values("customer_id")
        return customers.filter(pk__in=recent)
    if automation.trigger == T.BIRTHDAY:
        return customers.filter(birthday__month=as_of.month)
    if automation.trigger == T.TIER_UPGRADE:
        upgrades = TierChange.objects.filter(
            reason=TierChange.Reason.UPGRADE,
            changed_at__lt=end,
            changed_at__gte=end - timedelta(days=CATCH_UP_DAYS),
        ).values("customer_id")
        return customers.filter(pk__in=upgrades)
    raise ValueError(f"unknown trigger {automation.trigger!r}")


@dataclass(frozen=True)
class Plan:
    as_of: date
    candidates: int
    opted_out: int
    cooling_down: int
    arms: dict[str, list[int]]

    @property
    def treatment(self) -> list[int]:
        return self.arms[TREATMENT]


def automation_plan(automation: Automation, *, as_of: date) -> Plan:
    """Who the automation triggers for on ``as_of`` and which arm each falls in (reads
    only: the dry run shows it, the run writes it)."""
    since = as_of - timedelta(days=automation.cooldown_days)
    cooling = AutomationRecipient.objects.filter(
        automation=automation, triggered_on__gt=since, triggered_on__lt=as_of
    )
    audience = reachable(automation_candidates(automation, as_of=as_of), cooling)
    split = Split(holdout_percent=automation.holdout_percent)
    arms = assign(f"automation:{automation.pk}:{as_of.isoformat()}", audience.eligible, split)
    return Plan(as_of, audience.everyone, audience.opted_out, audience.held_back, arms)


def automation_dry_run(automation: Automation, *, as_of: date | None = None, limit: int = 200):
    """What a run would do today: the counts, the offer, and the first ``limit`` customers
    with their arm — without writing anything."""
    as_of = as_of or timezone.localdate()
    plan = automation_plan(automation, as_of=as_of)
    ids = sorted(
        [(cid, arm) for arm, members in plan.arms.items() for cid in members], key=lambda x: x[0]
    )[:limit]
    people = Customer.objects.in_bulk([cid for cid, _ in ids])
    offer = describe(offer_of(automation.coupon_template)) if automation.coupon_template else ""
    return {
        "as_of": as_of,
        "candidates": plan.candidates,
        "opted_out": plan.opted_out,
        "cooling_down": plan.cooling_down,
        "arms": {arm: len(members) for arm, members in plan.arms.items()},
        "offer": offer,
        "sample": [
            {
                "customer_id": cid,
                "external_id": people[cid].external_id,
                "name": people[cid].name,
                "arm": arm,
                "gets": offer if arm != CONTROL else "nothing (holdout)",
            }
            for cid, arm in ids
        ],
    }


def automation_run(
    automation: Automation, *, as_of: date | None = None, at: datetime | None = None
) -> dict:
    """Trigger for ``as_of`` (default today): record every triggered customer with their
    arm, issue the treatment's coupons and send their messages. Idempotent per day."""
    at = at or timezone.now()
    as_of = as_of or timezone.localdate(at)
    plan = automation_plan(automation, as_of=as_of)
    with transaction.atomic():
        locked = Automation.objects.select_for_update().get(pk=automation.pk)
        done = set(
            AutomationRecipient.objects.filter(automation=locked, triggered_on=as_of).values_list(
                "customer_id", flat=True
            )
        )
        rows = pd.DataFrame(
            [
                (cid, arm)
                for arm, members in plan.arms.items()
                for cid in members
                if cid not in done
            ],
            columns=["customer_id", "arm"],
        )
        rows["automation_id"] = locked.pk
        rows["triggered_on"] = as_of
        insert_frame(AutomationRecipient, rows)
        pending = list(
            AutomationRecipient.objects.filter(
                automation=locked, triggered_on=as_of, contacted_at__isnull=True, arm=TREATMENT
            ).order_by("pk")
        )
        outgoing = prepare(
            pending,
            template=locked.coupon_template,
            text=locked.message,
            key=f"automation:{locked.pk}:{as_of.isoformat()}",
            at=at,
        )
        save_contacts(AutomationRecipient, pending, at)
        send_and_record(
            outgoing,
            backend_for(locked.contact_channel),
            channel=locked.contact_channel,
            automation=locked,
            at=at,
        )
        Automation.objects.filter(pk=locked.pk).update(last_run_at=at)
    return {
        "automation": automation.name,
        "as_of": as_of.isoformat(),
        "candidates": plan.candidates,
        "opted_out": plan.opted_out,
        "cooling_down": plan.cooling_down,
        "new": len(rows),
        "contacted": len(pending),
        "held_out": int((rows["arm"] == CONTROL).sum()) if len(rows) else 0,
    }


def automations_run(*, as_of: date | None = None, at: datetime | None = None) -> list[dict]:
    """Run every active automation (the daily beat task)."""
    return [
        automation_run(automation, as_of=as_of, at=at)
        for automation in Automation.objects.filter(active=True).select_related("coupon_template")
    ]
