"""Project-level Celery tasks."""

from celery import shared_task

from ecomops import health


@shared_task(acks_late=True)
def heartbeat() -> str:
    """Record that a worker is alive; `/healthz/` reports the last beat."""
    return health.worker_heartbeat_record().isoformat()


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str | None:
    """One attempt at a webhook delivery (retries are queued by ``webhooks_retry_due``)."""
    from ecomops.webhooks import webhook_deliver

    delivery = webhook_deliver(delivery_id)
    return None if delivery is None else delivery.status


@shared_task
def retry_webhooks() -> int:
    """Every minute: queue the deliveries whose backoff has passed."""
    from ecomops.webhooks import webhooks_retry_due

    due = webhooks_retry_due()
    for pk in due:
        deliver_webhook.delay(pk)
    return len(due)
