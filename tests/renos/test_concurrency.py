"""Concurrent callers, each thread on its own database connection.

Two kinds of test: a stampede (many threads released together by a barrier) that would show duplicates,
and a choreographed race in which the second caller is seen waiting on the first one's lock in
pg_stat_activity before the first commits or rolls back, so the interesting interleaving surely happens.
"""

import threading
from decimal import Decimal

import pytest
from django.db import transaction

from renos.factories import CustomerFactory
from renos.models import Customer, Invoice, Lead
from renos.services import create_invoice, create_lead
from tests.support.concurrency import Worker, run_together, wait_for_lock_waiters

pytestmark = pytest.mark.django_db(transaction=True)

LINE = {"description": "Fast rengøring", "quantity": Decimal("2"), "unit_price": Decimal("349.00")}
THREADS = 6


def test_concurrent_invoices_get_distinct_consecutive_numbers(clock):
    customers = [CustomerFactory() for _ in range(THREADS)]

    def issue(customer):
        return lambda: [create_invoice(customer=customer, lines=[LINE]).invoice_number for _ in range(3)]

    numbers = [number for batch in run_together([issue(c) for c in customers]) for number in batch]

    assert sorted(numbers) == [f"2026-{n:04d}" for n in range(1, 3 * THREADS + 1)]
    assert Invoice.objects.count() == 3 * THREADS


def test_a_rolled_back_invoice_leaves_no_gap_for_the_caller_waiting_on_it(clock):
    customer = CustomerFactory()
    holding, release = threading.Event(), threading.Event()

    def first_then_roll_back():
        with transaction.atomic():
            number = create_invoice(customer=customer, lines=[LINE]).invoice_number
            holding.set()
            assert release.wait(timeout=30)
            transaction.set_rollback(True)
        return number

    first = Worker(first_then_roll_back)
    first.start()
    assert holding.wait(timeout=30)
    second = Worker(lambda: create_invoice(customer=customer, lines=[LINE]).invoice_number)
    second.start()
    wait_for_lock_waiters(1)  # the second caller queues on the year's counter row
    release.set()

    assert first.outcome() == "2026-0001"
    assert second.outcome() == "2026-0001"  # the number came back
    assert list(Invoice.objects.values_list("invoice_number", flat=True)) == ["2026-0001"]


def test_racing_leads_with_one_key_make_one_lead(clock):
    customer = CustomerFactory()

    leads = run_together(
        [
            lambda i=i: create_lead(idempotency_key="web-form-42", name=f"Kunde {i}", customer=customer)
            for i in range(THREADS)
        ]
    )

    assert len({lead.pk for lead in leads}) == 1
    assert Lead.objects.count() == 1
    assert Customer.objects.get(pk=customer.pk).total_leads == 1


def test_the_loser_of_a_lead_race_returns_the_winners_lead(clock):
    holding, release = threading.Event(), threading.Event()

    def winner():
        with transaction.atomic():
            lead = create_lead(idempotency_key="mail-7", name="Vinder")
            holding.set()
            assert release.wait(timeout=30)
        return lead

    first = Worker(winner)
    first.start()
    assert holding.wait(timeout=30)
    # The winner's row is not committed: the loser does not see it and inserts, then waits on the key.
    second = Worker(lambda: create_lead(idempotency_key="mail-7", name="Taber"))
    second.start()
    wait_for_lock_waiters(1)
    release.set()

    won, lost = first.outcome(), second.outcome()
    assert lost.pk == won.pk and lost.name == "Vinder"
    assert list(Lead.objects.values_list("name", flat=True)) == ["Vinder"]


def test_a_lead_race_whose_winner_rolls_back_lets_the_loser_insert(clock):
    holding, release = threading.Event(), threading.Event()

    def rolled_back():
        with transaction.atomic():
            create_lead(idempotency_key="mail-8", name="Fortryder")
            holding.set()
            assert release.wait(timeout=30)
            transaction.set_rollback(True)

    first = Worker(rolled_back)
    first.start()
    assert holding.wait(timeout=30)
    second = Worker(lambda: create_lead(idempotency_key="mail-8", name="Anden"))
    second.start()
    wait_for_lock_waiters(1)
    release.set()

    first.outcome()
    assert second.outcome().name == "Anden"
    assert list(Lead.objects.values_list("name", flat=True)) == ["Anden"]


def test_concurrent_payments_add_up_on_the_customer(clock):
    from renos.services import mark_invoice_paid

    customer = CustomerFactory()
    invoices = [create_invoice(customer=customer, lines=[LINE]) for _ in range(THREADS)]

    run_together(
        [lambda i=i: mark_invoice_paid(invoice=i, amount=i.total, method="mobilepay") for i in invoices]
    )

    assert Customer.objects.get(pk=customer.pk).total_revenue == sum(i.total for i in invoices)
