"""Celery tasks of the analytics app: thin wrappers around services."""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from analytics.services import analytics_run_create, analytics_run_execute


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def compute_analytics(as_of: str | None = None, only: list[str] | None = None) -> dict:
    """The nightly analytics run, recorded like "recompute now" (with no user). Safe to run
    twice: every step replaces its results; refused while another run is in progress."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    run = analytics_run_create(user=None, as_of=day, only=only)
    return _summary(analytics_run_execute(run_id=run.pk))


@shared_task(acks_late=True)
def run_recorded_analytics(run_id: int) -> dict:
    """Execute a run recorded by ``analytics_run_start`` ("recompute now")."""
    return _summary(analytics_run_execute(run_id=run_id))


def _summary(run) -> dict:
    return {
        "run": run.pk,
        "status": run.status,
        "as_of": run.as_of.isoformat(),
        "steps": run.report,
    }
