"""``manage.py import_data KIND FILE``: load a CSV or XLSX file (see docs/import.md).

The command lives in analytics because analytics is the lowest app that sees every
kind: catalog owns the machinery and the catalog kinds (customers, products, orders,
returns, reviews, channel-spend) but may not import analytics (DESIGN §1), which owns
events. Importing :mod:`analytics.importing` registers the events kind.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

import analytics.importing  # noqa: F401  (registers the events kind)
from catalog.importing import ImportFileError, registered_kinds
from catalog.importing.formats import FORMATS
from catalog.services import import_file


class Command(BaseCommand):
    help = "Import customers, products, orders, events, returns, reviews or channel-spend."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=registered_kinds())
        parser.add_argument("file")
        parser.add_argument("--format", dest="file_format", choices=FORMATS, default="generic")
        parser.add_argument(
            "--map",
            dest="column_map",
            action="append",
            default=[],
            metavar="SRC=FIELD,...",
            help="read column SRC as FIELD (repeatable; SRC= ignores a column)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )
        parser.add_argument(
            "--skip-bad-rows", action="store_true", help="write the good rows, list the bad ones"
        )
        parser.add_argument("--encoding", help="e.g. utf-8, gbk, gb18030 (default: detected)")

    def handle(self, *args, **options):
        try:
            result = import_file(
                kind=options["kind"],
                path=options["file"],
                file_format=options["file_format"],
                column_map=options["column_map"],
                encoding=options["encoding"],
                dry_run=options["dry_run"],
                skip_bad_rows=options["skip_bad_rows"],
                progress=self._progress() if options["verbosity"] >= 2 else None,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors_total > len(result.errors):
            self.stderr.write(f"... and {result.errors_total - len(result.errors)} more errors.")
        if result.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(result.ignored_columns)}")
        self.stdout.write(result.summary())
        if not result.committed and not result.dry_run:
            raise CommandError("Nothing was written; fix the lines above or use --skip-bad-rows.")

    def _progress(self):
        def report(fraction: float, message: str) -> None:
            sys.stderr.write(f"\r{fraction:6.1%} {message:<40}")
            if fraction >= 1:
                sys.stderr.write("\n")

        return report
