from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    schema = "crm"
    verbose_name = "CRM — customer relationships"
    default_auto_field = "django.db.models.BigAutoField"
