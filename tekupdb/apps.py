from django.apps import AppConfig


class TekupdbConfig(AppConfig):
    name = "tekupdb"
    verbose_name = "Tekup Database"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
