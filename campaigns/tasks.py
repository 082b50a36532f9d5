"""Celery tasks of the campaigns app: thin wrappers around services."""

from datetime import datetime, timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import (
    automations_run,
    campaign_plan,
    campaign_send_chunk,
    campaigns_complete_due,
    campaigns_launch_due,
    campaigns_resume_stalled,
    loyalty_points_expire,
    loyalty_sync,
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
    """Snapshot a launched campaign's audience (once), queue its chunks, and make sure a
    watch for stalled launches is running."""
    stats = campaign_plan(campaign_id=campaign_id)
    watch_launches.delay()
    return stats


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


WATCH_KEY = "campaigns:watch-launches"


@shared_task(acks_late=True, **RETRY)
def watch_launches() -> list[int]:
    """While a launch is unfinished, look every ``STALL_SECONDS`` for one that stalled (its
    worker died) and resume it. One chain of these runs at a time (a cache key guards
    it); a launch and a worker start each begin one if none is running."""
    resumed = campaigns_resume_stalled()
    unfinished = Campaign.objects.filter(status=Campaign.Status.RUNNING, sent_at__isnull=True)
    stall = settings.CAMPAIGNS["STALL_SECONDS"]
    if (
        not watch_launches.app.conf.task_always_eager
        and unfinished.exists()
        and cache.add(WATCH_KEY, 1, timeout=stall)
    ):
        watch_launches.apply_async(countdown=stall + 1)
    return resumed


@worker_ready.connect
def _resume_at_start(sender=None, **kwargs) -> None:
    """A worker that starts (again) picks up launches a dead worker left half done."""
    campaigns_tick.delay()
    watch_launches.delay()


@shared_task(acks_late=True, **RETRY)
def expire_points() -> dict:
    """Nightly: points older than LOYALTY["POINTS_EXPIRY_MONTHS"] expire, oldest first."""
    return loyalty_points_expire()


@shared_task(acks_late=True, **RETRY)
def sync_loyalty(since: str | None = None) -> dict:
    """Points and reversals for orders changed since ``since`` (ISO time; default the last
    26 hours, the nightly safety net)."""
    start = datetime.fromisoformat(since) if since else timezone.now() - timedelta(hours=26)
    return loyalty_sync(since=start)
