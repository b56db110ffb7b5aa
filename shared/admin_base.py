"""Base classes for every ModelAdmin and inline of the project.

Every app's admin subclasses these, so that project-wide admin behaviour (the audit of every add,
change and delete into shared.audit_logs, the paginator that avoids COUNT(*) over big tables) lives in
one place.
"""

from django.contrib import admin


class TekupModelAdmin(admin.ModelAdmin):
    """Base ModelAdmin: subclass this for every model registered in the admin."""

    list_per_page = 50


class TekupTabularInline(admin.TabularInline):
    extra = 0


class TekupStackedInline(admin.StackedInline):
    extra = 0
