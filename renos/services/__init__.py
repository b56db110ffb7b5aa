"""Public API of the renos schema: leads, quotes, bookings and their timers, invoices, daily metrics.

The admin's actions, the commands and sibling services call these instead of writing rows themselves.
Every function takes keyword arguments only, validates before it writes, raises `ValidationError` with a
message that names what is wrong, and writes inside `transaction.atomic()`. Money is `Decimal` all the
way (floats are refused), rounded to øre half up. Concurrency is left to the database: counters move with
`F()` updates, the timer's state is read under `select_for_update()`, invoice numbers and metrics come
from one-statement upserts. The clock is `django.utils.timezone.now`, so tests can move it.

Import from here (`from renos.services import book`); the code lives in a module per concern (the money
and timer arithmetic stay in `renos.pricing` and `renos.timekeeping`, which these call):

- `leads`: `create_lead`, `quote_lead`;
- `bookings`: `book`;
- `timer`: the work timer of a booking, `start_timer`, `start_break`, `end_break`, `stop_timer`;
- `customers`: `anonymise_customer`, and the counters the others keep on a customer;
- `invoices`: `InvoiceLine`, `allocate_invoice_number`, `create_invoice`, `recalculate_invoice`,
  `mark_invoice_sent`, `mark_invoice_reminder_sent`, `mark_invoice_paid`, `cancel_invoice`;
- `analytics`: `track_metric`;
- `common`: the clock and the checks the modules share.
"""

from __future__ import annotations

# Names of the module renos.services was before it became a package: they keep working.
from .analytics import track_metric
from .bookings import book
from .customers import ANONYMISED_FIELDS as ANONYMISED_FIELDS
from .customers import REMOVED as REMOVED
from .customers import anonymise_customer
from .invoices import MAX_DUE_IN_DAYS as MAX_DUE_IN_DAYS
from .invoices import (
    InvoiceLine,
    allocate_invoice_number,
    cancel_invoice,
    create_invoice,
    mark_invoice_paid,
    mark_invoice_reminder_sent,
    mark_invoice_sent,
    recalculate_invoice,
)
from .leads import QUOTE_VALID_DAYS as QUOTE_VALID_DAYS
from .leads import create_lead, quote_lead
from .timer import end_break, start_break, start_timer, stop_timer

__all__ = [
    "InvoiceLine",
    "allocate_invoice_number",
    "anonymise_customer",
    "book",
    "cancel_invoice",
    "create_invoice",
    "create_lead",
    "end_break",
    "mark_invoice_paid",
    "mark_invoice_reminder_sent",
    "mark_invoice_sent",
    "quote_lead",
    "recalculate_invoice",
    "start_break",
    "start_timer",
    "stop_timer",
    "track_metric",
]
