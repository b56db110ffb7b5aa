"""The admin never breaks on stored data (issue #14): for every model of the schema apps, a row whose every
column sits at an edge of its range — written by plain SQL, as the other Tekup services write — still
renders on the changelist, change, history and delete pages.

The row starts as a factory's valid row; then each column in turn is set by plain SQL to its largest
(or smallest) value: the longest text of its column, the largest integer of its type, the widest
numeric, datetimes in the years 1 and 9999 (the edges Python's datetime can hold), a big JSON
document. A value the database refuses (a check constraint, a unique index) is skipped for that column:
such a row cannot exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.postgres.fields import ArrayField
from django.db import DatabaseError, connection, models, transaction

from .test_every_changelist import MODELS, factory_for, url

DATETIMES = {
    "max": dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    "min": dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC),
}
DATES = {"max": dt.date(9999, 12, 31), "min": dt.date(1, 1, 1)}
INTEGERS = {
    "SmallIntegerField": (-(2**15), 2**15 - 1),
    "PositiveSmallIntegerField": (0, 2**15 - 1),
    "IntegerField": (-(2**31), 2**31 - 1),
    "PositiveIntegerField": (0, 2**31 - 1),
    "BigIntegerField": (-(2**63), 2**63 - 1),
    "PositiveBigIntegerField": (0, 2**63 - 1),
}


def _edge(field: models.Field, edge: str):
    """The value of `field` at `edge` ("max" or "min"), or None to leave the column alone."""
    internal = field.get_internal_type()
    if field.primary_key or field.is_relation or field.choices:
        return None
    if isinstance(field, ArrayField):
        size = getattr(field.base_field, "max_length", None) or 100
        return ["å" * size] * (50 if edge == "max" else 0)
    if isinstance(field, models.JSONField):
        if edge == "min":
            return [] if field.null else {}
        return {"k" * 200: ["<b>ø</b>" * 50] * 200, "deep": [[[[[[[[1.5e308]]]]]]]], "n": -(2**63)}
    if internal in INTEGERS:
        low, high = INTEGERS[internal]
        return high if edge == "max" else low
    if isinstance(field, models.DecimalField):
        assert field.max_digits is not None and field.decimal_places is not None
        biggest = (
            Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(10) ** -field.decimal_places
        )
        return biggest if edge == "max" else -biggest
    if isinstance(field, models.FloatField):
        return 1.7976931348623157e308 if edge == "max" else -1.7976931348623157e308
    if isinstance(field, models.DateTimeField):
        return DATETIMES[edge]
    if isinstance(field, models.DateField):
        return DATES[edge]
    if isinstance(field, models.DurationField):
        return dt.timedelta(days=999_999_999) if edge == "max" else dt.timedelta(days=-999_999_999)
    if isinstance(field, models.CharField | models.TextField):
        if edge == "min":
            return "" if field.blank else "x"
        size = field.max_length or 20_000
        return ("<script>ø" + "\u202e" + "漢" * size)[:size]
    return None


def _write_edges(obj: models.Model, edge: str) -> list[str]:
    """Set each column of `obj`'s row to its edge by plain SQL; the columns the database accepted."""
    model = type(obj)
    table = connection.ops.quote_name(model._meta.db_table)
    accepted = []
    for field in model._meta.concrete_fields:
        value = _edge(field, edge)
        if value is None:
            continue
        column = connection.ops.quote_name(field.column)
        sql_value = field.get_db_prep_save(value, connection)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [sql_value, obj.pk])
            accepted.append(field.name)
        except DatabaseError:
            continue  # refused by a constraint: a row that cannot exist
    return accepted


@pytest.mark.parametrize("edge", ["max", "min"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_render_a_row_at_the_edges_of_every_column(admin_client, model, edge):
    obj = factory_for(model)()
    accepted = _write_edges(obj, edge)
    assert accepted, f"no column of {model._meta.label} took an edge value"

    for view, args in (
        ("changelist", ()),
        ("change", (obj.pk,)),
        ("history", (obj.pk,)),
        ("delete", (obj.pk,)),
    ):
        response = admin_client.get(url(model, view, *args))
        assert response.status_code in (200, 403), (view, response.status_code)
    assert admin_client.get(url(model, "changelist"), {"q": "ø"}).status_code == 200


@pytest.mark.parametrize(
    "stored", ["infinity", "-infinity", "294276-12-31 00:00:00+00", "4713-01-01 00:00:00+00 BC"]
)
def test_a_booking_at_a_timestamp_python_cannot_hold_renders_and_reads_as_the_nearest_edge(
    admin_client, stored
):
    from renos.factories import BookingFactory
    from renos.models import Booking

    booking = BookingFactory()
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "renos"."bookings" SET scheduled_at = %s WHERE id = %s', [stored, booking.pk])

    read = Booking.objects.get(pk=booking.pk).scheduled_at
    assert read.year == (1 if stored.startswith("-") or stored.endswith("BC") else 9999)
    for view, args in (("changelist", ()), ("change", (booking.pk,)), ("delete", (booking.pk,))):
        assert admin_client.get(url(Booking, view, *args)).status_code == 200, view
