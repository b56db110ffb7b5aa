"""A second admin site for the inline audit test: groups with their members as an inline."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import path

from shared.admin_base import TekupModelAdmin, TekupTabularInline
from shared.models import User

site = admin.AdminSite(name="inline_test_admin")


class MembershipInline(TekupTabularInline):
    model = User.groups.through


@admin.register(Group, site=site)
class GroupWithMembersAdmin(TekupModelAdmin):
    fields = ["name"]
    inlines = [MembershipInline]


@admin.register(User, site=site)
class PlainUserAdmin(TekupModelAdmin):
    fields = ["email", "name", "is_staff"]
    list_display = ["email", "name"]
    date_hierarchy = "created_at"


urlpatterns = [path("admin/", site.urls)]
