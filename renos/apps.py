from django.apps import AppConfig


class RenosConfig(AppConfig):
    name = "renos"
    schema = "renos"
    verbose_name = "RenOS — cleaning operations"
    default_auto_field = "django.db.models.BigAutoField"
