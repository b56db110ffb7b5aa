from shared import apps_base


class CrmConfig(apps_base.SchemaAppConfig):
    name = "crm"
    schema = "crm"
    verbose_name = "CRM — customer relationships"
    default_auto_field = "django.db.models.BigAutoField"
