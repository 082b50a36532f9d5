import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from campaigns.demo.options import DemoArgumentError, DemoOptions
from campaigns.demo.run import STEPS, DatabaseNotEmpty, existing_data, seed_demo
from campaigns.demo.users import DEMO_PASSWORD, DEMO_USERS, MissingRoleGroup


class Command(BaseCommand):
    help = (
        "Fill an empty database with a realistic, reproducible demo shop: channels, "
        "catalogue, customers, orders, returns, reviews, points, groups, coupons and events. "
        "See docs/demo-data.md."
    )

    def add_arguments(self, parser):
        defaults = DemoOptions()
        parser.add_argument(
            "--customers", type=int, default=defaults.customers, help="customers (default 2,000)"
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=defaults.orders,
            help="orders, at least --customers and at most 50 per customer (default 20,000)",
        )
        parser.add_argument(
            "--events",
            type=int,
            help="behaviour events, exactly (default 10 per order, at most 1,000,000)",
        )
        parser.add_argument(
            "--seed", type=int, default=defaults.seed, help="random seed (default 42)"
        )
        parser.add_argument(
            "--as-of", help="the last day of the history, YYYY-MM-DD (default today)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already has data (for `make demo`)",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="delete all customers, catalogue, analytics and campaign data first",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        as_of = None
        if opts["as_of"]:
            try:
                as_of = date.fromisoformat(opts["as_of"])
            except ValueError:
                raise CommandError(
                    f"--as-of must be a date as YYYY-MM-DD, not {opts['as_of']!r}"
                ) from None
        options = DemoOptions(
            customers=opts["customers"],
            orders=opts["orders"],
            events=opts["events"],
            seed=opts["seed"],
            as_of=as_of,
        )
        try:
            options.validate()
        except DemoArgumentError as exc:
            raise CommandError(str(exc)) from None
        if opts["if_empty"] and opts["flush"]:
            raise CommandError("--if-empty and --flush contradict each other; give one of them")
        if opts["if_empty"]:
            counts = existing_data()
            if counts:
                listed = ", ".join(f"{n:,} {label}" for label, n in counts.items())
                self.stdout.write(f"The database already has data ({listed}); nothing seeded.")
                return

        show = not opts["no_progress"] and sys.stderr.isatty()
        bar = tqdm(total=len(STEPS), disable=not show, unit="step", file=sys.stderr)
        written = {"rows": 0}

        def on_step(name: str) -> None:
            bar.set_description(name)
            bar.update(1)

        def on_rows(label: str, n: int) -> None:
            written["rows"] += n
            bar.set_postfix_str(f"{written['rows']:,} rows")

        try:
            report = seed_demo(options, flush=opts["flush"], on_step=on_step, on_rows=on_rows)
        except DatabaseNotEmpty as exc:
            raise CommandError(
                f"{str(exc).capitalize()}. Give --flush to replace it, or --if-empty to keep it."
            ) from None
        except MissingRoleGroup as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()

        self.stdout.write(
            f"Seeded demo data as of {report.as_of} (seed {report.seed}) in {report.seconds:.1f} s:"
        )
        width = max(len(label) for label in report.rows)
        for label, n in sorted(report.rows.items()):
            self.stdout.write(f"  {label:<{width}}  {n:>12,}")
        self.stdout.write(f"  {'total':<{width}}  {sum(report.rows.values()):>12,}")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}): " + ", ".join(DEMO_USERS))
