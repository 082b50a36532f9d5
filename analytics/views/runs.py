"""``/analytics/runs/``: recent analytics runs and "Recompute now"; ``/analytics/runs/<id>/``:
a run's progress bar (polling the JSON status) and, when done, what each step wrote."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views import View

from analytics.forms import RUN_PERMISSION, RecomputeForm
from analytics.models import AnalyticsRun
from analytics.pages import Page, StaffAccess
from analytics.selectors.runs import run_state, runs_recent
from analytics.services import RunInProgress, analytics_run_start

VIEW_PERMISSION = "analytics.view_analyticsrun"


def progress_state(run: AnalyticsRun) -> dict:
    """``run_state`` plus what the pages' progress script reads (message, result_url)."""
    state = run_state(run)
    if state["done"]:
        message = state["status_display"]
    else:
        message = gettext_now("%(status)s · step %(step)s (%(done)s of %(total)s)") % {
            "status": state["status_display"],
            "step": state["current_step"] or "—",
            "done": state["steps_done"],
            "total": state["steps_total"],
        }
    return {**state, "message": message, "result_url": None}


class RunListPage(Page):
    template_name = "analytics/runs.html"
    permission_required = VIEW_PERMISSION
    title = _("Analytics runs")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RecomputeForm())
        context["runs"] = runs_recent()
        context["can_run"] = self.request.user.has_perm(RUN_PERMISSION)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        form = RecomputeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            run = analytics_run_start(
                user=request.user,
                as_of=form.cleaned_data["as_of"],
                only=form.cleaned_data["steps"] or None,
            )
        except RunInProgress as refusal:
            messages.error(request, str(refusal))
            run = refusal.run
        return redirect("analytics:run-progress", pk=run.pk)


class RunProgressPage(Page):
    template_name = "analytics/run_progress.html"
    permission_required = VIEW_PERMISSION

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = get_object_or_404(
            AnalyticsRun.objects.select_related("started_by"), pk=self.kwargs["pk"]
        )
        seconds = (
            (run.finished_at - run.started_at).total_seconds()
            if run.started_at and run.finished_at
            else None
        )
        context.update(
            title=_("Analytics run as of %(date)s") % {"date": run.as_of.isoformat()},
            run=run,
            state=progress_state(run),
            seconds=seconds,
            can_run=self.request.user.has_perm(RUN_PERMISSION),
        )
        return context


class RunStatusView(StaffAccess, View):
    """The JSON the progress bar polls."""

    permission_required = VIEW_PERMISSION
    raise_exception = True

    def get(self, request, *args, **kwargs):
        run = get_object_or_404(AnalyticsRun, pk=self.kwargs["pk"])
        return JsonResponse(progress_state(run))
