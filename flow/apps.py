from django.apps import AppConfig


class FlowConfig(AppConfig):
    name = "flow"
    schema = "flow"
    verbose_name = "Flow — workflow automation"
    default_auto_field = "django.db.models.BigAutoField"
