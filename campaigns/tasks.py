"""Celery tasks of the campaigns app: thin wrappers around services."""

from celery import shared_task
from celery.signals import worker_ready
from django.db import OperationalError

from campaigns.services import (
    automations_run,
    campaign_plan,
    campaign_send_chunk,
    campaigns_complete_due,
    campaigns_launch_due,
    campaigns_resume_stalled,
    loyalty_points_expire,
    loyalty_tiers_evaluate,
)

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def evaluate_tiers() -> dict:
    """The nightly tier evaluation (upgrades, and downgrades after the grace period);
    safe to run twice: a customer already in the right tier is not touched."""
    return loyalty_tiers_evaluate()


@shared_task(acks_late=True, **RETRY)
def plan_campaign(campaign_id: int) -> dict:
    """Snapshot a launched campaign's audience (once) and queue its chunks."""
    return campaign_plan(campaign_id=campaign_id)


@shared_task(acks_late=True, **RETRY)
def send_campaign_chunk(campaign_id: int, first_id: int, last_id: int) -> dict:
    """Issue coupons and send messages to one chunk of recipients; idempotent."""
    return campaign_send_chunk(campaign_id=campaign_id, first_id=first_id, last_id=last_id)


@shared_task(acks_late=True, **RETRY)
def campaigns_tick() -> dict:
    """Every minute: launch due scheduled campaigns, resume stalled launches, complete
    campaigns whose attribution window is over."""
    return {
        "launched": campaigns_launch_due(),
        "resumed": campaigns_resume_stalled(),
        "completed": campaigns_complete_due(),
    }


@shared_task(acks_late=True, **RETRY)
def run_automations() -> dict:
    """Daily: every active automation finds who it triggers for today and contacts them."""
    return automations_run()


@worker_ready.connect
def _resume_at_start(sender=None, **kwargs) -> None:
    """A worker that starts (again) picks up launches a dead worker left half done."""
    campaigns_tick.delay()


@shared_task(acks_late=True, **RETRY)
def expire_points() -> dict:
    """Nightly: points older than LOYALTY["POINTS_EXPIRY_MONTHS"] expire, oldest first."""
    return loyalty_points_expire()
