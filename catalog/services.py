"""Catalog services: every write that is more than a form save.

Imports and exports (:mod:`catalog.importing`) run through here, so that the management
commands, the admin upload, its Celery task and the admin export action share one entry
point.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog.importing import ImportFileError, ImportOptions, ImportResult, importer_for, run_import
from catalog.importing.base import ProgressFn
from catalog.importing.export_files import cell_text, masked_rows, model_rows, write_file
from catalog.importing.exports import exported_kinds, exporter_for, exporter_for_model
from catalog.importing.formats import GENERIC, parse_column_map, resolve_columns
from catalog.importing.readers import open_table
from catalog.models import ImportJob


def import_file(
    *,
    kind: str,
    path: str | Path,
    file_format: str = GENERIC,
    column_map: str | dict[str, str] | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    name: str = "",
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Import the CSV or XLSX file at ``path`` as ``kind`` (customers, products, orders,
    returns, reviews, channel-spend; events once :mod:`analytics.importing` is loaded).

    All-or-nothing unless ``skip_bad_rows``; ``dry_run`` validates and counts, then rolls
    back. Raises :class:`~catalog.importing.ImportFileError` when the file as a whole
    cannot be read; row problems are in the result's ``errors``.
    """
    options = ImportOptions(
        file_format=file_format,
        column_map=parse_column_map(column_map),
        encoding=encoding or None,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
    )
    return run_import(kind=kind, path=path, options=options, name=name, progress=progress)


def export_file(
    *,
    kind: str,
    path: str | Path,
    file_format: str = "csv",
    mask_pii: bool = False,
    queryset: QuerySet | None = None,
) -> int:
    """Write every row of ``kind`` (or of ``queryset``) to ``path`` in the generic import
    columns, as CSV or XLSX; returns the number of rows written."""
    exporter = exporter_for(kind)
    if exporter is None:
        raise ImportFileError(
            f"Unknown kind {kind!r}; one of: {', '.join(exported_kinds())}.", code="kind"
        )
    if file_format not in {"csv", "xlsx"}:
        raise ImportFileError(
            f"Unknown export format {file_format!r} (csv or xlsx).", code="format"
        )
    source = exporter.queryset() if queryset is None else queryset
    rows = masked_rows(exporter, exporter.rows(source), mask=mask_pii)
    return write_file(path, exporter.columns, rows, file_format=file_format)


def export_selection(*, queryset: QuerySet, mask_pii: bool) -> tuple[list[str], Iterable[list]]:
    """Columns and rows for an admin selection of any model: the generic import columns
    where the model has an import format, all concrete fields otherwise."""
    found = exporter_for_model(queryset.model)
    if found is None:
        return model_rows(queryset.model, queryset, mask=mask_pii)
    exporter, adapt = found
    rows = masked_rows(exporter, exporter.rows(adapt(queryset)), mask=mask_pii)
    return list(exporter.columns), rows


# -- admin upload jobs ---------------------------------------------------------------------

KEPT_ERRORS = 1000  # rows of errors a job keeps for its pages (the total is always kept)
SAMPLE_ROWS = 10


def import_job_create(
    *,
    kind: str,
    upload: UploadedFile,
    file_format: str = GENERIC,
    column_map: str | dict[str, str] | None = None,
    encoding: str = "",
    skip_bad_rows: bool = False,
    user=None,
) -> ImportJob:
    """Store an uploaded file under ``MEDIA_ROOT/imports/`` as a job awaiting validation."""
    importer_for(kind)  # an unknown kind is refused before the file is stored
    job = ImportJob(
        kind=kind,
        file_format=file_format,
        column_map=parse_column_map(column_map),
        encoding=encoding or "",
        skip_bad_rows=skip_bad_rows,
        original_name=Path(upload.name).name[:255],
        created_by=user if user is not None and user.is_authenticated else None,
    )
    job.file.save(Path(upload.name).name, upload, save=False)
    job.save()
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """The preview: the first rows, the detected mapping, and a dry run's counts and
    every error. A file that cannot be read fails the job with the reason."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATING:
        return job  # already validated (a retried task)
    progress = _progress_reporter(job.pk, scale=1.0)
    try:
        sample = _sample(job)
        result = _run(job, dry_run=True, skip_bad_rows=True, progress=progress)
    except ImportFileError as exc:
        return _finish(job, ImportJob.Status.FAILED, message=str(exc))
    job.preview = {**sample, **_result_json(result)}
    job.status = ImportJob.Status.PREVIEW
    job.progress = 100
    job.save(update_fields=["preview", "status", "progress"])
    return job


def import_job_confirm(*, job_id: int, skip_bad_rows: bool) -> ImportJob:
    """Queue the import of a validated job; refused while its preview has errors and
    bad rows are not to be skipped."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.PREVIEW:
            raise ImportJobError(
                f"This import is {job.get_status_display()}, not ready to confirm."
            )
        if job.preview.get("errors_total") and not skip_bad_rows:
            raise ImportJobError(
                "The file has bad lines: tick “skip bad rows” to import the good ones "
                "(nothing is written otherwise)."
            )
        job.skip_bad_rows = skip_bad_rows
        job.status = ImportJob.Status.QUEUED
        job.progress = 0
        job.save(update_fields=["skip_bad_rows", "status", "progress"])
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import (safe to run twice: a finished job is left alone, and an
    import interrupted by a crash rolled back, so running it again is correct)."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), progress=0)
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    try:
        result = _run(
            job, dry_run=False, skip_bad_rows=job.skip_bad_rows, progress=_progress_reporter(job.pk)
        )
    except ImportFileError as exc:
        return _finish(job, ImportJob.Status.FAILED, message=str(exc))
    status = ImportJob.Status.DONE if result.committed else ImportJob.Status.REFUSED
    return _finish(job, status, message=result.summary(), result=_result_json(result))


def import_job_progress(job: ImportJob) -> dict:
    """What the progress bar polls: status, percent and a message."""
    live = cache.get(_progress_key(job.pk)) or {}
    finished = job.status in ImportJob.FINISHED or job.status == ImportJob.Status.PREVIEW
    percent = 100 if finished else max(job.progress, live.get("percent", 0))
    return {
        "status": job.status,
        "status_display": job.get_status_display(),
        "percent": percent,
        "message": job.message or live.get("message", ""),
        "done": finished,
    }


class ImportJobError(Exception):
    """A job action that cannot be done now; the message says why."""


def _run(job: ImportJob, *, dry_run: bool, skip_bad_rows: bool, progress) -> ImportResult:
    return import_file(
        kind=job.kind,
        path=job.file.path,
        file_format=job.file_format,
        column_map=job.column_map,
        encoding=job.encoding or None,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        name=job.original_name,
        progress=progress,
    )


def _sample(job: ImportJob) -> dict:
    importer = importer_for(job.kind)
    layout = importer.layouts.get(job.file_format)
    if layout is None:
        raise ImportFileError(f"{job.kind} cannot be read in the {job.file_format!r} format.")
    with open_table(job.file.path, encoding=job.encoding or None, name=job.original_name) as table:
        columns = resolve_columns(table.header, layout, job.column_map, kind=job.kind)
        rows = []
        for chunk in table.chunks(SAMPLE_ROWS):
            rows = [[line, *(cell_text(v) for v in row)] for line, row in chunk]
            break
        return {
            "header": table.header,
            "mapping": columns.as_dict(),
            "ignored": columns.ignored,
            "rows": rows,
            "file_type": table.file_type,
            "encoding": table.encoding or "",
        }


def _result_json(result: ImportResult) -> dict:
    data = result.as_dict()
    data["errors"] = data["errors"][:KEPT_ERRORS]
    data["summary"] = result.summary()
    return data


def _finish(
    job: ImportJob, status: str, *, message: str = "", result: dict | None = None
) -> ImportJob:
    job.status = status
    job.message = message[:500]
    job.progress = 100
    job.finished_at = timezone.now()
    if result is not None:
        job.result = result
    job.save(update_fields=["status", "message", "progress", "finished_at", "result"])
    cache.delete(_progress_key(job.pk))
    return job


def _progress_key(job_id: int) -> str:
    return f"catalog:importjob:{job_id}:progress"


def _progress_reporter(job_id: int, scale: float = 1.0):
    """Progress goes to the cache, not the database: the import's own transaction would
    hide a row update from the polling page until the very end."""
    key = _progress_key(job_id)

    def report(fraction: float, message: str) -> None:
        cache.set(key, {"percent": int(100 * fraction * scale), "message": message}, timeout=3600)

    return report
