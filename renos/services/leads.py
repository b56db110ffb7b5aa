"""Leads and their quotes: a lead comes in (once per idempotency key), a quote prices the job."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shared import validation as v

from ..models import Lead, LeadStatus, Quote
from .common import _editable_fields, _money, _now, _percent, _require_saved, _today
from .customers import _count_on_customer

QUOTE_VALID_DAYS = 30
_LEAD_FIELDS = _editable_fields(Lead, exclude={"idempotency_key"})


def create_lead(*, idempotency_key: str | None = None, **fields: Any) -> Lead:
    """Create a lead from the columns of `renos.leads`.

    With an `idempotency_key`, a repeat returns the first lead unchanged, also when two calls race: the
    unique key decides, the loser's insert fails inside a savepoint and it reads the winner's row.
    A lead linked to a customer counts in the customer's `total_leads`.

    Raises ValidationError keyed by the argument: an unknown field name, a value outside its column
    (text, numbers, e-mail, dates, JSON), a customer that is not saved, a blank idempotency_key, no name,
    e-mail or phone at all.
    """
    fields = v.model_fields(Lead, fields, allowed=_LEAD_FIELDS)
    if idempotency_key is not None:
        idempotency_key = v.text(idempotency_key, name="idempotency_key", max_length=255)
        existing = Lead.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    lead = Lead(idempotency_key=idempotency_key, **fields)
    if not (lead.name or lead.email or lead.phone):
        raise v.invalid("name", "A lead needs a name, an email address or a phone number.")
    # The unique key is checked by the insert itself.
    v.full_clean(lead, names={"__all__": "name"}, validate_unique=False)
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
            if lead.customer_id is not None:
                _count_on_customer(lead.customer_id, total_leads=1)
    except IntegrityError:
        existing = (
            Lead.objects.filter(idempotency_key=idempotency_key).first()
            if idempotency_key is not None
            else None
        )
        if existing is None:
            raise v.invalid("idempotency_key", "The lead conflicts with one that exists.") from None
        return existing
    return lead


def quote_lead(
    *, lead: Lead, hourly_rate: Decimal, estimated_hours: Decimal, vat_rate: Decimal = Decimal("25")
) -> Quote:
    """Make a draft quote for a lead: subtotal = rate × hours, total = subtotal + VAT (øre, half up).

    The quote is valid for 30 days; a lead that was new, contacted or qualified becomes quoted.

    Raises ValidationError keyed by the argument: a lead that is not saved, a rate or hours that are not
    exact numbers of their columns (floats are refused), a negative rate, non-positive hours, a VAT rate
    outside 0-100, a total too large for a money column.
    """
    _require_saved(lead, Lead, name="lead")
    hourly_rate = _money(hourly_rate, name="hourly_rate")
    estimated_hours = v.decimal(estimated_hours, name="estimated_hours", max_digits=7, decimal_places=2)
    vat_rate = _percent(vat_rate, name="vat_rate")
    if hourly_rate < 0:
        raise ValidationError({"hourly_rate": f"hourly_rate must not be negative, not {hourly_rate}."})
    if estimated_hours <= 0:
        raise ValidationError(
            {"estimated_hours": f"estimated_hours must be positive, not {estimated_hours}."}
        )
    quote = Quote(
        lead=lead,
        hourly_rate=hourly_rate,
        estimated_hours=estimated_hours,
        vat_rate=vat_rate,
        valid_until=_today() + dt.timedelta(days=QUOTE_VALID_DAYS),
    )
    quote.compute_totals()
    v.full_clean(quote, names={"subtotal": "hourly_rate", "total": "hourly_rate", "__all__": "lead"})
    with transaction.atomic():
        quote.save(force_insert=True)
        Lead.objects.filter(
            pk=lead.pk, status__in=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED]
        ).update(status=LeadStatus.QUOTED, updated_at=_now())
    lead.refresh_from_db(fields=["status", "updated_at"])
    return quote
