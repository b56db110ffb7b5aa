"""The admin of every renos model answers, lists without N+1 queries, and its actions call the services."""

import inspect
from decimal import Decimal

from django.contrib import admin
from django.urls import reverse
from factory.django import DjangoModelFactory

from renos import factories
from renos.models import Booking, Customer, Invoice, InvoiceCounter, Lead, TimerStatus
from renos.services import create_invoice

RENOS_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "renos"),
    key=lambda m: m._meta.model_name,
)
FACTORIES = {
    cls._meta.model: cls
    for cls in vars(factories).values()
    if inspect.isclass(cls) and issubclass(cls, DjangoModelFactory) and cls._meta.model is not None
}
READ_ONLY = {InvoiceCounter}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_has_an_admin_and_a_factory():
    from django.apps import apps

    models = set(apps.get_app_config("renos").get_models())
    assert len(models) == 24  # the 23 tables of the data model and the invoice number counter
    assert set(RENOS_MODELS) == models
    assert set(FACTORIES) == models


def test_search_finds_a_customer_by_email(admin_client):
    factories.CustomerFactory(name="Birthe Lund", email="birthe@example.dk")
    factories.CustomerFactory(name="Anders And", email="anders@example.dk")

    response = admin_client.get(url(Customer, "changelist"), {"q": "birthe@"})

    assert response.context["cl"].result_count == 1


def invoice_form(customer, **fields):
    data = {
        "customer": str(customer.pk),
        "booking": "",
        "customer_name": "",
        "customer_email": "",
        "customer_address": "",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "vat_rate": "25",
        "billy_invoice_id": "",
        "billy_contact_id": "",
        "billy_pdf_url": "",
        "notes": "",
        "internal_notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-sort_order": "0",
        "lines-0-description": "Hovedrengøring",
        "lines-0-quantity": "4",
        "lines-0-unit_price": "375.50",
        "lines-1-sort_order": "1",
        "lines-1-description": "Kørsel",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "99.95",
        "_save": "Save",
    }
    data.update(fields)
    return data


def test_adding_an_invoice_in_the_admin_numbers_it_and_computes_the_totals(admin_client, clock):
    customer = factories.CustomerFactory(name="Karen Bæk", email="karen@example.dk")

    response = admin_client.post(url(Invoice, "add"), invoice_form(customer))

    assert response.status_code == 302, response.context["adminform"].form.errors
    invoice = Invoice.objects.get()
    assert invoice.invoice_number == "2026-0001"
    assert (invoice.customer_name, invoice.customer_email) == ("Karen Bæk", "karen@example.dk")
    # 4 × 375.50 + 99.95 = 1601.95; VAT 400.4875 → 400.49
    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (
        Decimal("1601.95"),
        Decimal("400.49"),
        Decimal("2002.44"),
    )
    assert sorted(invoice.lines.values_list("amount", flat=True)) == [Decimal("99.95"), Decimal("1502.00")]


def test_an_invalid_invoice_in_the_admin_spends_no_number(admin_client, clock):
    customer = factories.CustomerFactory()

    response = admin_client.post(url(Invoice, "add"), invoice_form(customer, due_date="2026-03-01"))

    assert response.status_code == 200  # the form again, with the error
    assert not Invoice.objects.exists()
    assert create_invoice(
        customer=customer, lines=[{"description": "x", "unit_price": "1"}]
    ).invoice_number == ("2026-0001")


def test_a_sent_invoice_shows_its_lines_read_only(admin_client, clock):
    invoice = create_invoice(
        customer=factories.CustomerFactory(), lines=[{"description": "x", "unit_price": "1"}]
    )
    invoice.status = "sent"
    invoice.save()

    response = admin_client.get(url(Invoice, "change", invoice.pk))

    assert response.status_code == 200
    assert b'name="lines-0-unit_price"' not in response.content
    assert admin_client.post(url(Invoice, "delete", invoice.pk)).status_code == 403


def run_action(admin_client, model, action, objects, **extra):
    data = {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects], **extra}
    return admin_client.post(url(model, "changelist"), data, follow=True)


def test_mark_paid_action_pays_the_outstanding_amount(admin_client, clock):
    customer = factories.CustomerFactory()
    invoice = create_invoice(customer=customer, lines=[{"description": "x", "unit_price": Decimal("800")}])

    response = run_action(admin_client, Invoice, "mark_paid", [invoice], payment_method="mobilepay")

    assert response.status_code == 200
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount, invoice.payment_method) == (
        "paid",
        Decimal("1000.00"),
        "mobilepay",
    )
    assert Customer.objects.get(pk=customer.pk).total_revenue == Decimal("1000.00")


def test_actions_report_what_the_services_refuse(admin_client, clock):
    draft = create_invoice(
        customer=factories.CustomerFactory(), lines=[{"description": "x", "unit_price": "8"}]
    )

    response = run_action(admin_client, Invoice, "mark_reminder_sent", [draft])

    shown = [str(message) for message in response.context["messages"]]
    assert any("draft; only sent" in message for message in shown), shown
    assert Invoice.objects.get(pk=draft.pk).reminder_sent_at is None


def test_mark_sent_then_reminder_actions(admin_client, clock):
    invoice = create_invoice(
        customer=factories.CustomerFactory(), lines=[{"description": "x", "unit_price": "8"}]
    )

    run_action(admin_client, Invoice, "mark_sent", [invoice])
    run_action(admin_client, Invoice, "mark_reminder_sent", [invoice])

    invoice.refresh_from_db()
    assert (invoice.status, invoice.sent_at, invoice.reminder_sent_at) == ("sent", clock.now, clock.now)


def test_timer_actions(admin_client, clock):
    booking = factories.BookingFactory(estimated_duration=60)

    run_action(admin_client, Booking, "start_timer", [booking])
    clock.advance(minutes=75)
    run_action(admin_client, Booking, "stop_timer", [booking])

    booking.refresh_from_db()
    assert (booking.timer_status, booking.actual_duration, booking.time_variance) == (
        TimerStatus.STOPPED,
        75,
        15,
    )


def test_quotes_added_in_a_lead_get_their_totals(admin_client):
    lead = factories.LeadFactory()
    change = admin_client.get(url(Lead, "change", lead.pk))
    form = change.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "preferred_dates": "",
            "quotes-TOTAL_FORMS": "1",
            "quotes-INITIAL_FORMS": "0",
            "quotes-MIN_NUM_FORMS": "0",
            "quotes-MAX_NUM_FORMS": "1000",
            "quotes-0-hourly_rate": "349",
            "quotes-0-estimated_hours": "3",
            "quotes-0-vat_rate": "25",
            "quotes-0-status": "draft",
            "_save": "Save",
        }
    )

    response = admin_client.post(url(Lead, "change", lead.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    quote = lead.quotes.get()
    assert (quote.subtotal, quote.total) == (Decimal("1047.00"), Decimal("1308.75"))
