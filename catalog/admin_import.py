"""The admin's import flow: upload → preview (mapping, first rows, every error) → confirm
→ progress bar → result.

:class:`ImportJobAdmin` lists past imports read-only and adds four views: ``upload/``,
``<id>/preview/`` (with the confirm form), ``<id>/progress/`` (a bar polling
``<id>/status/``, JSON) and the job's own page for the result. Validation (a dry run)
and the import run as Celery tasks (:mod:`catalog.tasks`), eagerly in-process in the
default set-up. Each kind needs its model's add permission (``importer.permission``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog import services, tasks
from catalog.importing import ImportFileError, importer_for, registered_kinds
from catalog.importing.formats import FORMATS
from catalog.models import ImportJob


def allowed_kinds(user) -> list[str]:
    return [k for k in registered_kinds() if user.has_perm(importer_for(k).permission)]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("CSV or XLSX file"))
    file_format = forms.ChoiceField(
        label=_("Layout"), choices=[(f, f) for f in FORMATS], initial="generic"
    )
    column_map = forms.CharField(
        label=_("Rename columns"),
        required=False,
        help_text=_("SRC=FIELD pairs separated by commas, e.g. Order No=order_id"),
    )
    encoding = forms.CharField(
        label=_("Encoding"), required=False, help_text=_("Leave empty to detect (UTF-8, GBK...).")
    )
    skip_bad_rows = forms.BooleanField(label=_("Skip bad rows"), required=False)

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, k) for k in kinds]


class ConfirmForm(forms.Form):
    skip_bad_rows = forms.BooleanField(
        label=_("Skip bad rows and import the good ones"), required=False
    )


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "original_name",
        "status",
        "progress",
        "outcome",
        "created_by",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by"]
    search_fields = ["original_name"]
    readonly_fields = [
        "kind",
        "file_format",
        "original_name",
        "status",
        "message",
        "result_table",
        "error_table",
        "created_by",
        "created_at",
        "finished_at",
    ]
    fields = readonly_fields
    change_list_template = "admin/catalog/importjob/change_list.html"

    # Jobs are made by the upload view and never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="catalog_importjob_upload"),
            path(
                "<int:job_id>/preview/", view(self.preview_view), name="catalog_importjob_preview"
            ),
            path(
                "<int:job_id>/progress/",
                view(self.progress_view),
                name="catalog_importjob_progress",
            ),
            path("<int:job_id>/status/", view(self.status_view), name="catalog_importjob_status"),
            *super().get_urls(),
        ]

    @admin.display(description=_("outcome"))
    def outcome(self, job):
        return job.result.get("summary", "") if job.result else job.message

    @admin.display(description=_("result"))
    def result_table(self, job):
        data = job.result or job.preview
        keys = [
            "rows_read",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "customers_created",
            "seconds",
        ]
        return format_html_join(
            "",
            "<div><b>{}</b>: {}</div>",
            ((k.replace("_", " "), data.get(k, "")) for k in keys if k in data),
        )

    @admin.display(description=_("errors"))
    def error_table(self, job):
        data = job.result or job.preview
        return error_list(data)

    # -- views ---------------------------------------------------------------------------

    def upload_view(self, request):
        kinds = allowed_kinds(request.user)
        if not kinds:
            raise PermissionDenied
        posted = request.method == "POST"
        form = UploadForm(
            request.POST if posted else None, request.FILES if posted else None, kinds=kinds
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                job = services.import_job_create(
                    kind=data["kind"],
                    upload=data["file"],
                    file_format=data["file_format"],
                    column_map=data["column_map"],
                    encoding=data["encoding"],
                    skip_bad_rows=data["skip_bad_rows"],
                    user=request.user,
                )
            except ImportFileError as exc:
                form.add_error(None, str(exc))
            else:
                transaction.on_commit(lambda: tasks.import_job_validate.delay(job.pk))
                return HttpResponseRedirect(
                    reverse("admin:catalog_importjob_progress", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Import a file"),
        }
        return TemplateResponse(request, "admin/catalog/importjob/upload.html", context)

    def preview_view(self, request, job_id: int):
        job = self._job(request, job_id)
        if job.status != ImportJob.Status.PREVIEW:
            return HttpResponseRedirect(reverse("admin:catalog_importjob_progress", args=[job.pk]))
        posted = request.POST if request.method == "POST" else None  # an empty POST is still a POST
        form = ConfirmForm(posted, initial={"skip_bad_rows": job.skip_bad_rows})
        if request.method == "POST" and form.is_valid():
            try:
                services.import_job_confirm(
                    job_id=job.pk, skip_bad_rows=form.cleaned_data["skip_bad_rows"]
                )
            except services.ImportJobError as exc:
                messages.error(request, str(exc))
            else:
                transaction.on_commit(lambda: tasks.import_job_run.delay(job.pk))
                return HttpResponseRedirect(
                    reverse("admin:catalog_importjob_progress", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "job": job,
            "preview": job.preview,
            "errors": error_list(job.preview),
            "form": form,
            "title": _("Check the import"),
        }
        return TemplateResponse(request, "admin/catalog/importjob/preview.html", context)

    def progress_view(self, request, job_id: int):
        job = self._job(request, job_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "job": job,
            "state": services.import_job_progress(job),
            "status_url": reverse("admin:catalog_importjob_status", args=[job.pk]),
            "next_url": self._next_url(job),
            "title": _("Importing"),
        }
        return TemplateResponse(request, "admin/catalog/importjob/progress.html", context)

    def status_view(self, request, job_id: int):
        job = self._job(request, job_id)
        return JsonResponse({**services.import_job_progress(job), "next": self._next_url(job)})

    def _next_url(self, job: ImportJob) -> str:
        if job.status == ImportJob.Status.PREVIEW:
            return reverse("admin:catalog_importjob_preview", args=[job.pk])
        return reverse("admin:catalog_importjob_change", args=[job.pk])

    def _job(self, request, job_id: int) -> ImportJob:
        job = get_object_or_404(ImportJob, pk=job_id)
        if job.created_by_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        return job


def error_list(data: dict):
    errors = data.get("errors") or []
    if not errors:
        return "—"
    shown = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((e["line"], e["column"], e["reason"]) for e in errors),
    )
    more = data.get("errors_total", len(errors)) - len(errors)
    tail = format_html("<p>… and {} more.</p>", more) if more > 0 else ""
    return format_html(
        '<table class="import-errors"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
        "<tbody>{}</tbody></table>{}",
        _("line"),
        _("column"),
        _("reason"),
        shown,
        tail,
    )
