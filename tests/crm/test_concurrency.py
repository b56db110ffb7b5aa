"""crm's promises under concurrent callers, each thread on its own database connection.

Two kinds of test: a stampede (threads released together by a barrier), and a choreographed race in
which the second caller is seen waiting on the first one's row lock before the first commits or rolls
back, so the interleaving that a read-then-write in Python would get wrong surely happens.
"""

import threading
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.factories import CompanyFactory, ContactFactory, DealFactory
from crm.models import Company, Contact, Deal
from crm.services import create_contact, log_activity, move_deal, reopen_deal
from tests.support.concurrency import Worker, run_together, wait_for_lock_waiters

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def held_open(work, holding: threading.Event, release: threading.Event, *, roll_back: bool = False):
    """`work` inside a transaction that stays open (its row locks held) until `release` is set."""

    def run():
        with transaction.atomic():
            result = work()
            holding.set()
            assert release.wait(timeout=30)
            if roll_back:
                transaction.set_rollback(True)
        return result

    return run


def test_people_closing_one_deal_at_once_cannot_both_succeed():
    deal = DealFactory(stage=Deal.Stage.NEGOTIATION)
    stages = [Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST] * (THREADS // 2)

    outcomes = run_together(
        [lambda s=stage: move_deal(deal=deal, stage=s) for stage in stages], return_exceptions=True
    )

    moved = [outcome for outcome in outcomes if isinstance(outcome, Deal)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(moved), len(refused)) == (1, THREADS - 1), outcomes
    assert all("is closed" in error.message_dict["deal"][0] for error in refused)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage, stored.status) == (moved[0].stage, moved[0].status)


def test_a_close_waiting_on_another_is_refused_once_that_one_commits():
    deal = DealFactory(stage=Deal.Stage.NEGOTIATION)
    holding, release = threading.Event(), threading.Event()

    first = Worker(held_open(lambda: move_deal(deal=deal, stage=Deal.Stage.CLOSED_WON), holding, release))
    first.start()
    assert holding.wait(timeout=30)
    # The win is not committed: a read of the status now would see the deal open.
    second = Worker(lambda: move_deal(deal=deal, stage=Deal.Stage.CLOSED_LOST, lost_reason="pris"))
    second.start()
    wait_for_lock_waiters(1)  # the second close queues on the deal's row
    release.set()

    assert first.outcome().status == Deal.Status.WON
    with pytest.raises(ValidationError, match=r"is closed \(won\)"):
        second.outcome()
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.status, stored.lost_reason) == (Deal.Status.WON, None)


def test_a_close_that_rolls_back_leaves_the_deal_to_the_one_waiting():
    deal = DealFactory(stage=Deal.Stage.NEGOTIATION)
    holding, release = threading.Event(), threading.Event()

    work = held_open(
        lambda: move_deal(deal=deal, stage=Deal.Stage.CLOSED_WON), holding, release, roll_back=True
    )
    first = Worker(work)
    first.start()
    assert holding.wait(timeout=30)
    second = Worker(lambda: move_deal(deal=deal, stage=Deal.Stage.CLOSED_LOST, lost_reason="pris"))
    second.start()
    wait_for_lock_waiters(1)
    release.set()

    first.outcome()
    assert second.outcome().status == Deal.Status.LOST
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.LOST


def test_people_reopening_one_deal_at_once_reopen_it_once():
    deal = DealFactory(stage=Deal.Stage.CLOSED_LOST)

    outcomes = run_together([lambda: reopen_deal(deal=deal) for _ in range(THREADS)], return_exceptions=True)

    reopened = [outcome for outcome in outcomes if isinstance(outcome, Deal)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(reopened), len(refused)) == (1, THREADS - 1), outcomes
    assert all("already open" in error.message_dict["deal"][0] for error in refused)
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN


def test_a_late_logged_activity_waiting_on_a_newer_one_does_not_move_the_last_contact_back():
    contact = ContactFactory(last_contact_at=None, company=CompanyFactory(last_contact_at=None))
    about = {"contact": contact, "company": contact.company}
    newer, older = datetime(2025, 6, 2, 10, 0, tzinfo=UTC), datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    holding, release = threading.Event(), threading.Event()

    first = Worker(
        held_open(lambda: log_activity(type="call", owner="a", occurred_at=newer, **about), holding, release)
    )
    first.start()
    assert holding.wait(timeout=30)
    # The newer call is not committed: the late one reads no last contact yet, and queues on the row.
    second = Worker(lambda: log_activity(type="email", owner="b", occurred_at=older, **about))
    second.start()
    wait_for_lock_waiters(1)
    release.set()

    first.outcome()
    second.outcome()
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.last_contact_at == newer
    assert contact.company.last_contact_at == newer
    assert contact.activities.count() == 2


def test_concurrent_activities_leave_the_newest_as_the_last_contact():
    company = CompanyFactory(last_contact_at=None)
    moments = [datetime(2025, 6, day, 9, 0, tzinfo=UTC) for day in range(1, THREADS + 1)]

    run_together(
        [
            lambda m=moment: log_activity(type="meeting", owner="o", company=company, occurred_at=m)
            for moment in moments
        ]
    )

    assert Company.objects.get(pk=company.pk).last_contact_at == max(moments)


def test_people_adding_one_email_at_once_make_one_contact_and_the_others_are_told():
    emails = ["Same@Firma.dk", "same@firma.dk", "SAME@FIRMA.DK"] * (THREADS // 3)

    outcomes = run_together(
        [lambda e=email: create_contact(first_name="Mette", last_name="Hansen", email=e) for email in emails],
        return_exceptions=True,
    )

    created = [outcome for outcome in outcomes if isinstance(outcome, Contact)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(created), len(refused)) == (1, THREADS - 1), outcomes
    # Told by validation (the winner had committed) or by the unique index (it had not): either way, by email.
    assert all(list(error.message_dict) == ["email"] for error in refused)
    assert all("already exists" in error.message_dict["email"][0] for error in refused)
    assert list(Contact.objects.values_list("email", flat=True)) == ["same@firma.dk"]
