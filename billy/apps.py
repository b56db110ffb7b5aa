from shared import apps_base


class BillyConfig(apps_base.SchemaAppConfig):
    name = "billy"
    schema = "billy"
    verbose_name = "Billy — accounting cache, audit and rate limits"
    default_auto_field = "django.db.models.BigAutoField"
