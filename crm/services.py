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
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from shared import validation as v
from shared.money import to_cents

from .models import Activity, Company, Contact, Deal, DealProduct

__all__ = [
    "StageSummary",
    "add_deal_product",
    "create_company",
    "create_contact",
    "create_deal",
    "line_total",
    "log_activity",
    "move_deal",
    "pipeline_summary",
    "reopen_deal",
]

# Activities that count as contact with a person or company (a note does not).
CONTACT_ACTIVITY_TYPES = {Activity.Type.CALL, Activity.Type.EMAIL, Activity.Type.MEETING}


def _editable(model: type[models.Model], *, exclude: set[str]) -> set[str]:
    return {
        f.name
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in exclude
    }


_COMPANY_FIELDS = _editable(Company, exclude={"name", "country"})
_CONTACT_FIELDS = _editable(Contact, exclude={"first_name", "last_name", "email", "company"})
_DEAL_FIELDS = _editable(
    Deal, exclude={"title", "value", "owner", "stage", "status", "contact", "company", "currency", "pipeline"}
)


# --- contacts and companies -------------------------------------------------------------------------


def create_company(*, name: str, country: str = "Denmark", **fields: Any) -> Company:
    """Create a company; `fields` are any other columns of crm.companies (status, vat_number, ...).

    Raises ValidationError keyed by the argument: a value outside its column, an unknown field name, a
    negative revenue, a website that is not an http(s) URL.
    """
    cleaned = v.model_fields(Company, fields, allowed=_COMPANY_FIELDS)
    if cleaned.get("revenue") is not None and cleaned["revenue"] < 0:
        raise v.invalid("revenue", "revenue cannot be negative.")
    company = Company(
        name=v.model_field(Company, "name", name),
        country=v.model_field(Company, "country", country),
        **cleaned,
    )
    return v.save_new(company, key="name")


def create_contact(
    *,
    first_name: str,
    last_name: str,
    email: str | None = None,
    company: Company | None = None,
    **fields: Any,
) -> Contact:
    """Create a contact. The email is stored in lower case and is unique whatever its case.

    Raises ValidationError keyed by the argument: a value outside its column, an unknown field name, an
    email that is invalid or taken, a company that is not a saved Company.
    """
    cleaned = v.model_fields(Contact, fields, allowed=_CONTACT_FIELDS)
    email = (
        None
        if email is None or (isinstance(email, str) and not email.strip())
        else v.email(email, name="email")
    )
    contact = Contact(
        first_name=v.model_field(Contact, "first_name", first_name),
        last_name=v.model_field(Contact, "last_name", last_name),
        email=email,
        company=v.optional_instance(company, name="company", model=Company),
        **cleaned,
    )
    return v.save_new(contact, key="email", unique_message=f"A contact with email '{email}' already exists.")


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


def _stage(stage: Any) -> str:
    return v.choice(stage, name="stage", choices=Deal.Stage.values)


def _money(value: Any, name: str) -> Decimal:
    return v.decimal(value, name=name, max_digits=12, decimal_places=2, min_value=0)


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
    """Create a deal. A deal created in a closed stage is won or lost and closed today.

    Money is exact: `value` is a Decimal, an int or a numeric string (a float is refused).

    Raises ValidationError keyed by the argument: a value outside its column, a negative or float value,
    an unknown stage or field name, a contact or company that is not saved.
    """
    stage = _stage(stage)
    value = _money(value, "value")
    cleaned = v.model_fields(Deal, fields, allowed=_DEAL_FIELDS)
    currency = v.text(currency, name="currency", max_length=3).upper()
    closing = _close_fields(stage, close_date=cleaned.pop("actual_close_date", None))
    if closing["status"] == Deal.Status.OPEN:
        closing.pop("actual_close_date")
    deal = Deal(
        title=v.model_field(Deal, "title", title),
        value=value,
        owner=v.model_field(Deal, "owner", owner),
        contact=v.optional_instance(contact, name="contact", model=Contact),
        company=v.optional_instance(company, name="company", model=Company),
        currency=currency,
        pipeline=v.model_field(Deal, "pipeline", pipeline),
        **{**cleaned, **closing},
    )
    return v.save_new(deal, key="title")


@transaction.atomic
def move_deal(*, deal: Deal, stage: str, lost_reason: str | None = None) -> Deal:
    """Move an open deal to `stage`. Closing it (closed_won / closed_lost) sets status and close date.

    A closed deal is refused: reopen it with `reopen_deal` first. The move is one conditional UPDATE, so
    two people closing the same deal at once cannot both succeed.

    Raises ValidationError keyed by the argument: a deal that is not a saved Deal, is gone or is closed;
    an unknown stage; a lost_reason that is not text.
    """
    deal = v.instance(deal, name="deal", model=Deal)
    stage = _stage(stage)
    lost_reason = v.optional_text(lost_reason, name="lost_reason")
    updates = _close_fields(stage)
    if updates["status"] == Deal.Status.LOST and lost_reason:
        updates["lost_reason"] = lost_reason
    updates["updated_at"] = timezone.now()
    moved = Deal.objects.filter(pk=deal.pk, status=Deal.Status.OPEN).update(**updates)
    if not moved:
        current = Deal.objects.filter(pk=deal.pk).values_list("status", flat=True).first()
        if current is None:
            raise v.invalid("deal", f"Deal {deal.pk} does not exist.")
        raise v.invalid(
            "deal", f"Deal '{deal.title}' is closed ({current}); reopen it with reopen_deal before moving it."
        )
    deal.refresh_from_db()
    return deal


@transaction.atomic
def reopen_deal(*, deal: Deal, stage: str = Deal.Stage.NEGOTIATION) -> Deal:
    """Reopen a won or lost deal into an open stage (negotiation unless told), clearing the close date.

    Raises ValidationError keyed by the argument: a deal that is not a saved Deal, is gone or is open;
    a stage that is not an open stage.
    """
    deal = v.instance(deal, name="deal", model=Deal)
    stage = _stage(stage)
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
            raise v.invalid("deal", f"Deal {deal.pk} does not exist.")
        raise v.invalid("deal", f"Deal '{deal.title}' is already open; use move_deal to change its stage.")
    deal.refresh_from_db()
    return deal


def line_total(
    *, quantity: Decimal | int | str, unit_price: Decimal | int | str, discount: Decimal | int | str
) -> Decimal:
    """quantity × unit price less `discount` per cent, rounded half up to øre (as the database checks).

    Raises ValidationError keyed by the argument: a quantity, unit price or discount that is not an exact
    number of the line's columns, or a discount outside 0-100.
    """
    quantity = v.decimal(quantity, name="quantity", max_digits=10, decimal_places=2)
    unit_price = v.decimal(unit_price, name="unit_price", max_digits=12, decimal_places=2)
    discount = v.decimal(
        discount, name="discount", max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    return to_cents(quantity * unit_price * (100 - discount) / 100)


def add_deal_product(
    *,
    deal: Deal,
    product_name: str,
    unit_price: Decimal | int | str,
    quantity: Decimal | int | str = 1,
    discount: Decimal | int | str = 0,
    description: str | None = None,
) -> DealProduct:
    """Add a product line to a deal. `discount` is a percentage (0-100), e.g. 10 for 10 % off.

    Raises ValidationError keyed by the argument: a deal that is not saved, a quantity that is not
    positive, a negative unit price, a discount outside 0-100, a float, a line total too large for its
    column, text outside its column.
    """
    deal = v.instance(deal, name="deal", model=Deal)
    quantity = v.model_decimal(DealProduct, "quantity", quantity)
    unit_price = v.model_decimal(DealProduct, "unit_price", unit_price)
    discount = v.model_decimal(DealProduct, "discount", discount)
    if quantity <= 0:
        raise ValidationError({"quantity": "quantity must be more than 0."})
    if unit_price < 0:
        raise ValidationError({"unit_price": "unit_price cannot be negative."})
    if not 0 <= discount <= 100:
        raise ValidationError({"discount": f"discount is a percentage from 0 to 100, not {discount}."})
    total = line_total(quantity=quantity, unit_price=unit_price, discount=discount)
    if total >= Decimal("1e10"):
        raise v.invalid("quantity", f"The line total ({total}) is too large for a money column.")
    product = DealProduct(
        deal=deal,
        product_name=v.model_field(DealProduct, "product_name", product_name),
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        total=total,
        description=v.model_field(DealProduct, "description", description),
    )
    return v.save_new(product, key="deal")


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

    Raises ValidationError keyed by the argument: no contact, company or deal; one that is not saved; an
    unknown type; a naive or out-of-range occurred_at; text or a duration outside its column.
    """
    contact = v.optional_instance(contact, name="contact", model=Contact)
    company = v.optional_instance(company, name="company", model=Company)
    deal = v.optional_instance(deal, name="deal", model=Deal)
    if contact is None and company is None and deal is None:
        raise v.invalid("contact", "An activity must concern a contact, a company or a deal.")
    activity = Activity(
        type=v.model_field(Activity, "type", type),
        owner=v.model_field(Activity, "owner", owner),
        subject=v.model_field(Activity, "subject", subject),
        description=v.model_field(Activity, "description", description),
        contact=contact,
        company=company,
        deal=deal,
        duration_minutes=v.model_field(Activity, "duration_minutes", duration_minutes),
        outcome=v.model_field(Activity, "outcome", outcome),
        occurred_at=v.optional_aware_datetime(occurred_at, name="occurred_at") or timezone.now(),
    )
    with transaction.atomic():
        v.save_new(activity, key="type")
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

    Raises ValidationError keyed by "pipeline": a pipeline name that is not text of at most 50 characters.
    """
    pipeline = v.model_field(Deal, "pipeline", pipeline)
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
