"""Danish notation of money, durations and percentages in the admin's lists."""

from decimal import Decimal

import pytest

from shared import formatting
from shared.formatting import NO_BREAK


def _plain(text: str) -> str:
    return text.replace(NO_BREAK, " ")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("1234.56"), "DKK", "1.234,56 kr."),
        (Decimal("0.5"), None, "0,50 kr."),
        (Decimal("98000"), "DKK", "98.000,00 kr."),
        (Decimal("1234567.891"), "EUR", "1.234.567,89 EUR"),
        (Decimal("-45.5"), "dkk", "-45,50 kr."),
    ],
)
def test_money(value, currency, expected):
    assert _plain(formatting.money(value, currency)) == expected


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (formatting.duration_minutes, 462, "7 h 42 min"),
        (formatting.duration_minutes, 120, "2 h"),
        (formatting.duration_minutes, 42, "42 min"),
        (formatting.duration_ms, 850, "850 ms"),
        (formatting.duration_ms, 28946.222222222223, "28,9 s"),
        (formatting.duration_ms, 192_000, "3 min 12 s"),
        (formatting.duration_ms, 27_720_000, "7 h 42 min"),
    ],
)
def test_durations(function, value, expected):
    assert _plain(function(value)) == expected


def test_signed_variance_and_percentages():
    assert _plain(formatting.duration_minutes(-75, signed=True)) == "-1 h 15 min"
    assert _plain(formatting.duration_minutes(12, signed=True)) == "+12 min"
    assert _plain(formatting.percent(Decimal("42.49"))) == "42 %"
    assert _plain(formatting.percent(Decimal("0.955"), ratio=True)) == "96 %"


def test_column_kinds_follow_the_data_model():
    from billy.models import UsageMetric
    from crm.models import Deal
    from flow.models import Workflow
    from renos.models import Booking, EmailThread, Invoice, TaskExecution

    kinds = {
        (Invoice, "total"): "money",
        (Deal, "value"): "money",
        (Deal, "probability"): "percent",
        (UsageMetric, "cache_hit_rate"): "percent",
        (UsageMetric, "avg_duration_ms"): "ms",
        (Workflow, "avg_duration_ms"): "ms",
        (Booking, "estimated_duration"): "minutes",
        (Booking, "time_variance"): "variance",
        (Booking, "efficiency_score"): "ratio",
        (EmailThread, "confidence"): "ratio",
        (TaskExecution, "confidence"): "ratio",
        (Booking, "status"): None,
        (Invoice, "invoice_number"): None,
    }
    for (model, name), kind in kinds.items():
        assert formatting.column_kind(model._meta.get_field(name)) == kind, (model, name)


def test_changelists_show_danish_money_and_durations(admin_client):
    from crm.factories import DealFactory

    DealFactory(title="Stor aftale", value=Decimal("1234.56"), currency="DKK")
    DealFactory(title="Euro-aftale", value=Decimal("98000.00"), currency="EUR")
    page = admin_client.get("/admin/crm/deal/").content.decode().replace(NO_BREAK, " ").replace("&nbsp;", " ")
    assert "1.234,56 kr." in page and "98.000,00 EUR" in page


def test_short_text_fields_get_one_line_inputs(admin_client):
    from renos.factories import BookingFactory

    booking = BookingFactory()
    page = admin_client.get(f"/admin/renos/booking/{booking.pk}/change/").content.decode()
    assert '<input type="text" name="calendar_link"' in page
    assert '<textarea name="notes"' in page


def test_change_pages_show_read_only_money_and_durations_as_the_lists_do(admin_client):
    """Read-only values of a change page and of its tabular inlines go through the same formatting."""
    from renos.factories import BookingFactory, BreakFactory, InvoiceFactory, InvoiceLineItemFactory

    invoice = InvoiceFactory(
        subtotal=Decimal("1234.56"), vat_amount=Decimal("308.64"), total=Decimal("1543.20")
    )
    InvoiceLineItemFactory(invoice=invoice, quantity=Decimal("3.00"), unit_price=Decimal("411.52"))
    page = admin_client.get(f"/admin/renos/invoice/{invoice.pk}/change/").content.decode()
    page = page.replace(NO_BREAK, " ").replace("&nbsp;", " ")
    assert '<div class="readonly">1.543,20 kr.</div>' in page  # the total, on the change page
    assert "<p>1.234,56 kr.</p>" in page  # the line's amount, read-only in the tabular inline
    assert "1234.56" not in page and "1543.20" not in page

    booking = BookingFactory(actual_duration=462, time_variance=-18)
    BreakFactory(booking=booking, duration=42)
    page = admin_client.get(f"/admin/renos/booking/{booking.pk}/change/").content.decode()
    page = page.replace(NO_BREAK, " ").replace("&nbsp;", " ")
    assert '<div class="readonly">7 h 42 min</div>' in page and '<div class="readonly">-18 min</div>' in page
    assert "<p>42 min</p>" in page  # the break's duration, in the inline
    assert '<div class="readonly">-</div>' in page  # an empty read-only value stays Django's dash
