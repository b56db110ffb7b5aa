"""Re-encrypt every organization's Billy API key with the newest TEKUPDB_ENCRYPTION_KEY.

Rotation of the encryption key: put the new key first in TEKUPDB_ENCRYPTION_KEY (keeping the old one
after it), deploy, run this command, then remove the old key. Until the command has run, rows sealed
with the old key still decrypt. The keys themselves are never printed.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from billy.services import reencrypt_api_keys
from shared.commands import acting_as_email, add_as_argument
from shared.crypto import DecryptionError


class Command(BaseCommand):
    help = "Re-encrypt every Billy API key with the newest key of TEKUPDB_ENCRYPTION_KEY."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the keys that need re-encryption; change nothing."
        )
        add_as_argument(parser)

    def handle(self, *args, dry_run: bool = False, **options):
        try:
            with acting_as_email(options.get("as_email")):
                result = reencrypt_api_keys(dry_run=dry_run)
        except (DecryptionError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            self.stdout.write(f"{result.rotated} of {result.checked} organization keys need re-encryption.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Re-encrypted {result.rotated} of {result.checked} organization keys.")
            )
