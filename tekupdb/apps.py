from django.apps import AppConfig, apps


def install_updated_at_triggers(using="default", **kwargs):
    """post_migrate: every model table with an `updated_at` column gets its touch trigger."""
    from django.db import connections

    from .db.triggers import ensure_updated_at_triggers

    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and any(field.column == "updated_at" for field in model._meta.concrete_fields)
    ]
    ensure_updated_at_triggers(connections[using], tables)


class TekupdbConfig(AppConfig):
    name = "tekupdb"
    verbose_name = "Tekup Database"

    def ready(self):
        from django.conf import settings
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401 - registers the system checks

        # post_migrate is sent per app with models (tekupdb has none); each pass costs two catalog queries
        # and creates only what is missing.
        post_migrate.connect(install_updated_at_triggers, dispatch_uid="tekupdb-updated-at-triggers")

        if settings.DATABASES["default"].get("EMBEDDED_DATA_DIR"):
            from .db.embedded import exit_cleanly_on_termination

            exit_cleanly_on_termination()
