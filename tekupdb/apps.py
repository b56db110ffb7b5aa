from django.apps import AppConfig


class TekupdbConfig(AppConfig):
    name = "tekupdb"
    verbose_name = "Tekup Database"

    def ready(self):
        from django.conf import settings

        from . import checks  # noqa: F401 - registers the system checks

        if settings.DATABASES["default"].get("EMBEDDED_DATA_DIR"):
            from .db.embedded import exit_cleanly_on_termination

            exit_cleanly_on_termination()
