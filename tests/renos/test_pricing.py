from decimal import Decimal

import pytest

from renos import pricing
from renos.factories import InvoiceFactory, InvoiceLineItemFactory, QuoteFactory
from renos.models import InvoiceLineItem, Quote


def test_the_default_vat_is_danish_moms():
    assert Decimal("25.00") == pricing.VAT_RATE


@pytest.mark.parametrize(
    ("subtotal", "rate", "vat"),
    [
        (Decimal("100.00"), Decimal("25"), Decimal("25.00")),
        (Decimal("0.02"), Decimal("25"), Decimal("0.01")),  # 0.005 rounds up
        (Decimal("0.06"), Decimal("25"), Decimal("0.02")),  # 0.015 rounds up, not to even
        (Decimal("-0.02"), Decimal("25"), Decimal("-0.01")),
        (Decimal("999.99"), Decimal("0"), Decimal("0.00")),
        (Decimal("10.00"), Decimal("12.50"), Decimal("1.25")),
    ],
)
def test_vat_is_the_rate_of_the_subtotal_rounded_to_ore(subtotal, rate, vat):
    assert pricing.vat_amount(subtotal, rate) == vat


def test_vat_defaults_to_25_percent():
    assert pricing.vat_amount(Decimal("10.02")) == Decimal("2.51")  # 2.505 → 2.51


def test_the_total_adds_the_rounded_vat():
    assert pricing.total_with_vat(Decimal("0.02"), Decimal("25")) == Decimal("0.03")
    assert pricing.total_with_vat(Decimal("1047.00")) == Decimal("1308.75")


def test_a_line_is_quantity_times_price_rounded_to_ore():
    assert pricing.line_amount(Decimal("2.50"), Decimal("349.00")) == Decimal("872.50")
    assert pricing.line_amount(Decimal("0.33"), Decimal("0.05")) == Decimal("0.02")  # 0.0165
    assert pricing.line_amount(Decimal("1.00"), Decimal("-50.00")) == Decimal("-50.00")


def test_a_quote_subtotal_is_rate_times_hours():
    assert pricing.quote_subtotal(Decimal("349.00"), Decimal("3.25")) == Decimal("1134.25")
    assert pricing.quote_subtotal(Decimal("0.01"), Decimal("0.50")) == Decimal("0.01")  # 0.005


def test_a_subtotal_sums_the_lines_and_is_zero_without_any():
    assert pricing.subtotal_of([]) == Decimal("0.00")
    assert pricing.subtotal_of(iter([Decimal("1.10"), Decimal("-0.10")])) == Decimal("1.00")


def test_the_models_compute_with_the_same_rules():
    quote = Quote(hourly_rate=Decimal("349.00"), estimated_hours=Decimal("2.75"), vat_rate=Decimal("25"))
    quote.compute_totals()
    assert quote.subtotal == pricing.quote_subtotal(Decimal("349.00"), Decimal("2.75")) == Decimal("959.75")
    assert quote.total == pricing.total_with_vat(quote.subtotal) == Decimal("1199.69")  # 239.9375 → .94

    line = InvoiceLineItem(quantity=Decimal("0.33"), unit_price=Decimal("0.05"))
    line.compute_amount()
    assert line.amount == Decimal("0.02")


def test_the_factories_build_rows_that_the_database_checks_accept(db):
    quote = QuoteFactory(hourly_rate=Decimal("333.33"), estimated_hours=Decimal("1.50"))
    assert quote.total == pricing.total_with_vat(pricing.quote_subtotal(Decimal("333.33"), Decimal("1.50")))
    invoice = InvoiceFactory(subtotal=Decimal("10.02"))
    assert (invoice.vat_amount, invoice.total) == (Decimal("2.51"), Decimal("12.53"))
    line = InvoiceLineItemFactory(invoice=invoice, quantity=Decimal("0.33"), unit_price=Decimal("0.05"))
    line.refresh_from_db()
    assert line.amount == Decimal("0.02")
