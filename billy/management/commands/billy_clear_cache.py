"""Delete the expired rows of billy's three caches (invoices, customers, products).

A read never returns an expired row, but nothing else removes them: run this from cron (say hourly)
to keep the cache tables at the size of what is live.
"""

from django.core.management.base import BaseCommand

from billy.services import clear_expired_cache


class Command(BaseCommand):
    help = (
        "Delete expired rows of the billy caches (invoices, customers, products) and print how many went "
        "from each; run it from cron, say hourly. Exit codes: 0 done; 1 a database error; 2 usage error."
    )

    def handle(self, *args, **options):
        counts = clear_expired_cache()
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {sum(counts.values())} expired cache rows ({summary}).")
        )
