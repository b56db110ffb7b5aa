from django.apps import AppConfig


class SharedConfig(AppConfig):
    name = "shared"
    schema = "shared"
    verbose_name = "Shared — users and audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core import checks

        from shared.fields import check_admin_hides_secrets

        checks.register(check_admin_hides_secrets, checks.Tags.admin)
