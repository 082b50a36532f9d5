"""Project-level Celery tasks."""

from celery import shared_task

from ecomops import health


@shared_task(acks_late=True)
def heartbeat() -> str:
    """Record that a worker is alive; `/healthz/` reports the last beat."""
    return health.worker_heartbeat_record().isoformat()
