from django.contrib import admin
from django.urls import path

from . import views

admin.site.site_header = "Tekup Database"
admin.site.site_title = "Tekup Database"
admin.site.index_title = "Schemas"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
