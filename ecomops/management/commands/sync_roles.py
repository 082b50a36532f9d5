from django.core.management.base import BaseCommand

from ecomops.roles import roles_sync


class Command(BaseCommand):
    help = "Create the staff roles (Ops staff, Store manager, Analyst) and set their permissions."

    def handle(self, *args, **options):
        for role, count in roles_sync().items():
            self.stdout.write(f"{role}: {count} permissions")
