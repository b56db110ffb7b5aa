"""Customers: the counters other services keep on them, and the GDPR erasure of one with invoices."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from shared.models import AuditLog

from ..models import Customer
from .common import _copy_fields, _now, _require_saved

ANONYMISED_FIELDS = ("name", "email", "phone", "address")
REMOVED = "(removed)"


def _count_on_customer(customer_id: Any, *, total_leads: int = 0, total_bookings: int = 0) -> None:
    """Add to the customer's lead and booking counters (F() updates: concurrent callers lose no count)."""
    now = _now()
    Customer.objects.filter(pk=customer_id).update(
        total_leads=F("total_leads") + total_leads,
        total_bookings=F("total_bookings") + total_bookings,
        last_contact_at=now,
        updated_at=now,
    )


def anonymise_customer(*, customer: Customer) -> Customer:
    """Replace a customer's name, e-mail, phone and address (GDPR erasure of a customer with invoices).

    Bookkeeping forbids deleting a customer's invoices (`Invoice.customer` is PROTECT, in the database
    too), so such a customer is anonymised instead: the row stays, its personal data goes. The invoices
    keep the name, e-mail and address they were issued to (`customer_name`, … are a snapshot). The write
    is an ordinary ORM update, so the database audit records it (who, when); the personal data that the
    audit held of this row, before and in this update, is replaced by "(removed)" in the same
    transaction, so the erasure reaches the audit too.

    Raises ValidationError keyed by "customer": not a saved Customer.
    """
    _require_saved(customer, Customer, name="customer")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        locked.name = f"Anonymised customer {str(locked.pk)[:8]}"
        locked.email = None
        locked.phone = None
        locked.address = None
        fields = [*ANONYMISED_FIELDS, "updated_at"]
        locked.save(update_fields=fields)
        _erase_from_audit(locked)
    _copy_fields(locked, customer, fields)
    return locked


def _erase_from_audit(customer: Customer) -> None:
    # The audit is a log table without triggers of its own (shared.audit): rewriting its entries of
    # this one row is the erasure, not a change that needs recording.
    # These four fields keep their names as columns.
    columns = set(ANONYMISED_FIELDS)
    schema, _, table = Customer._meta.db_table.replace('"."', ".").strip('"').partition(".")
    entries = AuditLog.objects.filter(schema_name=schema, table_name=table, resource_id=str(customer.pk))
    for entry in entries.only("id", "changes"):
        changes = entry.changes or {}
        touched = False
        for column in columns & set(changes):
            before, after = changes[column]
            erased = [None if before is None else REMOVED, after]
            if after is not None and after != getattr(customer, column):
                erased[1] = REMOVED  # a value it held before the erasure
            if erased != [before, after]:
                changes[column], touched = erased, True
        if touched:
            AuditLog.objects.filter(pk=entry.pk).update(changes=changes)
