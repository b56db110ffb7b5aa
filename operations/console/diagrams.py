"""Schema diagrams: each schema's tables, keys and foreign keys, drawn from the models as SVG.

Own code rather than a library: django-extensions' graph_models needs the Graphviz programs (`dot`),
which no Python package installs, and django-schema-graph draws in the browser with a JavaScript
library. This lays tables out in columns by foreign-key depth (a table sits right of every table it
references), which keeps arrows pointing one way, and writes the SVG on the server: no script, no CDN.
Tables of another schema that a key points into (`shared.users`, say) are drawn dashed, leftmost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from xml.sax.saxutils import escape

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.backends.utils import split_identifier
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

BOX_WIDTH = 250
HEADER = 26
ROW = 17
COLUMN_GAP = 110
BOX_GAP = 26
MARGIN = 20
MAX_COLUMN_HEIGHT = 900  # a layer taller than this continues in the next column
SHORT_TYPES = {"timestamp with time zone": "timestamptz", "double precision": "float8"}


@dataclass
class Column:
    name: str
    type: str
    primary: bool = False
    unique: bool = False
    target: str | None = None  # "schema.table" a foreign key points at


@dataclass
class Table:
    name: str  # schema.table
    columns: list[Column] = field(default_factory=list)
    external: bool = False
    x: int = 0
    y: int = 0

    @property
    def height(self) -> int:
        return HEADER + ROW * max(len(self.columns), 1) + 6


def _qualified(model) -> str:
    schema, table = split_identifier(model._meta.db_table)
    return f"{schema or 'public'}.{table}"


def _column_type(field_: models.Field) -> str:
    if isinstance(field_, models.ForeignKey):
        return "fk"
    # db_type() reads the backend's type table; it opens no connection.
    name = (field_.db_type(connection=connection) or field_.get_internal_type()).split("(")[0]
    return SHORT_TYPES.get(name, name)


def schema_tables(schema: str) -> list[Table]:
    """The tables of `schema` (M2M tables included) and the outside tables its keys point at."""
    tables: dict[str, Table] = {}
    outside: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy or not _qualified(model).startswith(f"{schema}."):
            continue
        table = tables.setdefault(_qualified(model), Table(name=_qualified(model)))
        for field_ in model._meta.local_concrete_fields:
            target = None
            if field_.is_relation and field_.related_model is not None:
                target = _qualified(field_.related_model)
                if not target.startswith(f"{schema}.") and target not in outside:
                    related = field_.related_model
                    outside[target] = Table(
                        name=target,
                        external=True,
                        columns=[Column(name=related._meta.pk.column, type="uuid", primary=True)],
                    )
            try:
                column_type = f"→ {target.split('.', 1)[1]}" if target else _column_type(field_)
            except Exception:  # a field type without a PostgreSQL name: show its Django name
                column_type = field_.get_internal_type()
            table.columns.append(
                Column(
                    name=field_.column,
                    type=column_type,
                    primary=field_.primary_key,
                    unique=field_.unique and not field_.primary_key,
                    target=target,
                )
            )
    return sorted(outside.values(), key=lambda t: t.name) + sorted(tables.values(), key=lambda t: t.name)


def _layout(tables: list[Table]) -> tuple[int, int]:
    """Columns by foreign-key depth; long columns wrap. Returns the drawing's (width, height)."""
    by_name = {table.name: table for table in tables}
    depth: dict[str, int] = {}

    def level(name: str, seen: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        table = by_name[name]
        if table.external:
            return 0
        targets = [c.target for c in table.columns if c.target in by_name and c.target not in seen | {name}]
        result = 1 + max((level(t, seen | {name}) for t in targets), default=0)
        depth[name] = result
        return result

    referenced = {c.target for table in tables for c in table.columns if c.target}
    columns: dict[int, list[Table]] = {}
    loose: list[Table] = []  # no key in or out: after the rest, so arrows need not cross them
    for table in tables:
        if not table.external and table.name not in referenced and not any(c.target for c in table.columns):
            loose.append(table)
        else:
            columns.setdefault(0 if table.external else level(table.name, frozenset()), []).append(table)
    if loose:
        columns[max(columns, default=0) + 1] = loose
    x, width, height = MARGIN, 0, 0
    for key in sorted(columns):
        y = MARGIN
        for table in columns[key]:
            if y > MARGIN and y + table.height > MAX_COLUMN_HEIGHT:
                x += BOX_WIDTH + COLUMN_GAP
                y = MARGIN
            table.x, table.y = x, y
            y += table.height + BOX_GAP
            height = max(height, y)
        width = x + BOX_WIDTH
        x += BOX_WIDTH + COLUMN_GAP
    return width + MARGIN, height + MARGIN


def render_svg(schema: str) -> str:
    tables = schema_tables(schema)
    if not any(not table.external for table in tables):
        raise Http404(f"No tables in schema {schema!r}.")
    width, height = _layout(tables)
    by_name = {table.name: table for table in tables}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="schema-diagram" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="Tables and foreign keys of schema {escape(schema)}">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' fill='#417690'/></marker></defs>",
    ]
    edges, boxes = [], []
    for table in tables:
        dash = ' stroke-dasharray="5 3"' if table.external else ""
        fill = "#f4f4f4" if table.external else "#ffffff"
        boxes.append(
            f'<g class="table" data-table="{escape(table.name)}">'
            f'<rect x="{table.x}" y="{table.y}" width="{BOX_WIDTH}" height="{table.height}" rx="4" '
            f'fill="{fill}" stroke="#417690"{dash}/>'
            f'<rect x="{table.x}" y="{table.y}" width="{BOX_WIDTH}" height="{HEADER}" rx="4" '
            f'fill="{"#79aec8" if table.external else "#417690"}"/>'
            f'<text x="{table.x + 8}" y="{table.y + 17}" fill="#ffffff" font-weight="bold">'
            f"{escape(table.name)}</text>"
        )
        for index, column in enumerate(table.columns):
            y = table.y + HEADER + ROW * index + 13
            mark = "PK" if column.primary else ("FK" if column.target else ("UQ" if column.unique else ""))
            boxes.append(
                f'<text x="{table.x + 8}" y="{y}" font-weight="{"bold" if column.primary else "normal"}">'
                f"{escape(column.name)}</text>"
                f'<text x="{table.x + BOX_WIDTH - 30}" y="{y}" fill="#666" text-anchor="end">'
                f"{escape(column.type)}</text>"
                f'<text x="{table.x + BOX_WIDTH - 8}" y="{y}" fill="#417690" text-anchor="end">{mark}</text>'
            )
            if column.target and column.target in by_name:
                target = by_name[column.target]
                y1, y2 = y - 4, target.y + HEADER / 2
                if target is table:  # a self-reference loops out of the left edge
                    d = f"M {table.x} {y1} C {table.x - 40} {y1}, {table.x - 40} {y2}, {table.x} {y2}"
                else:
                    x1, x2 = table.x, target.x + BOX_WIDTH
                    if target.x >= table.x:  # same column or to the right: leave by the right edge
                        x1 = table.x + BOX_WIDTH
                        x2 = target.x if target.x > table.x else target.x + BOX_WIDTH
                    bend = max(40, abs(x1 - x2) / 2)
                    c1 = x1 - bend if x1 == table.x else x1 + bend
                    c2 = x2 + bend if x2 == target.x + BOX_WIDTH else x2 - bend
                    d = f"M {x1} {y1} C {c1} {y1}, {c2} {y2}, {x2} {y2}"
                edges.append(
                    f'<path class="fk" data-from="{escape(table.name)}.{escape(column.name)}" '
                    f'data-to="{escape(target.name)}" d="{d}" fill="none" stroke="#417690" '
                    f'stroke-width="1.3" marker-end="url(#arrow)"/>'
                )
        boxes.append("</g>")
    parts += boxes + edges + ["</svg>"]
    return "".join(parts)


def _schema_app(schema: str):
    for config in apps.get_app_configs():
        if getattr(config, "schema", None) == schema:
            return config
    raise Http404(f"No app owns schema {schema!r}.")


def staff_who_see_the_schema(view):
    """Staff who may view something of the schema's app (or superusers); others get 403."""

    @wraps(view)
    def wrapped(request, schema, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        config = _schema_app(schema)
        if not request.user.has_module_perms(config.label):
            raise PermissionDenied(f"You may not see schema {schema}.")
        return view(request, schema, *args, **kwargs)

    return wrapped


@staff_who_see_the_schema
def diagram_view(request, schema: str):
    svg = render_svg(schema)
    if request.GET.get("format") == "svg":
        return HttpResponse(svg, content_type="image/svg+xml")
    context = {
        **admin.site.each_context(request),
        "title": f"Schema {schema}",
        "schema": schema,
        "svg": svg,
        "is_nav_sidebar_enabled": False,  # the drawing needs the width
    }
    return render(request, "admin/tekupdb/diagram.html", context)
