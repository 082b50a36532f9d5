"""Reads of recorded analytics runs for the admin and the pages ("Recompute now")."""

from __future__ import annotations

from django.db.models import QuerySet

from analytics.models import AnalyticsRun


def run_state(run: AnalyticsRun) -> dict:
    """A run's progress as the polling pages take it (JSON-ready): status, percent, the
    current step, steps done of total, whether it ended, its error and step report."""
    return {
        "status": run.status,
        "status_display": str(run.get_status_display()),
        "percent": run.percent,
        "current_step": run.current_step,
        "steps_done": run.steps_done,
        "steps_total": run.steps_total,
        "done": run.status in (AnalyticsRun.Status.DONE, AnalyticsRun.Status.FAILED),
        "error": run.error,
        "report": run.report,
    }


def runs_recent(*, limit: int = 20) -> QuerySet[AnalyticsRun]:
    """The latest runs, newest first, with who started them."""
    return AnalyticsRun.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]
