"""`flush` that keeps the content types and permissions when post_migrate would write them again.

Django's flush empties every table, then sends post_migrate, whose receivers insert every content type
and permission again: about 370 rows, over 0.1 s, after every test that commits (pytest-django flushes
then). When those tables already hold exactly the rows post_migrate writes, this flush leaves them as they
are (`tekupdb.db.backend`'s `kept_if_unchanged`, decided under the flush's lock); any other row, a
missing one or a changed name, and they are emptied and written again as by Django.

When both were kept, post_migrate is not sent either: its receivers here are Django's content types and
permissions (which would write nothing: 58 queries, about 0.1 s, for no row) and the project's own, which
do nothing after a flush (operations.apps). An app whose post_migrate receiver must run after every flush
would need that changed. A flush without post_migrate (`inhibit_post_migrate`, as Django's
`available_apps` tests use) is Django's unchanged, and so is one that restarts the identities
(`reset_sequences`: `manage.py flush` itself) or the flush of a database on another engine.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import _get_all_permissions
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections

from tekupdb.db.backend.operations import Unchanged

CONTENT_TYPES = "SELECT app_label::text, model::text FROM django_content_type"
PERMISSIONS = (
    "SELECT t.app_label::text, t.model::text, p.codename::text, p.name::text "
    "FROM auth_permission p JOIN django_content_type t ON t.id = p.content_type_id"
)


def regenerated() -> list[Unchanged]:
    """The content types and permissions that post_migrate writes (django.contrib.contenttypes' and
    django.contrib.auth's receivers, for every app with models), as kept-if-unchanged checks."""
    models = [
        model
        for app_config in apps.get_app_configs()
        if app_config.models_module is not None
        for model in app_config.get_models()
    ]
    content_types = [(model._meta.app_label, model._meta.model_name) for model in models]
    permissions = [
        (model._meta.app_label, model._meta.model_name, codename, str(name))
        # Django's own list of a model's permissions (built-in and Meta.permissions), which its
        # create_permissions writes; if it ever differs, the tables differ and are flushed as usual.
        for model in models
        for codename, name in _get_all_permissions(model._meta)
    ]
    return [
        Unchanged("django_content_type", CONTENT_TYPES, content_types),
        Unchanged("auth_permission", PERMISSIONS, permissions),
    ]


class Command(flush.Command):
    help = (
        flush.Command.help + " Content types and permissions that already equal what post_migrate writes "
        "after the flush are kept instead of written again. Exit codes: 0 flushed (or not confirmed); "
        "1 an error; 2 usage error."
    )

    def handle(self, **options):
        ops = connections[options["database"]].ops
        # The same cases as the backend's sql_flush: a flush that restarts identities is Django's own.
        keep = (
            not options.get("inhibit_post_migrate", False)
            and not options.get("reset_sequences", True)
            and hasattr(ops, "kept_if_unchanged")
        )
        if not keep:
            return super().handle(**options)
        checks = regenerated()
        with ops.kept_if_unchanged(checks):
            super().handle(**{**options, "inhibit_post_migrate": True})
            kept = ops.kept_by_last_flush()
        if kept is not None and kept < len(checks):  # as Django's: only after a flush that ran
            emit_post_migrate_signal(options["verbosity"], options["interactive"], options["database"])
