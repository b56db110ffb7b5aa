"""The router a sibling Django project installs so that its `migrate` never touches the six schemas.

A sibling installs this project's apps from the wheel to use their models and services; their tables
and migrations belong to this project, which migrates the shared database before any sibling deploys
(docs/services.md). Django's `migrate` in the sibling would otherwise apply whatever migrations the
installed version has to the shared database. With this router in `DATABASE_ROUTERS`, every operation
of those apps' migrations is skipped (Django still records them as applied in the sibling's own
`django_migrations`), and so are the content types and permissions Django would create for them.
The sibling's own apps are left to Django's default: they migrate as usual, into the first schema of
the connection's `search_path` (the sibling's own schema when it sets one).

This module imports no app, so the labels are spelled out here; a test holds them to the apps that
declare a schema of their own.
"""

from __future__ import annotations

# The apps whose migrations only this project runs, one per schema.
TEKUP_APP_LABELS = frozenset({"shared", "vault", "billy", "renos", "crm", "flow"})
ROUTER_PATH = f"{__name__}.SiblingRouter"


class SiblingRouter:
    """`allow_migrate` is False for the Tekup apps on every database; no opinion on anything else."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in TEKUP_APP_LABELS:
            return False
        return None


def is_installed(routers) -> bool:
    """Whether `routers` (the DATABASE_ROUTERS setting: paths, classes or instances) holds the router."""
    for router in routers:
        if router == ROUTER_PATH or isinstance(router, SiblingRouter):
            return True
        if isinstance(router, type) and issubclass(router, SiblingRouter):
            return True
    return False
