from shared import apps_base


class VaultConfig(apps_base.SchemaAppConfig):
    name = "vault"
    schema = "vault"
    verbose_name = "Vault — documents and semantic search"
    default_auto_field = "django.db.models.BigAutoField"
