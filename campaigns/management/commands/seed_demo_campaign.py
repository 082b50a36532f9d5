"""``manage.py seed_demo_campaign``: a past win-back campaign with a holdout and its
answers, through the real services (see ``campaigns/demo/campaign.py``)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns.demo.campaign import seed_demo_campaign


class Command(BaseCommand):
    help = "Add a past win-back campaign (holdout, coupons, redemptions) to the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="the demo's last day (default: today)")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, **options):
        try:
            as_of = (
                date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
            )
        except ValueError as error:
            raise CommandError(f"--as-of must be a date like 2026-06-30: {error}") from error
        result = seed_demo_campaign(as_of=as_of, seed=options["seed"])
        if result.campaign is None:
            self.stdout.write(f"nothing to do: {result.note}")
            return
        self.stdout.write(
            f"{result.campaign.name}: {result.recipients:,} recipients, {result.orders:,} orders "
            f"in the window, {result.redemptions:,} coupons redeemed"
        )
