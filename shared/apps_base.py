"""The AppConfig base of the five schema apps that build on `shared`.

Their models subclass `shared.models.TekupModel` and refer to the user model `shared.User`, so a project
(a sibling service, say) that installs one of them without `shared` would otherwise fail deep inside
model loading with an error about `shared.models`. Each app's config subclasses this one; the apps
import this module (`from shared import apps_base`), not the class, so that Django still finds exactly
one AppConfig in their `apps.py`.
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
