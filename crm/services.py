"""Public API of the crm schema: contacts, companies, deals through the pipeline, activities.

Sibling apps, the admin's actions and the commands call these instead of writing rows themselves. Each
function validates first (a `ValidationError` names what is wrong) and writes in a transaction.

Deal rules: the status follows the stage (closed_won → won, closed_lost → lost, else open), closing
sets the close date, and a closed deal leaves its closed stage only through `reopen_deal`. A product
line's discount is a percentage (0-100) of quantity × unit price, as on Danish invoices ("rabat %").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from shared.validation import decimal_value, save_new

from .models import Activity, Company, Contact, Deal, DealProduct

CENT = Decimal("0.01")
# Activities that count as contact with a person or company (a note does not).
CONTACT_ACTIVITY_TYPES = {Activity.Type.CALL, Activity.Type.EMAIL, Activity.Type.MEETING}


# --- contacts and companies -------------------------------------------------------------------------


def create_company(*, name: str, country: str = "Denmark", **fields: Any) -> Company:
    """Create a company; `fields` are any other columns of crm.companies (status, vat_number, ...)."""
    company = Company(name=(name or "").strip(), country=country, **fields)
    return save_new(company)


def create_contact(
    *,
    first_name: str,
    last_name: str,
    email: str | None = None,
    company: Company | None = None,
    **fields: Any,
) -> Contact:
    """Create a contact. The email is stored in lower case and is unique whatever its case."""
    email = (email or "").strip().lower() or None
    contact = Contact(
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        email=email,
        company=company,
        **fields,
    )
    return save_new(contact, unique_message=f"A contact with email '{email}' already exists.")


# --- deals ----------------------------------------------------------------------------------------


def _close_fields(stage: str, *, close_date: date | None = None) -> dict[str, Any]:
    status = Deal.status_for_stage(stage)
    if status == Deal.Status.OPEN:
        return {"stage": stage, "status": status, "actual_close_date": None}
    return {
        "stage": stage,
        "status": status,
        "actual_close_date": close_date or timezone.localdate(),
        "probability": 100 if status == Deal.Status.WON else 0,
    }


def _check_stage(stage: str) -> None:
    if stage not in Deal.Stage.values:
        raise ValidationError(
            {"stage": f"'{stage}' is not a stage; choose one of {', '.join(Deal.Stage.values)}."}
        )


def create_deal(
    *,
    title: str,
    value: Decimal | int | str,
    owner: str,
    stage: str = Deal.Stage.QUALIFICATION,
    contact: Contact | None = None,
    company: Company | None = None,
    currency: str = "DKK",
    pipeline: str = "sales",
    **fields: Any,
) -> Deal:
    """Create a deal. A deal created in a closed stage is won or lost and closed today."""
    _check_stage(stage)
    value = decimal_value(value, name="value", allow_float=True)
    if value < 0:
        raise ValidationError({"value": "A deal's value cannot be negative."})
    closing = _close_fields(stage, close_date=fields.pop("actual_close_date", None))
    if closing["status"] == Deal.Status.OPEN:
        closing.pop("actual_close_date")
    deal = Deal(
        title=(title or "").strip(),
        value=value,
        owner=owner,
        contact=contact,
        company=company,
        currency=(currency or "").upper(),
        pipeline=pipeline,
        **{**fields, **closing},
    )
    return save_new(deal)


@transaction.atomic
def move_deal(*, deal: Deal, stage: str, lost_reason: str | None = None) -> Deal:
    """Move an open deal to `stage`. Closing it (closed_won / closed_lost) sets status and close date.

    A closed deal is refused: reopen it with `reopen_deal` first. The move is one conditional UPDATE, so
    two people closing the same deal at once cannot both succeed.
    """
    _check_stage(stage)
    updates = _close_fields(stage)
    if updates["status"] == Deal.Status.LOST and lost_reason:
        updates["lost_reason"] = lost_reason
    updates["updated_at"] = timezone.now()
    moved = Deal.objects.filter(pk=deal.pk, status=Deal.Status.OPEN).update(**updates)
    if not moved:
        current = Deal.objects.filter(pk=deal.pk).values_list("status", flat=True).first()
        if current is None:
            raise ValidationError(f"Deal {deal.pk} does not exist.")
        raise ValidationError(
            f"Deal '{deal.title}' is closed ({current}); reopen it with reopen_deal before moving it."
        )
    deal.refresh_from_db()
    return deal


@transaction.atomic
def reopen_deal(*, deal: Deal, stage: str = Deal.Stage.NEGOTIATION) -> Deal:
    """Reopen a won or lost deal into an open stage (negotiation unless told), clearing the close date."""
    _check_stage(stage)
    if stage not in Deal.OPEN_STAGES:
        raise ValidationError({"stage": f"A deal is reopened into an open stage, not '{stage}'."})
    reopened = (
        Deal.objects.filter(pk=deal.pk)
        .exclude(status=Deal.Status.OPEN)
        .update(
            stage=stage,
            status=Deal.Status.OPEN,
            actual_close_date=None,
            lost_reason=None,
            updated_at=timezone.now(),
        )
    )
    if not reopened:
        if not Deal.objects.filter(pk=deal.pk).exists():
            raise ValidationError(f"Deal {deal.pk} does not exist.")
        raise ValidationError(f"Deal '{deal.title}' is already open; use move_deal to change its stage.")
    deal.refresh_from_db()
    return deal


def line_total(*, quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """quantity × unit price less `discount` per cent, rounded half up to øre (as the database checks)."""
    return (quantity * unit_price * (100 - discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def add_deal_product(
    *,
    deal: Deal,
    product_name: str,
    unit_price: Decimal | int | str,
    quantity: Decimal | int | str = 1,
    discount: Decimal | int | str = 0,
    description: str | None = None,
) -> DealProduct:
    """Add a product line to a deal. `discount` is a percentage (0-100), e.g. 10 for 10 % off."""
    quantity = decimal_value(quantity, name="quantity", allow_float=True)
    unit_price = decimal_value(unit_price, name="unit_price", allow_float=True)
    discount = decimal_value(discount, name="discount", allow_float=True)
    if quantity <= 0:
        raise ValidationError({"quantity": "quantity must be more than 0."})
    if unit_price < 0:
        raise ValidationError({"unit_price": "unit_price cannot be negative."})
    if not 0 <= discount <= 100:
        raise ValidationError({"discount": f"discount is a percentage from 0 to 100, not {discount}."})
    product = DealProduct(
        deal=deal,
        product_name=(product_name or "").strip(),
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        total=line_total(quantity=quantity, unit_price=unit_price, discount=discount),
        description=description,
    )
    return save_new(product)


# --- activities -----------------------------------------------------------------------------------


def log_activity(
    *,
    type: str,
    owner: str,
    subject: str | None = None,
    description: str | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    deal: Deal | None = None,
    duration_minutes: int | None = None,
    outcome: str | None = None,
    occurred_at: datetime | None = None,
) -> Activity:
    """Record an activity about a contact, a company and/or a deal.

    A call, email or meeting also moves the contact's and the company's `last_contact_at` forward (never
    back: an activity logged late does not hide a newer one).
    """
    if contact is None and company is None and deal is None:
        raise ValidationError("An activity must concern a contact, a company or a deal.")
    if occurred_at is not None and timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": "occurred_at must be an aware datetime."})
    activity = Activity(
        type=type,
        owner=owner,
        subject=subject,
        description=description,
        contact=contact,
        company=company,
        deal=deal,
        duration_minutes=duration_minutes,
        outcome=outcome,
        occurred_at=occurred_at or timezone.now(),
    )
    with transaction.atomic():
        save_new(activity)
        if activity.type in CONTACT_ACTIVITY_TYPES:
            touched = Greatest(Coalesce("last_contact_at", activity.occurred_at), activity.occurred_at)
            if contact is not None:
                Contact.objects.filter(pk=contact.pk).update(last_contact_at=touched)
            if company is not None:
                Company.objects.filter(pk=company.pk).update(last_contact_at=touched)
    return activity


# --- pipeline -------------------------------------------------------------------------------------


@dataclass
class StageSummary:
    """Deals in one stage of a pipeline: how many, and their value per currency."""

    stage: str
    label: str
    count: int = 0
    value: dict[str, Decimal] = field(default_factory=dict)

    @property
    def single_value(self) -> Decimal | None:
        """The value when all deals share one currency (or there are none), else None."""
        if not self.value:
            return Decimal("0.00")
        return next(iter(self.value.values())) if len(self.value) == 1 else None


def pipeline_summary(*, pipeline: str = "sales") -> list[StageSummary]:
    """Count and value of the deals per stage of `pipeline`, in stage order (empty stages included).

    One query. Values are summed per currency: adding DKK to EUR would be meaningless.
    """
    summary = {stage: StageSummary(stage=stage, label=label) for stage, label in Deal.Stage.choices}
    rows = (
        Deal.objects.filter(pipeline=pipeline)
        .values("stage", "currency")
        .annotate(count=Count("id"), value=Sum("value"))
        .order_by("stage", "currency")
    )
    for row in rows:
        entry = summary[row["stage"]]
        entry.count += row["count"]
        entry.value[row["currency"]] = row["value"]
    return list(summary.values())
