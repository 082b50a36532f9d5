"""``manage.py export_scores FILE [--format csv|xlsx]``: every customer's scores."""

from django.core.management.base import BaseCommand, CommandError

from analytics.selectors import SCORE_EXPORT_COLUMNS, score_export_rows
from catalog.importing.export_files import write_file


class Command(BaseCommand):
    help = "Write one row per scored customer: RFM, labels, lifecycle, value and predictions."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", dest="file_format", choices=("csv", "xlsx"), default=None)

    def handle(self, *args, **options):
        path = options["file"]
        file_format = options["file_format"] or (
            "xlsx" if path.lower().endswith(".xlsx") else "csv"
        )
        try:
            count = write_file(
                path, SCORE_EXPORT_COLUMNS, score_export_rows(), file_format=file_format
            )
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from exc
        self.stdout.write(f"Exported {count} customer scores to {path}.")
