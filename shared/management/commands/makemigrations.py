"""`makemigrations` that, in a sibling project, leaves the Tekup apps alone.

A sibling installs the Tekup apps from the wheel and adds `tekupdb.db.routers.SiblingRouter`. The router
stops `migrate` there, but Django's `makemigrations` asks no router: on another Django version it may
see "changes" in the installed apps and write migration files into site-packages that this project never
had. With the router installed, this command drops the Tekup apps from what it detects and refuses to be
pointed at one; without it (in this project) it is Django's own command, unchanged.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import makemigrations

from tekupdb.db.routers import TEKUP_APP_LABELS, is_installed


class Command(makemigrations.Command):
    help = (
        makemigrations.Command.help + " In a sibling project (SiblingRouter installed), the Tekup apps "
        f"({', '.join(sorted(TEKUP_APP_LABELS))}) are left alone: their migrations belong to the Tekup "
        "database project. Exit codes: 0 done (with --check: no changes); 1 --check found changes, or an "
        "error; 2 usage error."
    )

    def handle(self, *app_labels, **options):
        if is_installed(settings.DATABASE_ROUTERS):
            owned = sorted(set(app_labels) & TEKUP_APP_LABELS)
            if owned:
                raise CommandError(
                    f"The migrations of {', '.join(owned)} belong to the Tekup database project; a sibling "
                    "service never makes them (SiblingRouter is installed)."
                )
            # Derived from whatever autodetector is in place (another app may have swapped in its own).
            base = self.autodetector

            class SiblingAutodetector(base):
                def changes(self, *args, **kwargs):
                    found = super().changes(*args, **kwargs)
                    return {label: items for label, items in found.items() if label not in TEKUP_APP_LABELS}

            self.autodetector = SiblingAutodetector
        return super().handle(*app_labels, **options)
