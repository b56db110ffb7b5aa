"""The project's admin site: "Tekup Database", apps grouped by schema, a dashboard on the index.

Installed in place of `django.contrib.admin` (settings: `TekupAdminConfig`), so `admin.site` and
every `@admin.register` of the apps use it without knowing.
"""

from __future__ import annotations

from functools import partial

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject

from shared.apps_base import schema_apps


def describe_app(app_label: str) -> tuple[str, str, str]:
    """(short name, schema, one-line description) of an app.

    An AppConfig may say `description`; otherwise its verbose_name "Vault — documents and search"
    gives both the name and the description. Apps without a `schema` (Django's own) live in public.
    """
    config = apps.get_app_config(app_label)
    name, _, description = str(config.verbose_name).partition(" — ")
    description = getattr(config, "description", "") or description
    return name, getattr(config, "schema", "public"), description


DASHBOARD_PERMISSION = "shared.view_dashboard"


def can_view_dashboard(user) -> bool:
    return user.is_active and user.has_perm(DASHBOARD_PERMISSION)


class TekupAdminSite(admin.AdminSite):
    site_header = "Tekup Database"
    site_title = "Tekup Database"
    index_title = "Schemas"
    index_template = "admin/tekupdb/index.html"
    site_url = None  # no public site: Django's "View site" link would lead to a 404
    # The app list stays on the index; the changelists need the width for their columns (1,400 px).
    enable_nav_sidebar = False

    def get_app_list(self, request, app_label=None):
        """Django's app list, ordered by schema; built when first read.

        Django's `each_context` asks for it on every admin page, for the nav sidebar, which is off here
        (`enable_nav_sidebar`): building it costs a `reverse()` per model and URL, about a quarter of a
        changelist's time. A lazy list (the proxy Django uses for `request.user`) leaves that cost to
        the pages that show it (the index, an app's page)."""
        return SimpleLazyObject(partial(self._ordered_app_list, request, app_label))

    def _ordered_app_list(self, request, app_label):
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            app["name"], app["schema"], app["description"] = describe_app(app["app_label"])
        # The schema apps first, the data before what they share (shared.apps_base), Django's own last.
        order = [config.label for config in schema_apps(dependencies_first=False)]
        rank = {label: index for index, label in enumerate(order)}
        app_list.sort(key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"]))
        return app_list

    def index(self, request, extra_context=None):
        from . import dashboard
        from .sqltool import tool_links

        # The figures (sizes, versions, backup folder) need a permission of their own (auditors have it).
        board = dashboard.build_dashboard(user=request.user) if can_view_dashboard(request.user) else None
        context = {"dashboard": board, "tekup_tools": tool_links(request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)


class TekupAdminConfig(AdminConfig):
    default_site = "operations.console.admin_site.TekupAdminSite"
