"""crm's demo data is made by crm's factories: their rules hold in the seeded rows, and the rows depend on
the seed and its moment only (not on the factories' counters or the clock)."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from crm import services
from crm.factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    CrmMetricFactory,
    DealFactory,
    DealProductFactory,
    EmailFactory,
    TaskFactory,
)
from crm.models import Company, Deal, DealProduct
from operations.seeding import run_seed

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
TABLES = ("companies", "contacts", "deals", "deal_products", "activities", "emails", "tasks", "metrics")


def _crm_digest() -> dict[str, tuple[int, str]]:
    digests = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(to_jsonb(t)::text, '|' ORDER BY t.id), '')) "
                f'FROM "crm"."{table}" t'
            )
            digests[table] = cursor.fetchone()
    return digests


def test_the_deal_factory_closes_a_deal_by_the_services_rule():
    day = dt.date(2026, 11, 3)

    won = DealFactory.build(stage=Deal.Stage.CLOSED_WON, closed_on=day)
    lost = DealFactory.build(stage=Deal.Stage.CLOSED_LOST, closed_on=day)
    open_deal = DealFactory.build(stage=Deal.Stage.PROPOSAL, closed_on=day)

    assert (won.status, won.actual_close_date, won.probability) == (Deal.Status.WON, day, 100)
    assert (lost.status, lost.actual_close_date, lost.probability) == (Deal.Status.LOST, day, 0)
    assert (open_deal.status, open_deal.actual_close_date, open_deal.probability) == (
        Deal.Status.OPEN,
        None,
        20,
    )


def test_the_company_factory_derives_its_vat_number_and_addresses():
    company = CompanyFactory.build(name="Søren Ærø Rengøring ApS", registration_number="12345678")

    assert company.vat_number == "DK12345678"
    assert company.website == "https://www.soerenaeroerengoeringaps.example"
    assert company.email == "info@soerenaeroerengoeringaps.example"


def test_seeded_rows_follow_the_factories_rules(db):
    run_seed(size="small", apps=["crm"], now=NOW, random_seed=4)

    companies = Company.objects.all()
    assert companies.exists()
    for company in companies:
        domain = company.website.removeprefix("https://www.")
        assert domain.endswith(".example") and company.email == f"info@{domain}"
        assert company.vat_number == f"DK{company.registration_number}" and company.country == "Denmark"
    closed = Deal.objects.exclude(status=Deal.Status.OPEN)
    assert closed.filter(status=Deal.Status.WON).exists() and closed.filter(status=Deal.Status.LOST).exists()
    for deal in closed:
        assert deal.probability == (100 if deal.status == Deal.Status.WON else 0)
        assert deal.actual_close_date is not None
    assert set(Deal.objects.values_list("currency", flat=True)) == {"DKK"}
    lines = DealProduct.objects.all()
    assert lines.exists()
    for line in lines:
        assert line.total == services.line_total(
            quantity=line.quantity, unit_price=line.unit_price, discount=line.discount
        )


def test_seeded_rows_do_not_depend_on_the_factories_counters_or_the_clock(db, monkeypatch):
    run_seed(size="small", apps=["crm"], now=NOW, random_seed=4)
    first = _crm_digest()

    # Advance every factory's Sequences and Iterators and move the clock a month on: a demo that let a
    # factory fill such a field would now give other rows.
    for factory_class in (
        CompanyFactory,
        ContactFactory,
        DealFactory,
        DealProductFactory,
        ActivityFactory,
        EmailFactory,
        TaskFactory,
        CrmMetricFactory,
    ):
        factory_class.build_batch(3)
    later = timezone.now() + dt.timedelta(days=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    run_seed(size="small", apps=["crm"], now=NOW, random_seed=4, reset=True)

    assert all(count > 0 for count, _ in first.values()), first
    assert _crm_digest() == first
