"""Export of a changelist, as staff see it (filters and search applied), to CSV or Excel.

Libraries compared (2026-11): django-import-export 4.4 builds every export as a tablib `Dataset` in
memory and answers with one `HttpResponse` (its issue #1952, "Use a StreamingHttpResponse", is open:
tablib has no row-by-row writer), so a 1,000,000-row export would hold every row at once. No well-kept
admin export library streams. Hence our own, small:
- CSV: Django's documented streaming pattern (`StreamingHttpResponse` over `csv.writer` and an echo
  buffer), reading rows through a server-side cursor (`QuerySet.iterator(chunk_size=...)`): constant
  memory whatever the row count (bench/admin_export.py measures it).
- Excel: XlsxWriter in `constant_memory` mode writes each row to a temporary file as it comes (the
  XLSX format is a zip that cannot be sent before it is finished), then the file is streamed out.
  Excel holds at most 1,048,576 rows: a longer list is refused with a message pointing to CSV.

Rules: an export needs the view permission of the model (403 otherwise; importing is not offered);
encrypted columns (`encrypted = True` on the field, see shared.fields) and the admin's `secret_fields`
are never exported; values are the stored ones (ids of related rows, ISO times in the site's time zone).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

FORMATS = ("csv", "xlsx")
CHUNK_ROWS = 2_000
EXCEL_MAX_ROWS = 1_048_576 - 1  # Excel's sheet size, less the header row


# Secret columns known before every encrypted field carries `encrypted = True` (shared.fields, #13):
# (app_label, model_name, field name).
def exportable_fields(model, *, secret_fields: Iterable[str] = ()) -> list:
    """The model's concrete fields that may leave the database in an export: never an encrypted one."""
    secret = set(secret_fields)
    fields = []
    for field in model._meta.concrete_fields:
        if getattr(field, "encrypted", False) or field.name in secret:
            continue
        if model is get_user_model() and field.name == "password":
            continue  # a hash, but nothing to hand around in a spreadsheet
        fields.append(field)
    return fields


def _header(field) -> str:
    return field.column


def _text(value) -> str | int | float | None:
    """A value as a CSV cell: times in the site's time zone with their offset, JSON as JSON."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ", ".join(value)  # text arrays (tags) read best as a list
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _excel(value):
    """A value as an Excel cell: Excel has no time zones, so local wall time (the header says which)."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | dt.date | dt.time) or value is None:
        return value
    return _text(value)


class _Echo:
    """The file-like object csv.writer writes to: hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(queryset, fields) -> Iterator[str]:
    """The CSV of the queryset's rows, line by line (header first), read in chunks of CHUNK_ROWS."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([_header(field) for field in fields])  # BOM: Excel reads UTF-8
    rows = queryset.values_list(*[field.attname for field in fields]).iterator(chunk_size=CHUNK_ROWS)
    for row in rows:
        yield writer.writerow([_text(value) for value in row])


def write_xlsx(queryset, fields, target, *, sheet: str) -> bool:
    """Write the rows as XLSX to `target` (a binary file); False if they do not fit in one sheet."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "in_memory": False, "strings_to_urls": False}
    )
    worksheet = workbook.add_worksheet(sheet[:31])
    zone = timezone.get_current_timezone_name()
    date_time = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold = workbook.add_format({"bold": True})
    for column, field in enumerate(fields):
        label = _header(field)
        if field.get_internal_type() == "DateTimeField":
            label = f"{label} ({zone})"
        worksheet.write_string(0, column, label, bold)
    formats = [
        date_time
        if field.get_internal_type() == "DateTimeField"
        else date
        if field.get_internal_type() == "DateField"
        else None
        for field in fields
    ]
    rows = queryset.values_list(*[field.attname for field in fields]).iterator(chunk_size=CHUNK_ROWS)
    fits = True
    for number, row in enumerate(rows, start=1):
        if number > EXCEL_MAX_ROWS:
            fits = False
            break
        for column, value in enumerate(row):
            value = _excel(value)
            if value is None:
                continue
            if formats[column] is not None:
                worksheet.write_datetime(number, column, value, formats[column])
            elif isinstance(value, str):
                worksheet.write_string(number, column, value)
            else:
                worksheet.write(number, column, value)
    workbook.close()
    return fits


def export_view(model_admin, request, fmt: str):
    """The admin view behind the changelist's Export links."""
    if fmt not in FORMATS:
        raise PermissionDenied  # unreachable through the URL pattern; never a 500
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        messages.warning(request, "The filter in the address was not understood: nothing was exported.")
        return HttpResponseRedirect(request.path.rsplit("export/", 1)[0])
    queryset = changelist.queryset
    fields = exportable_fields(model_admin.model, secret_fields=getattr(model_admin, "secret_fields", ()))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{opts.app_label}-{slugify(opts.verbose_name_plural)}-{stamp}"
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(queryset, fields), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    target = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it once sent
    if not write_xlsx(queryset, fields, target, sheet=str(opts.verbose_name_plural)):
        target.close()
        messages.warning(
            request,
            f"Excel holds at most {EXCEL_MAX_ROWS:,} rows and this list has more: "
            "filter it further or export CSV.",
        )
        return HttpResponseRedirect(request.path.rsplit("export/", 1)[0] + _query(request))
    target.seek(0)
    return FileResponse(
        target,
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _query(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""
