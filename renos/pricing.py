"""renos' money rules: line amounts, quote subtotals, prices of time, VAT and totals, each rounded to øre
half up.

Written once here; the models (`Quote.compute_totals`, `InvoiceLineItem.compute_amount`), the services,
the admin (through the models), the factories and the demo data call these, so a quote or an invoice
has the same figures whoever wrote it. The database checks the same arithmetic
(`invoice_line_items_amount_is_quantity_times_price`, `invoices_total_is_subtotal_plus_vat`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from shared.money import to_cents

__all__ = [
    "VAT_RATE",
    "line_amount",
    "price_for_minutes",
    "quote_subtotal",
    "subtotal_of",
    "total_with_vat",
    "vat_amount",
]

# Danish VAT (moms), in percent: the default of quotes and invoices.
VAT_RATE = Decimal("25.00")


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """An invoice line's amount: quantity × unit price, rounded to øre."""
    return to_cents(Decimal(quantity) * Decimal(unit_price))


def quote_subtotal(hourly_rate: Decimal, hours: Decimal) -> Decimal:
    """A quote's subtotal: hourly rate × estimated hours, rounded to øre."""
    return to_cents(Decimal(hourly_rate) * Decimal(hours))


def price_for_minutes(hourly_rate: Decimal | None, minutes: int) -> Decimal | None:
    """The price of `minutes` of work at `hourly_rate` (a cleaning plan's, a task's), rounded to øre;
    None without a rate."""
    if hourly_rate is None:
        return None
    return to_cents(Decimal(hourly_rate) * minutes / 60)


def subtotal_of(amounts: Iterable[Decimal]) -> Decimal:
    """An invoice's subtotal: the sum of its lines' amounts (0.00 without lines)."""
    return sum(amounts, Decimal("0.00"))


def vat_amount(subtotal: Decimal, vat_rate: Decimal = VAT_RATE) -> Decimal:
    """VAT on a subtotal: subtotal × rate (percent) ÷ 100, rounded to øre."""
    return to_cents(Decimal(subtotal) * Decimal(vat_rate) / 100)


def total_with_vat(subtotal: Decimal, vat_rate: Decimal = VAT_RATE) -> Decimal:
    """subtotal + its VAT (the VAT rounded to øre first, as invoices store it)."""
    return Decimal(subtotal) + vat_amount(subtotal, vat_rate)
