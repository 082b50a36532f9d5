"""Recorded analytics runs: "recompute now" for staff, and the nightly run's history.

:func:`analytics_run_start` records a queued run and hands it to Celery once the
transaction commits; :func:`analytics_run_execute` (the task's body) runs the steps,
writing the progress to the row after each step so that a page polling it from another
connection sees it move. A run never stays "running" after it ends: a failure is
recorded with its error.
"""

from __future__ import annotations

import traceback
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import AnalyticsRun
from analytics.services.run import STEPS, UnknownStep, analytics_run

Status = AnalyticsRun.Status
RUN_LOCK_ID = 7_301_001  # pg_advisory_xact_lock key of analytics_run_create


class RunInProgress(Exception):
    code = "run_in_progress"

    def __init__(self, run: AnalyticsRun):
        self.run = run
        super().__init__(
            f"an analytics run is already {run.get_status_display()} "
            f"(started {run.created_at:%Y-%m-%d %H:%M}); wait for it to finish"
        )


def _stale_before():
    """A queued or running run older than the task's hard time limit is dead."""
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


@transaction.atomic
def analytics_run_create(*, user, as_of: date, only: list[str] | None = None) -> AnalyticsRun:
    """Record a queued run, refusing while another one is queued or running."""
    unknown = sorted(set(only or ()) - set(STEPS))
    if unknown:
        raise UnknownStep(f"unknown step(s) {', '.join(unknown)}; steps: {', '.join(STEPS)}")
    if connection.vendor == "postgresql":
        # Serialise the check itself: with no run in progress there is no row to lock, and
        # two requests at the same moment would both pass.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RUN_LOCK_ID])
    in_progress = AnalyticsRun.objects.select_for_update().filter(
        status__in=[Status.QUEUED, Status.RUNNING]
    )
    # A run older than the task's hard time limit died with its worker: say so.
    in_progress.filter(created_at__lt=_stale_before()).update(
        status=Status.FAILED,
        error="abandoned: no progress within the task time limit (the worker stopped)",
        finished_at=timezone.now(),
    )
    busy = in_progress.filter(created_at__gte=_stale_before()).first()
    if busy is not None:
        raise RunInProgress(busy)
    steps = [name for name in STEPS if name in set(only or ())]
    return AnalyticsRun.objects.create(
        started_by=user, as_of=as_of, steps=steps, steps_total=len(steps or STEPS)
    )


def analytics_run_start(*, user, as_of: date, only: list[str] | None = None) -> AnalyticsRun:
    """Record the run and queue it on Celery after the surrounding transaction commits."""
    from analytics.tasks import run_recorded_analytics

    run = analytics_run_create(user=user, as_of=as_of, only=only)
    transaction.on_commit(lambda: run_recorded_analytics.delay(run.pk))
    return run


def analytics_run_execute(*, run_id: int) -> AnalyticsRun:
    """Run a recorded run's steps, recording progress, the report and the outcome."""
    run = AnalyticsRun.objects.get(pk=run_id)
    updated = AnalyticsRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not updated:  # already taken (a retried task) or finished
        return run

    def on_step(name: str, index: int, total: int) -> None:
        AnalyticsRun.objects.filter(pk=run.pk).update(
            current_step=name, steps_done=index, steps_total=total
        )

    try:
        report = analytics_run(as_of=run.as_of, only=run.steps or None, on_step=on_step)
    except Exception as error:
        AnalyticsRun.objects.filter(pk=run.pk).update(
            status=Status.FAILED,
            error="".join(traceback.format_exception_only(error)).strip()[:4000],
            finished_at=timezone.now(),
        )
        raise
    AnalyticsRun.objects.filter(pk=run.pk).update(
        status=Status.DONE,
        current_step="",
        steps_done=len(report.steps),
        report=[
            {"name": s.name, "seconds": round(s.seconds, 3), "summary": s.summary}
            for s in report.steps
        ],
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run
