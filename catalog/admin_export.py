"""The "Export selected rows to CSV" action, on every changelist of the admin.

Registered site-wide with ``admin.site.add_action`` (loaded by ``CatalogConfig.ready``):
a model that has an import format is exported in its generic import columns (so the
file can be edited and imported back); any other model in all its concrete fields. Text
cells that a spreadsheet would run as formulas are escaped, and e-mail, phone and
birthday are masked for users without ``customers.view_pii``
(:mod:`catalog.importing.export_files`). The rows stream, so exporting every order of a
large shop does not load them into memory.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.importing.export_files import csv_lines
from catalog.services import export_selection
from customers.pii import can_view_pii


@admin.action(description=_("Export selected rows to CSV"), permissions=["view"])
def export_selected_csv(modeladmin, request, queryset):
    columns, rows = export_selection(queryset=queryset, mask_pii=not can_view_pii(request.user))
    response = StreamingHttpResponse(
        csv_lines(columns, rows), content_type="text/csv; charset=utf-8"
    )
    name = queryset.model._meta.model_name
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


admin.site.add_action(export_selected_csv, "export_selected_csv")
