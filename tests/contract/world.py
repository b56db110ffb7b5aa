"""The saved rows that the property tests' arguments refer to: one of each kind a service takes.

Built once per test (inside the test's transaction); every example runs in a savepoint that is rolled
back, so the rows stay as built here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone


@dataclass
class World:
    saved: dict[str, Any] = field(default_factory=dict)
    unsaved: list[models.Model] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.saved[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world() -> World:
    now = timezone.now()
    w = World()
    s = w.saved
    _save_users_and_billy(s)
    _save_crm(s)
    _save_flow(s)
    _save_renos(s, now)
    _save_vault(s)
    w.unsaved = _never_saved(now)
    return w


def _save_users_and_billy(s: dict[str, Any]) -> None:
    from billy.factories import OrganizationFactory, OrganizationUserFactory
    from shared.services import create_user

    s["user"] = create_user(email="property@tekup.dk", name="Property")
    s["organization"] = OrganizationFactory()
    s["organization_user"] = OrganizationUserFactory(organization=s["organization"])


def _save_crm(s: dict[str, Any]) -> None:
    from crm import services as crm
    from crm.factories import CompanyFactory, ContactFactory

    s["company"] = CompanyFactory()
    s["contact"] = ContactFactory(company=s["company"])
    s["deal"] = crm.create_deal(title="Open deal", value=Decimal("1000"), owner="sales@tekup.dk")
    s["won_deal"] = crm.create_deal(
        title="Won deal", value=Decimal("10"), owner="sales@tekup.dk", stage="closed_won"
    )


def _save_flow(s: dict[str, Any]) -> None:
    from flow import services as flow
    from flow.factories import WorkflowFactory
    from flow.models import Workflow

    s["template"] = WorkflowFactory(is_template=True, nodes=[{"id": "a"}])
    s["workflow"] = WorkflowFactory(status=Workflow.Status.ACTIVE, nodes=[{"id": "a"}])
    s["draft_workflow"] = WorkflowFactory(status=Workflow.Status.DRAFT, nodes=[{"id": "a"}])
    s["execution"] = flow.execute_workflow(workflow=s["workflow"])
    s["webhook"] = flow.create_webhook(workflow=s["workflow"], name="Hook", url="https://hooks.tekup.dk/a")
    s["variable"] = flow.set_variable(key="RATE", value="25", type="number")


def _save_renos(s: dict[str, Any], now: dt.datetime) -> None:
    from renos import services as renos
    from renos.factories import CustomerFactory, LeadFactory

    s["customer"] = CustomerFactory(email="customer@example.dk")
    s["lead"] = LeadFactory(customer=s["customer"], email="lead@example.dk")
    s["quote"] = renos.quote_lead(lead=s["lead"], hourly_rate=Decimal("349"), estimated_hours=Decimal("3"))
    s["booking"] = renos.book(customer=s["customer"], scheduled_at=now + dt.timedelta(days=2))
    s["running_booking"] = renos.start_timer(
        booking=renos.book(customer=s["customer"], scheduled_at=now + dt.timedelta(days=1))
    )
    s["invoice"] = renos.create_invoice(
        customer=s["customer"], lines=[{"description": "Cleaning", "quantity": 2, "unit_price": "349.00"}]
    )


def _save_vault(s: dict[str, Any]) -> None:
    from vault import services as vault
    from vault.factories import random_unit_vector

    s["document"] = vault.create_document(
        source="github", repository="tekup/db", path="README.md", content="hi"
    )
    vault.create_embedding(document=s["document"], embedding=random_unit_vector(1))
    s["sync_status"] = vault.update_sync_status(source="github", repository="tekup/db", status="success")


def _never_saved(now: dt.datetime) -> list[models.Model]:
    """The same models, never saved: a service must refuse them as it refuses a wrong model."""
    from billy.models import Organization, OrganizationUser
    from crm.models import Company, Contact, Deal
    from flow.models import Execution, Webhook, Workflow
    from renos.models import Booking, Customer, Invoice, Lead, Quote
    from shared.models import User
    from vault.models import Document, SyncStatus

    return [
        User(email="ghost@tekup.dk", name="Ghost"),
        Organization(name="Ghost", billy_organization_id="ghost"),
        OrganizationUser(email="ghost@tekup.dk"),
        Company(name="Ghost"),
        Contact(first_name="G", last_name="Host"),
        Deal(title="Ghost", value=1, owner="x"),
        Workflow(name="Ghost", owner="x"),
        Execution(),
        Webhook(name="Ghost", url="https://ghost.example"),
        Customer(name="Ghost"),
        Lead(name="Ghost"),
        Quote(lead=Lead(name="Ghost")),
        Booking(scheduled_at=now),
        Invoice(),
        Document(source="github", repository="r", path="p", content="c"),
        SyncStatus(source="github", repository="r"),
    ]
