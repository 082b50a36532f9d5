"""Celery tasks of the campaigns app: thin wrappers around services."""

from celery import shared_task
from django.db import OperationalError

from campaigns.services import loyalty_tiers_evaluate


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def evaluate_tiers() -> dict:
    """The nightly tier evaluation (upgrades, and downgrades after the grace period);
    safe to run twice: a customer already in the right tier is not touched."""
    return loyalty_tiers_evaluate()
