"""Admin of the renos schema, one module per subject (as renos.models); every class subclasses the
project's shared.admin_base classes."""

from . import billing, bookings, communication, operations, sales  # noqa: F401  (registers the admins)
