from shared import apps_base


class FlowConfig(apps_base.SchemaAppConfig):
    name = "flow"
    schema = "flow"
    verbose_name = "Flow — workflow automation"
    default_auto_field = "django.db.models.BigAutoField"
