from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    schema = "vault"
    verbose_name = "Vault — documents and semantic search"
    default_auto_field = "django.db.models.BigAutoField"
