import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from analytics.services.run import STEPS, UnknownStep, analytics_run


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Recompute customer scores, tags and segments (steps: " + ", ".join(STEPS) + ")."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="compute as of this date (YYYY-MM-DD; default today)")
        parser.add_argument(
            "--window-days", type=int, help="RFM window in days (default 365; 0 = all history)"
        )
        parser.add_argument("--only", help="comma-separated steps to run: " + ", ".join(STEPS))
        parser.add_argument("--since", help="recompute day-level results from this date only")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        as_of = _date(options["as_of"], "--as-of") if options["as_of"] else timezone.localdate()
        since = _date(options["since"], "--since") if options["since"] else None
        window = options["window_days"]
        if window is not None and window < 0:
            raise CommandError("--window-days must be 0 (all history) or a positive number of days")
        only = (
            [s.strip() for s in options["only"].split(",") if s.strip()]
            if options["only"]
            else None
        )
        show = not options["no_progress"] and sys.stderr.isatty()
        bar = tqdm(total=len(only or STEPS), disable=not show, unit="step")

        def on_step(name: str, index: int, total: int) -> None:
            bar.set_description(name)
            bar.n = index
            bar.refresh()

        try:
            report = analytics_run(
                as_of=as_of, window_days=window, only=only, since=since, on_step=on_step
            )
        except UnknownStep as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(f"Analytics as of {report.as_of}:")
        for step in report.steps:
            self.stdout.write(f"  {step.name:<10} {step.seconds:7.2f} s  {step.summary}")
        self.stdout.write(f"  {'total':<10} {report.seconds:7.2f} s")
