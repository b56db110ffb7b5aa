from django.contrib import admin
from django.urls import include, path

from . import sqltool, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Before admin.site.urls: the admin's own catch-all would answer these paths with 404.
    path("admin/sql/<int:query_id>/explain/", sqltool.guard(sqltool.explain), name="sql_explain"),
    path("admin/sql/", include(sqltool.explorer_urlpatterns())),
    path("admin/", admin.site.urls),
]
