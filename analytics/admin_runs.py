"""Admin for analytics runs: the history, "Recompute now" and a live progress page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from analytics.forms import RUN_PERMISSION, RecomputeForm
from analytics.models import AnalyticsRun
from analytics.selectors.runs import run_state
from analytics.services import RunInProgress, analytics_run_start


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "as_of", "status", "progress", "started_by", "duration"]
    list_filter = ["status"]
    list_select_related = ["started_by"]
    readonly_fields = ["as_of", "steps", "status", "started_by", "created_at", "started_at",
                       "finished_at", "error", "step_report"]  # fmt: skip
    exclude = ["report", "current_step", "steps_done", "steps_total"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run": request.user.has_perm(RUN_PERMISSION)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("progress"))
    def progress(self, run: AnalyticsRun):
        url = reverse("admin:analytics_analyticsrun_progress", args=[run.pk])
        return format_html('<a href="{}">{} %</a>', url, run.percent)

    @admin.display(description=_("seconds"))
    def duration(self, run: AnalyticsRun):
        if run.started_at and run.finished_at:
            return round((run.finished_at - run.started_at).total_seconds(), 1)
        return "—"

    @admin.display(description=_("steps"))
    def step_report(self, run: AnalyticsRun):
        if not run.report:
            return "—"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((s["name"], s["seconds"], s["summary"]) for s in run.report),
        )  # fmt: skip
        return format_html("<table><tbody>{}</tbody></table>", rows)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("recompute/", view(self.recompute_view), name="analytics_analyticsrun_recompute"),
            path(
                "<int:run_id>/progress/",
                view(self.progress_view),
                name="analytics_analyticsrun_progress",
            ),
            path(
                "<int:run_id>/status/", view(self.status_view), name="analytics_analyticsrun_status"
            ),
            *super().get_urls(),
        ]

    def recompute_view(self, request):
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        form = RecomputeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = analytics_run_start(
                    user=request.user,
                    as_of=form.cleaned_data["as_of"],
                    only=form.cleaned_data["steps"] or None,
                )
            except RunInProgress as refusal:
                messages.error(request, str(refusal))
                return redirect(
                    reverse("admin:analytics_analyticsrun_progress", args=[refusal.run.pk])
                )
            return redirect(reverse("admin:analytics_analyticsrun_progress", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Recompute analytics now"),
        }
        return TemplateResponse(request, "admin/analytics/analyticsrun/recompute.html", context)

    def progress_view(self, request, run_id: int):
        run = self._run(request, run_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "run": run,
            "state": run_state(run),
            "status_url": reverse("admin:analytics_analyticsrun_status", args=[run.pk]),
            "title": _("Analytics run"),
        }
        return TemplateResponse(request, "admin/analytics/analyticsrun/progress.html", context)

    def status_view(self, request, run_id: int):
        return JsonResponse(run_state(self._run(request, run_id)))

    def _run(self, request, run_id: int) -> AnalyticsRun:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(AnalyticsRun, pk=run_id)
