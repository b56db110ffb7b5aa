"""Timestamps that Python's datetime cannot show, read as the nearest ones it can (issue #14).

PostgreSQL's timestamptz reaches 294276 AD and has ±infinity; Python's datetime ends at 9999-12-31
and begins at year 1. Rows written by plain SQL (the other Tekup services) may hold any of those, and
so may the last hours of 9999 in UTC, which overflow as soon as the admin shows them in the local time
zone: a changelist, change, history or delete page then fails with OverflowError or psycopg's
DataError. The services refuse such values (shared.validation: 1900–2200); what is already stored is
read here as the nearest instant that every time zone can still show: 0001-01-02 or 9999-12-30 (UTC).

Django registers its own timestamptz loader per connection (for the connection's time zone); this
wraps whichever loader is registered, so its time-zone handling stays Django's.
"""

from __future__ import annotations

import datetime as dt

from psycopg import DataError
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.types.datetime import TimestampLoader, TimestamptzLoader

TIMESTAMPTZ = "timestamptz"
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


class _EdgeSafe(Loader):
    # No `timezone` attribute here: Django's loader (after this in the MRO) carries the connection's,
    # and Django compares it on every cursor.

    def load(self, data):
        try:
            value = super().load(data)  # type: ignore[safe-super]
        except DataError:  # infinity, -infinity, BC, after year 9999
            text = bytes(data).lower()
            edge = EARLIEST if text.startswith(b"-") or text.endswith(b"bc") else LATEST
            zone = getattr(self, "timezone", dt.UTC)
            return edge.astimezone(zone) if zone else edge.replace(tzinfo=None)
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if aware < EARLIEST or aware > LATEST:
            edge = EARLIEST if aware < EARLIEST else LATEST
            return edge.astimezone(value.tzinfo) if value.tzinfo else edge.replace(tzinfo=None)
        return value


class _EdgeSafePlain(Loader):
    """The same for plain timestamps (the admin's date hierarchy truncates in local time), around
    psycopg's loader, whose C implementation cannot be subclassed."""

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._inner = TimestampLoader(oid, context)

    def load(self, data):
        try:
            value = self._inner.load(data)
        except DataError:
            text = bytes(data).lower()
            edge = EARLIEST if text.startswith(b"-") or text.endswith(b"bc") else LATEST
            return edge.replace(tzinfo=None)
        return min(max(value, EARLIEST.replace(tzinfo=None)), LATEST.replace(tzinfo=None))


def register(connection) -> None:
    """Wrap the timestamptz text loader registered on `connection` (a psycopg connection or cursor),
    and load plain timestamps edge-safely too."""
    current = connection.adapters.get_loader(connection.adapters.types[TIMESTAMPTZ].oid, Format.TEXT)
    current = current or TimestamptzLoader
    if not issubclass(current, _EdgeSafe):
        connection.adapters.register_loader(
            TIMESTAMPTZ, type(f"EdgeSafe{current.__name__}", (_EdgeSafe, current), {})
        )
    connection.adapters.register_loader("timestamp", _EdgeSafePlain)
