"""crm's factories carry the rules that crm's demo data needs."""

import datetime as dt

from crm.factories import CompanyFactory, DealFactory
from crm.models import Deal


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
