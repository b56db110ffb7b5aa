from django.apps import AppConfig


class BillyConfig(AppConfig):
    name = "billy"
    schema = "billy"
    verbose_name = "Billy — accounting cache, audit and rate limits"
    default_auto_field = "django.db.models.BigAutoField"
