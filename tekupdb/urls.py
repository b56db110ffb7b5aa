from django.contrib import admin
from django.urls import include, path

from operations import views
from operations.console import activity, diagrams, sqltool

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Before admin.site.urls: the admin's own catch-all would answer these paths with 404.
    path("admin/sql/<int:query_id>/explain/", sqltool.guard(sqltool.explain), name="sql_explain"),
    path("admin/sql/", include(sqltool.explorer_urlpatterns())),
    path("admin/activity/", activity.activity_view, name="tekup_activity"),
    path("admin/activity/<int:pid>/<str:signal>/", activity.signal_view, name="tekup_activity_signal"),
    path("admin/diagrams/<str:schema>/", diagrams.diagram_view, name="tekup_schema_diagram"),
    path("admin/", admin.site.urls),
]
