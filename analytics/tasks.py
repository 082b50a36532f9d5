"""Celery tasks of the analytics app: thin wrappers around services."""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from analytics.services.run import analytics_run


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def compute_analytics(self, as_of: str | None = None, only: list[str] | None = None) -> dict:
    """The nightly analytics run (also "recompute now"); safe to run twice: every step
    replaces its results."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()

    def on_step(name: str, index: int, total: int) -> None:
        if not self.request.is_eager:  # eager runs have no result backend to report to
            self.update_state(state="PROGRESS", meta={"step": name, "done": index, "total": total})

    report = analytics_run(as_of=day, only=only, on_step=on_step)
    return {
        "as_of": report.as_of.isoformat(),
        "steps": [
            {"name": s.name, "seconds": round(s.seconds, 3), "summary": s.summary}
            for s in report.steps
        ],
    }
