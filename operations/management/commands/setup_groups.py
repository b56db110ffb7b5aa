"""Create the admin's staff groups: one per schema and read-only auditors.

Run after every migration that adds models (it is idempotent): each group's permissions are set to
exactly what `operations.groups` says, so new models join their schema's group. Put staff in groups in
the admin (Users → groups); a staff user then sees and changes only what its groups allow.
"""

from django.core.management.base import BaseCommand

from operations.groups import setup_groups


class Command(BaseCommand):
    help = (
        "Create or update the staff groups: one per schema, read-only auditors, and sql (the SQL tool). "
        "Idempotent: run it after every migration that adds models. Exit codes: 0 groups ready; 1 a "
        "database error (run migrate first); 2 usage error."
    )

    def handle(self, *args, **options):
        results = setup_groups()
        for result in results:
            verb = "created" if result.created else "updated"
            self.stdout.write(f"{result.name}: {verb}, {result.permissions} permissions")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} groups ready."))
