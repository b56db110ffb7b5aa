"""Invoices with their lines and payments, and the invoice-number counters."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction

from renos import models, pricing
from renos.factories import InvoiceFactory, InvoiceLineItemFactory
from renos.models import BookingStatus, InvoiceStatus, PaymentMethod
from shared.money import CENT, to_cents
from shared.seeding import (
    SeedContext,
    built,
    stable_id,
    stamped,
    table_of,
    weighted_choice,
)


class BillingRows:
    """Invoices and their lines (a mixin of the renos demo builder)."""

    # --- invoices -----------------------------------------------------------------------------------

    def invoices(self, bookings: list[dict], customers: list[dict]) -> tuple[list[dict], list[dict]]:
        """Invoices (most completed bookings, and a few fees) with their lines, settled up to the seed's
        now and numbered."""
        invoices, lines = [], []
        for index, (issued, booking, customer) in enumerate(self._invoice_drafts(bookings, customers)):
            issued = min(issued, self.ctx.now)
            invoice = self._invoice(index, issued, booking, customer)
            self._settle(invoice, issued)
            invoices.append(invoice)
            lines.extend(invoice["_lines"])
        _number(invoices)
        return invoices, lines

    def _invoice_drafts(self, bookings: list[dict], customers: list[dict]) -> list[tuple]:
        """(issue moment, booking or None, customer): most completed jobs, hours after they ended, and one
        fee without a booking for every twenty of them."""
        rng = self.rng
        drafts = []
        for booking in bookings:
            if booking["status"] == BookingStatus.COMPLETED and booking["customer"] and rng.random() < 0.92:
                drafts.append(
                    (
                        booking["actual_end_time"] + dt.timedelta(hours=rng.randrange(1, 30)),
                        booking,
                        booking["_customer"],
                    )
                )
        for _ in range(max(1, len(drafts) // 20)):
            drafts.append((self.ctx.moment(days_back=360), None, rng.choice(customers)))
        return drafts

    def _invoice(self, index: int, issued: dt.datetime, booking: dict | None, customer: dict) -> dict:
        """A draft invoice with its lines (`_lines`), unnumbered (numbered later). The factories total it:
        each line's amount, the invoice's VAT and total (renos.pricing); the subtotal is the lines' sum."""
        rng = self.rng
        invoice_id = stable_id("renos.invoices", self.ctx.random_seed, index)
        invoice_lines = [
            stamped(
                built(
                    InvoiceLineItemFactory,
                    id=stable_id("renos.invoice_line_items", invoice_id, order),
                    invoice_id=invoice_id,
                    description=description,
                    quantity=quantity,
                    unit_price=unit_price,
                    sort_order=order,
                ),
                issued,
            )
            for order, (description, quantity, unit_price) in enumerate(self._lines(booking))
        ]
        invoice = built(
            InvoiceFactory,
            id=invoice_id,
            invoice_number=None,
            booking_id=booking["id"] if booking else None,
            customer_id=customer["id"],
            customer_name=customer["name"],
            customer_email=customer["email"],
            customer_address=customer["address"],
            issue_date=issued.date(),
            due_date=issued.date() + dt.timedelta(days=rng.choice([8, 14, 14, 30])),
            subtotal=pricing.subtotal_of(line["amount"] for line in invoice_lines),
            paid_at=None,
            paid_amount=None,
            payment_method=None,
            payment_ref=None,
            billy_invoice_id=None,
            billy_contact_id=None,
            billy_synced_at=None,
            billy_pdf_url=None,
            notes="Betalingsbetingelser: netto 14 dage." if rng.random() < 0.3 else None,
            internal_notes=None,
            sent_at=None,
            reminder_sent_at=None,
        )
        invoice.update(_lines=invoice_lines, _order=index)
        return stamped(invoice, issued)

    def _lines(self, booking: dict | None) -> list[tuple[str, Decimal, Decimal]]:
        rng = self.rng
        if booking is None:
            return [
                (
                    rng.choice(
                        [
                            "Nøgleudlevering og administration",
                            "Ekstra rengøringsmidler",
                            "Gebyr for aflysning",
                        ]
                    ),
                    Decimal("1.00"),
                    Decimal(rng.choice(["95.00", "149.50", "250.00"])),
                )
            ]
        hours = max(
            Decimal("0.50"), (Decimal(booking["actual_duration"]) / 60 * 4).quantize(Decimal("1")) / 4
        )
        when = booking["scheduled_at"].date()
        items = [(f"{booking['_service']['name']} {when:%d.%m.%Y}", hours.quantize(CENT), booking["_rate"])]
        if rng.random() < 0.5:
            items.append(("Kørsel", Decimal("1.00"), Decimal("99.00")))
        if rng.random() < 0.25:
            items.append(
                (
                    "Rengøringsmidler og materialer",
                    Decimal(rng.randrange(1, 4)).quantize(CENT),
                    Decimal("49.50"),
                )
            )
        if rng.random() < 0.08:
            items.append(("Rabat, fast kunde", Decimal("1.00"), Decimal("-50.00")))
        return items

    def _settle(self, invoice: dict, issued: dt.datetime) -> None:
        """Status, payment and Billy fields, as the invoice's life up to the seed's now left them."""
        rng = self.rng
        if self.ctx.now - issued < dt.timedelta(days=2) and rng.random() < 0.6:
            return  # still a draft
        sent = min(issued + dt.timedelta(minutes=rng.randrange(5, 240)), self.ctx.now)
        invoice.update(
            status=InvoiceStatus.SENT,
            sent_at=sent,
            billy_contact_id=f"demo-contact-{invoice['customer'].hex[:12]}",
            billy_synced_at=sent,
        )
        roll = rng.random()
        if roll < 0.04:
            invoice["status"] = InvoiceStatus.CANCELLED
        elif invoice["due_date"] >= self.ctx.now.date():
            if roll >= 0.5:  # paid before it was due; the rest are sent and not yet due
                self._paid(invoice, sent, invoice["total"])
        elif roll < 0.12:
            invoice["status"] = InvoiceStatus.OVERDUE
            reminder = dt.datetime.combine(
                invoice["due_date"] + dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC
            )
            invoice["reminder_sent_at"] = min(reminder, self.ctx.now)
        elif roll < 0.17:
            self._paid(invoice, sent, to_cents(invoice["total"] * Decimal(rng.randrange(20, 80)) / 100))
        else:
            self._paid(invoice, sent, invoice["total"])

    def _paid(self, invoice: dict, sent: dt.datetime, amount: Decimal) -> None:
        """A payment as mark_invoice_paid records it: paid when it covers the total, else partially."""
        rng = self.rng
        method = weighted_choice(
            self.ctx,
            {
                PaymentMethod.BANK_TRANSFER: 5,
                PaymentMethod.MOBILEPAY: 4,
                PaymentMethod.CARD: 1,
                PaymentMethod.CASH: 0.2,
            },
        )
        reference = {
            PaymentMethod.BANK_TRANSFER: f"FIK {rng.randrange(10**14, 10**15)}",
            PaymentMethod.MOBILEPAY: f"MP-{rng.randrange(10**9, 10**10)}",
            PaymentMethod.CARD: f"NETS-{rng.randrange(10**7, 10**8)}",
            PaymentMethod.CASH: None,
        }[method]
        invoice.update(
            status=InvoiceStatus.PAID if amount == invoice["total"] else InvoiceStatus.PARTIALLY_PAID,
            paid_amount=amount,
            paid_at=min(sent + dt.timedelta(seconds=int(rng.uniform(0.2, 20) * 86400)), self.ctx.now),
            payment_method=method,
            payment_ref=reference,
        )


def _number(invoices: list[dict]) -> None:
    """Numbered per year in order of issue, as create_invoice would have handed them out; a sent invoice
    has its Billy.dk copy under that number."""
    counters: dict[int, int] = defaultdict(int)
    for invoice in sorted(invoices, key=lambda row: (row["created_at"], row["_order"])):
        year = invoice["issue_date"].year
        counters[year] += 1
        invoice["invoice_number"] = f"{year}-{counters[year]:04d}"
        if invoice["sent_at"]:
            invoice["billy_invoice_id"] = f"demo-{invoice['invoice_number']}"
            invoice["billy_pdf_url"] = f"https://app.billy.dk/demo/invoices/{invoice['invoice_number']}.pdf"


def _without_taken_numbers(invoices: list[dict], lines: list[dict]) -> tuple[list[dict], list[dict]]:
    """Leave out seeded invoices whose number a real (non-seeded) invoice already holds."""
    numbers = [invoice["invoice_number"] for invoice in invoices]
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT invoice_number, id FROM "renos"."invoices" WHERE invoice_number = ANY(%s)', [numbers]
        )
        taken = dict(cursor.fetchall())
    kept = [
        invoice
        for invoice in invoices
        if taken.get(invoice["invoice_number"], invoice["id"]) == invoice["id"]
    ]
    if len(kept) == len(invoices):
        return invoices, lines
    ids = {invoice["id"] for invoice in kept}
    return kept, [line for line in lines if line["invoice"] in ids]


def _raise_counters(ctx: SeedContext, invoices: list[dict]) -> None:
    """Raise each year's invoice counter to the highest seeded number (never lower it)."""
    highest: dict[int, int] = {}
    for invoice in invoices:
        year, number = invoice["invoice_number"].split("-")
        highest[int(year)] = max(highest.get(int(year), 0), int(number))
    schema, table = table_of(models.InvoiceCounter)
    inserted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for year, number in sorted(highest.items()):
            at = dt.datetime(year, 12, 31, 23, 0, tzinfo=dt.UTC) if year < ctx.now.year else ctx.now
            cursor.execute(
                f"""
                INSERT INTO "{schema}"."{table}" AS counter (id, year, last_number, created_at, updated_at)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (year) DO UPDATE
                    SET last_number = EXCLUDED.last_number, updated_at = EXCLUDED.updated_at
                WHERE counter.last_number < EXCLUDED.last_number
                RETURNING xmax = 0
                """,
                [stable_id("renos.invoice_number_counters", year), year, number, at, at],
            )
            row = cursor.fetchone()
            inserted += bool(row and row[0])
    label = f"{schema}.{table}"
    ctx.inserted[label] = ctx.inserted.get(label, 0) + inserted
