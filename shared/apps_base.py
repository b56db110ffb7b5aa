"""The AppConfig base of the five schema apps that build on `shared`.

Their models subclass `shared.models.TekupModel` and refer to the user model `shared.User`, so a project
(a sibling service, say) that installs one of them without `shared` would otherwise fail deep inside
model loading with an error about `shared.models`. Each app's config subclasses this one; the apps
import this module (`from shared import apps_base`), not the class, so that Django still finds exactly
one AppConfig in their `apps.py`.

Which apps own a schema is said once, by their AppConfig's `schema`; `schema_apps()` and `schema_names()`
read it for everyone that needs the list (health, the dashboard and admin index, the audit, roles,
partitions, the Prisma import).
"""

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured


class SchemaAppConfig(AppConfig):
    def import_models(self):
        # Every app config exists by now (models are imported in a second pass), and this app's models,
        # which import shared's, are not loaded yet: the one place to say what is missing. Only for the
        # project's registry: an isolated one (django.test.utils.isolate_apps) holds a few apps on purpose.
        if self.apps is apps and "shared" not in self.apps.app_configs:
            raise ImproperlyConfigured(
                f"The app '{self.label}' needs the app 'shared' in INSTALLED_APPS: its models build on "
                "shared's, and shared holds the user model (AUTH_USER_MODEL = 'shared.User'). "
                "Add 'shared' to INSTALLED_APPS."
            )
        super().import_models()


def schema_apps(*, dependencies_first: bool = True) -> list[AppConfig]:
    """The installed apps that own a schema (their AppConfig has `schema`), in dependency order: `shared`
    first, since every other schema app builds on it (SchemaAppConfig), then INSTALLED_APPS order.

    `dependencies_first=False` turns the tiers round (the apps that build on others, then `shared`): the
    order the admin index shows them in, the data first and what they share after.
    """
    configs = [config for config in apps.get_app_configs() if getattr(config, "schema", None)]
    # A stable sort: within a tier the apps keep their INSTALLED_APPS order.
    return sorted(configs, key=lambda config: isinstance(config, SchemaAppConfig) == dependencies_first)


def schema_names(*, dependencies_first: bool = True) -> list[str]:
    """The schemas of `schema_apps()`, in the same order."""
    return [getattr(config, "schema", "") for config in schema_apps(dependencies_first=dependencies_first)]
