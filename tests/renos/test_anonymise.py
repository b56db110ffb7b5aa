"""A customer with invoices is anonymised instead of deleted; the invoices keep what they were issued to."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from renos import factories
from renos.models import Customer, Invoice
from renos.services import anonymise_customer, create_invoice
from shared.services import audit_trail

pytestmark = pytest.mark.django_db


def invoiced_customer():
    customer = factories.CustomerFactory(
        name="Karen Jensen", email="karen@example.dk", phone="+45 12 34 56 78", address="Vej 1, Aarhus"
    )
    invoice = create_invoice(customer=customer, lines=[{"description": "Cleaning", "unit_price": "500"}])
    return customer, invoice


def test_anonymise_replaces_the_personal_data_and_keeps_the_invoices_as_issued():
    customer, invoice = invoiced_customer()

    returned = anonymise_customer(customer=customer)

    stored = Customer.objects.get(pk=customer.pk)
    assert stored.name == f"Anonymised customer {str(customer.pk)[:8]}" == returned.name == customer.name
    assert (stored.email, stored.phone, stored.address) == (None, None, None)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.customer_id == customer.pk
    assert (invoice.customer_name, invoice.customer_email, invoice.customer_address) == (
        "Karen Jensen",
        "karen@example.dk",
        "Vej 1, Aarhus",
    )


def test_anonymise_refuses_an_unsaved_customer():
    with pytest.raises(ValidationError, match="customer must be a saved"):
        anonymise_customer(customer=Customer(name="x"))


def test_the_admin_action_anonymises_and_is_audited_without_the_removed_data(admin_client, admin_user):
    customer, _ = invoiced_customer()

    response = admin_client.post(
        reverse("admin:renos_customer_changelist"),
        {"action": "anonymise", admin.helpers.ACTION_CHECKBOX_NAME: [str(customer.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Anonymised 1 customer(s)." in [str(m) for m in response.context["messages"]]
    assert Customer.objects.get(pk=customer.pk).email is None
    entries = audit_trail(instance=Customer.objects.get(pk=customer.pk))
    update = entries[0]
    assert update.action == "update" and update.actor == admin_user.email
    assert update.changes["email"] == ["(removed)", None]
    assert update.changes["name"][1].startswith("Anonymised customer")
    # The erasure reaches the audit: no entry of the row holds the removed data any more.
    assert entries[-1].action == "insert"
    assert "karen" not in str([entry.changes for entry in entries]).lower()


def test_the_action_needs_the_change_permission():
    action = admin.site._registry[Customer].anonymise
    assert action.allowed_permissions == ["change"]
