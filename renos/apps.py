from shared import apps_base


class RenosConfig(apps_base.SchemaAppConfig):
    name = "renos"
    schema = "renos"
    verbose_name = "RenOS — cleaning operations"
    default_auto_field = "django.db.models.BigAutoField"
