from django.apps import AppConfig


class SharedConfig(AppConfig):
    name = "shared"
    schema = "shared"
    verbose_name = "Shared — users and audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registered here, not by the project: sibling services install `shared` but not `tekupdb`.
        from . import checks  # noqa: F401
