"""Base classes for every ModelAdmin and inline of the project.

Every app's admin subclasses these, so that project-wide admin behaviour lives in one place:
- the History page of every object shows the database audit of its row (shared.audit: every write,
  whoever made it) as a table of field, before, after; the admin itself writes no audit;
- big tables: the paginator never counts a whole table, the changelist skips Django's second
  full count, plain-column list filters take their choices from PostgreSQL's statistics, and foreign
  keys shown in `list_display` are fetched in the same query (no N+1);
- audit tables (`…"."audit_logs`) and any admin with `read_only = True` can be viewed, never edited;
- numbers read as Danish staff expect (shared.formatting): money "1.234,56 kr." (or the row's currency),
  durations "7 h 42 min", percentages rounded, in every changelist without each admin listing them;
  short text columns get a one-line input instead of a text area;
- every changelist exports to CSV or Excel, filters and search applied (shared.admin_export), and a
  malformed filter in the address shows the list unfiltered with a message instead of an error page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.db import models, router
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst

from . import admin_export, formatting
from .admin_filters import EstimatedValuesFieldListFilter
from .paginator import EXACT_COUNT_BELOW, EstimatedCountPaginator, table_row_estimate

AUDIT_TABLE = "audit_logs"
HISTORY_ENTRIES = 100


def is_audit_table(model) -> bool:
    """Audit tables are written by the system only: the admin shows them read-only."""
    return model._meta.db_table.rsplit('"', 1)[-1] == AUDIT_TABLE


def _uses_all_values_filter(field) -> bool:
    """Would Django's admin pick AllValuesFieldListFilter (a DISTINCT over the table) for this field?"""
    return not (
        field.is_relation or field.choices or isinstance(field, models.BooleanField | models.DateField)
    )


def without_date_hierarchy(changelist_class: type[ChangeList]) -> type[ChangeList]:
    """The changelist class with its date hierarchy switched off (its year/month/day links cost a
    DISTINCT over every row of the period shown: on a big table, a full scan)."""

    class BigTableChangeList(changelist_class):
        def __init__(self, request, model, list_display, list_display_links, list_filter, _, *args, **kw):
            super().__init__(request, model, list_display, list_display_links, list_filter, None, *args, **kw)

    return BigTableChangeList


# TextFields that hold one short value (a path, a link, an id from another system): a one-line input.
SINGLE_LINE_SUFFIXES = ("_id", "_url", "_link", "_key", "path", "url", "email", "name", "title", "subject")


def formatted_column(field):
    """A list_display column showing `field` formatted by its kind (money, duration, percentage)."""
    kind = formatting.column_kind(field)
    if kind is None:
        return None
    has_currency = any(f.name == "currency" for f in field.model._meta.concrete_fields)

    def show(obj):
        value = getattr(obj, field.attname)
        if value is None:
            return None
        currency = getattr(obj, "currency", None) if has_currency else None
        return formatting.format_value(kind, value, currency=currency)

    show.__name__ = field.name  # keeps Django's "field-<name>" CSS class of the column
    label = str(field.verbose_name)
    if kind == "ms" and label.endswith(" ms"):
        label = label[: -len(" ms")]  # the values carry their unit ("28,9 s")
    show.short_description = capfirst(label)
    show.admin_order_field = field.name
    return show


def is_single_line(db_field) -> bool:
    return isinstance(db_field, models.TextField) and db_field.name.endswith(SINGLE_LINE_SUFFIXES)


class SingleLineTextMixin:
    """Short values stored as text get a one-line input (Django gives every TextField a text area)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_single_line(db_field) and "widget" not in kwargs:
            kwargs["widget"] = forms.TextInput(attrs={"class": "vTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class TekupModelAdmin(SingleLineTextMixin, admin.ModelAdmin):
    """Base ModelAdmin: subclass this for every model registered in the admin."""

    list_per_page = 50
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Rows only the system writes: nobody adds or changes them here, superusers included; every field is
    # shown read-only. `deletable` lets staff still delete them (a cache, counters that get pruned).
    read_only = False
    deletable = False

    # --- read-only admins -------------------------------------------------------------------------

    def _writable(self) -> bool:
        return not (self.read_only or is_audit_table(self.model))

    def has_add_permission(self, request):
        return self._writable() and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._writable() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        may_delete = self._writable() or (self.deletable and not is_audit_table(self.model))
        return may_delete and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if self.read_only:
            return [field.name for field in self.opts.concrete_fields]
        return super().get_readonly_fields(request, obj)

    # --- the changelist: formatted numbers, export, and malformed filters ------------------------------

    def get_list_display(self, request):
        """The admin's columns, with money, durations and percentages formatted (shared.formatting)."""
        keep = {*(self.list_display_links or ()), *(self.list_editable or ())}
        columns = []
        for entry in super().get_list_display(request):
            column = None
            if isinstance(entry, str) and entry not in keep:
                try:
                    column = formatted_column(self.model._meta.get_field(entry))
                except Exception:  # a method or attribute of the admin or the model, not a field
                    column = None
            columns.append(column or entry)
        return columns

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        export = path(
            "export/<str:fmt>/",
            self.admin_site.admin_view(self.export_view),
            name="{}_{}_export".format(*info),
        )
        return [export, *super().get_urls()]

    def export_view(self, request, fmt):
        return admin_export.export_view(self, request, fmt)

    def changelist_view(self, request, extra_context=None):
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        info = self.opts.app_label, self.opts.model_name
        exports = {
            fmt: reverse(f"{self.admin_site.name}:{info[0]}_{info[1]}_export", args=[fmt]) + query
            for fmt in admin_export.FORMATS
        }
        context = {"export_urls": exports, **(extra_context or {})}
        response = super().changelist_view(request, context)
        # Django answers a filter it cannot apply with a redirect to "?e=1" and a bare "Database error"
        # page; staff get the list unfiltered and told why.
        if isinstance(response, HttpResponseRedirect) and response.url == f"{request.path}?{ERROR_FLAG}=1":
            messages.warning(
                request,
                f"The filter in the address ({request.GET.urlencode()[:200]}) was not understood: "
                "showing the list unfiltered.",
            )
            return HttpResponseRedirect(request.path)
        return response

    # --- big tables ---------------------------------------------------------------------------------

    def table_estimate(self, request) -> int | None:
        """The planner's row estimate of the model's table, looked up once per request."""
        known = request.__dict__.setdefault("_tekup_table_estimates", {})
        if self.model not in known:
            known[self.model] = table_row_estimate(self.model, using=router.db_for_read(self.model))
        return known[self.model]

    def is_big_table(self, request) -> bool:
        """Whether the table is big enough that whole-table queries must be avoided."""
        estimate = self.table_estimate(request)
        return estimate is not None and estimate >= getattr(
            self.paginator, "exact_count_below", EXACT_COUNT_BELOW
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if isinstance(paginator, EstimatedCountPaginator) and getattr(queryset, "model", None) is self.model:
            paginator.known_table_estimate = self.table_estimate(request)
        return paginator

    def get_changelist(self, request, **kwargs):
        """On a big table the date hierarchy gives way to a date list filter (see get_list_filter)."""
        changelist = super().get_changelist(request, **kwargs)
        if self.date_hierarchy and self.is_big_table(request):
            return without_date_hierarchy(changelist)
        return changelist

    def get_list_select_related(self, request):
        """Unless the admin says otherwise, join every foreign key that list_display shows."""
        if self.list_select_related is not False:
            return self.list_select_related
        related = []
        for name in self.get_list_display(request):
            if not isinstance(name, str):
                continue
            try:
                field = self.model._meta.get_field(name)
            except Exception:  # a method or attribute of the admin or the model, not a field
                continue
            if field.concrete and (field.many_to_one or field.one_to_one):
                related.append(name)
        return related or False

    def get_list_filter(self, request):
        """Plain-column filters list their choices from pg_stats on big tables, not a DISTINCT scan."""
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and "__" not in entry:
                try:
                    field = self.model._meta.get_field(entry)
                except Exception:
                    field = None
                if field is not None and _uses_all_values_filter(field):
                    entry = (entry, EstimatedValuesFieldListFilter)
            filters.append(entry)
        if self.date_hierarchy and "__" not in self.date_hierarchy and self.is_big_table(request):
            named = {
                entry if isinstance(entry, str) else entry[0]
                for entry in filters
                if not isinstance(entry, type)
            }
            if self.date_hierarchy not in named:
                filters.append((self.date_hierarchy, admin.DateFieldListFilter))
        return filters

    # --- history: the database audit of the row ---------------------------------------------------

    object_history_template = "admin/tekupdb/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        """Django's History page (its log of admin edits) with the audit of the row: every write to it,
        newest first, each as a table of field, before, after."""
        from .services import audit_trail

        response = super().history_view(request, object_id, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data.get("object") is not None:
            obj = response.context_data["object"]
            entries = audit_trail(instance=obj, limit=HISTORY_ENTRIES)
            response.context_data["audit_entries"] = [
                (entry, [(field, pair[0], pair[1]) for field, pair in sorted(entry.changes.items())])
                for entry in entries
            ]
            response.context_data["audit_limit"] = HISTORY_ENTRIES
        return response


class TekupTabularInline(SingleLineTextMixin, admin.TabularInline):
    extra = 0


class TekupStackedInline(SingleLineTextMixin, admin.StackedInline):
    extra = 0
