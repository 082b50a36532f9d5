"""``manage.py create_api_key NAME --scopes read,write[,pii]``: prints the key once."""

from django.core.management.base import BaseCommand, CommandError

from ecomops.services import ApiKeyError, api_key_create


class Command(BaseCommand):
    help = "Create an API key for an external tool; the key is printed once (last word)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scopes", default="read", help="read, write and/or pii, comma-separated"
        )

    def handle(self, *args, **options):
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            api_key, key = api_key_create(name=options["name"], scopes=scopes)
        except ApiKeyError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"API key {api_key.name!r} with scopes {', '.join(api_key.scopes)}. "
            "Store it now: it is not shown again."
        )
        self.stdout.write(f"Authorization: Api-Key {key}")
