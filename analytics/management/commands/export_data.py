"""``manage.py export_data KIND FILE``: write every row of a kind in the generic import
columns (CSV or XLSX), so that ``import_data`` reads it back unchanged.

In analytics for the same reason as ``import_data``: it is the lowest app that sees
every kind, events included.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

import analytics.importing  # noqa: F401  (registers the events exporter)
from catalog.importing import ImportFileError
from catalog.importing.exports import exported_kinds
from catalog.services import export_file


class Command(BaseCommand):
    help = "Export customers, products, orders, events, returns, reviews or channel-spend."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=exported_kinds())
        parser.add_argument("file")
        parser.add_argument("--format", dest="file_format", choices=("csv", "xlsx"), default=None)
        parser.add_argument(
            "--mask-pii",
            action="store_true",
            help="mask e-mail, phone and birthday (such a file cannot be imported back)",
        )

    def handle(self, *args, **options):
        path = options["file"]
        file_format = options["file_format"] or (
            "xlsx" if path.lower().endswith(".xlsx") else "csv"
        )
        try:
            count = export_file(
                kind=options["kind"],
                path=path,
                file_format=file_format,
                mask_pii=options["mask_pii"],
            )
        except (ImportFileError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Exported {count} {options['kind']} rows to {path}.")
