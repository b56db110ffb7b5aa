"""Is the database fit to serve? For operators, cron and container health checks at 3 a.m.

Exit status: 0 healthy (warnings, marked WARN, do not change it), 1 unhealthy (each failing check is
named), 2 the database cannot be reached (decided within --timeout seconds, even when the server does
not answer at all).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from operations.health import run_checks

EXIT_HEALTHY, EXIT_UNHEALTHY, EXIT_UNREACHABLE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Check the database: connection, versions, schemas, tables, migrations, size, cache, key ring, "
        "backups, replica. Exit codes: 0 healthy (warnings included); 1 unhealthy (each failing check "
        "named); 2 the database cannot be reached within --timeout (or a usage error)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--quick", action="store_true", help="Only the cheap checks (as /healthz).")
        parser.add_argument(
            "--timeout", type=float, default=5.0, help="Seconds to wait for the server (default 5)."
        )

    def handle(self, *args, **options):
        report = run_checks(include_slow=not options["quick"], timeout=options["timeout"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
        else:
            width = max(len(check.name) for check in report.checks)
            for check in report.checks:
                if not check.ok:
                    mark = self.style.ERROR("FAIL")
                elif check.warning:
                    mark = self.style.WARNING("WARN")
                else:
                    mark = self.style.SUCCESS("ok  ")
                self.stdout.write(f"{mark} {check.name.ljust(width)}  {check.detail}")
            if report.status == "healthy":
                warned = f", {len(report.warnings)} warnings" if report.warnings else ""
                self.stdout.write(self.style.SUCCESS(f"healthy ({report.duration_ms:.0f} ms{warned})"))
        if report.status == "unreachable":
            raise CommandError(
                f"cannot connect to the database: {report.checks[0].detail}", returncode=EXIT_UNREACHABLE
            )
        if report.status != "healthy":
            failing = ", ".join(f"{check.name} ({check.detail})" for check in report.failing)
            raise CommandError(f"unhealthy: {failing}", returncode=EXIT_UNHEALTHY)
