"""Catalog's Celery tasks: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from catalog import services

# A large file takes minutes, more than the project's default task time limit.
LIMITS = {"soft_time_limit": 2 * 3600, "time_limit": 2 * 3600 + 300}


@shared_task(acks_late=True, **LIMITS)
def import_job_validate(job_id: int) -> str:
    """The dry run behind an upload's preview."""
    return services.import_job_validate(job_id=job_id).status


@shared_task(acks_late=True, **LIMITS)
def import_job_run(job_id: int) -> str:
    """The import a user confirmed."""
    return services.import_job_run(job_id=job_id).status
