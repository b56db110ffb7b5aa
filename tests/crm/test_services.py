from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services
from crm.factories import CompanyFactory, ContactFactory, DealFactory
from crm.models import Activity, Contact, Deal, DealProduct


def test_create_contact_lowercases_email_and_links_company(db):
    company = CompanyFactory()

    contact = services.create_contact(
        first_name=" Mette ",
        last_name="Hansen",
        email=" Mette@Firma.DK ",
        company=company,
        phone="+45 12345678",
    )

    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.first_name, stored.email, stored.company, stored.country) == (
        "Mette",
        "mette@firma.dk",
        company,
        "Denmark",
    )
    assert stored.status == Contact.Status.LEAD


def test_create_contact_refuses_an_email_that_exists_in_another_case(db):
    services.create_contact(first_name="A", last_name="B", email="dup@firma.dk")

    with pytest.raises(ValidationError, match="already exists"):
        services.create_contact(first_name="C", last_name="D", email="DUP@firma.dk")
    assert Contact.objects.count() == 1


def test_contacts_without_email_do_not_collide(db):
    services.create_contact(first_name="A", last_name="B")
    services.create_contact(first_name="C", last_name="D", email="  ")

    assert Contact.objects.filter(email__isnull=True).count() == 2


def test_create_contact_refuses_a_bad_status(db):
    with pytest.raises(ValidationError, match="status"):
        services.create_contact(first_name="A", last_name="B", status="vip")


def test_create_company_defaults_and_validates(db):
    company = services.create_company(name="Rent & Pænt ApS", vat_number="DK12345678")

    assert (company.country, company.status) == ("Denmark", "prospect")
    with pytest.raises(ValidationError, match="name"):
        services.create_company(name="  ")


def test_create_deal_in_open_stage_is_open(db):
    deal = services.create_deal(title="Kontorrengøring", value="15000", owner="sales@tekup.dk")

    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage, stored.status, stored.value, stored.currency) == (
        "qualification",
        "open",
        Decimal("15000.00"),
        "DKK",
    )
    assert stored.actual_close_date is None


def test_create_deal_in_a_closed_stage_is_closed_today(db):
    deal = services.create_deal(title="X", value=100, owner="o", stage="closed_won")

    assert (deal.status, deal.actual_close_date, deal.probability) == ("won", timezone.localdate(), 100)


@pytest.mark.parametrize(
    ("value", "message"), [("-1", "negative"), ("ti kroner", "must be a number"), ("NaN", "finite")]
)
def test_create_deal_refuses_bad_values(db, value, message):
    with pytest.raises(ValidationError, match=message):
        services.create_deal(title="X", value=value, owner="o")
    assert not Deal.objects.exists()


def test_create_deal_refuses_an_unknown_stage(db):
    with pytest.raises(ValidationError, match="'won' is not a stage"):
        services.create_deal(title="X", value=1, owner="o", stage="won")


def test_move_deal_through_open_stages_keeps_it_open(db):
    deal = DealFactory()

    moved = services.move_deal(deal=deal, stage="proposal")

    assert (moved.stage, moved.status, moved.actual_close_date) == ("proposal", "open", None)


def test_move_deal_to_closed_won_sets_status_and_close_date(db):
    deal = DealFactory(stage="negotiation")

    services.move_deal(deal=deal, stage="closed_won")

    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.status, stored.actual_close_date, stored.probability) == ("won", timezone.localdate(), 100)


def test_move_deal_to_closed_lost_records_reason(db):
    deal = DealFactory()

    services.move_deal(deal=deal, stage="closed_lost", lost_reason="For dyrt")

    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.status, stored.lost_reason, stored.probability) == ("lost", "For dyrt", 0)
    assert stored.actual_close_date == timezone.localdate()


@pytest.mark.parametrize("closed_stage", ["closed_won", "closed_lost"])
@pytest.mark.parametrize("target", ["qualification", "negotiation", "closed_won", "closed_lost"])
def test_a_closed_deal_does_not_move(db, closed_stage, target):
    deal = DealFactory(stage=closed_stage)

    with pytest.raises(ValidationError, match="reopen it with reopen_deal"):
        services.move_deal(deal=deal, stage=target)
    assert Deal.objects.get(pk=deal.pk).stage == closed_stage


def test_reopen_deal_clears_close_date_and_reason(db):
    deal = DealFactory()
    services.move_deal(deal=deal, stage="closed_lost", lost_reason="Valgte konkurrent")

    reopened = services.reopen_deal(deal=deal)

    assert (reopened.stage, reopened.status, reopened.actual_close_date, reopened.lost_reason) == (
        "negotiation",
        "open",
        None,
        None,
    )
    services.move_deal(deal=reopened, stage="closed_won")
    assert Deal.objects.get(pk=deal.pk).status == "won"


def test_reopen_deal_refuses_an_open_deal_and_a_closed_target(db):
    open_deal = DealFactory()
    with pytest.raises(ValidationError, match="already open"):
        services.reopen_deal(deal=open_deal)

    won = DealFactory(stage="closed_won")
    with pytest.raises(ValidationError, match="open stage"):
        services.reopen_deal(deal=won, stage="closed_lost")
    assert Deal.objects.get(pk=won.pk).status == "won"


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount", "total"),
    [
        (1, "1000", 0, "1000.00"),
        (3, "499.95", 10, "1349.87"),  # 1499.85 less 10 % = 1349.865, rounded half up
        ("2.5", "400", "12.5", "875.00"),
        (1, "100", 100, "0.00"),
    ],
)
def test_add_deal_product_totals_quantity_times_price_less_percent_discount(
    db, quantity, unit_price, discount, total
):
    deal = DealFactory()

    line = services.add_deal_product(
        deal=deal, product_name="Rengøring", quantity=quantity, unit_price=unit_price, discount=discount
    )

    assert DealProduct.objects.get(pk=line.pk).total == Decimal(total)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": 0}, "quantity must be more than 0"),
        ({"unit_price": "-5"}, "unit_price cannot be negative"),
        ({"discount": 101}, "between 0 and 100"),
        ({"discount": -1}, "between 0 and 100"),
    ],
)
def test_add_deal_product_refuses_bad_lines(db, kwargs, message):
    deal = DealFactory()
    arguments = {"deal": deal, "product_name": "X", "unit_price": 10, **kwargs}

    with pytest.raises(ValidationError, match=message):
        services.add_deal_product(**arguments)
    assert not DealProduct.objects.exists()


def test_log_activity_moves_last_contact_forward_only(db):
    contact = ContactFactory()
    now = timezone.now()

    services.log_activity(type="call", owner="o", contact=contact, company=contact.company, occurred_at=now)
    services.log_activity(type="meeting", owner="o", contact=contact, occurred_at=now - timedelta(days=2))

    contact.refresh_from_db()
    contact.company.refresh_from_db()
    assert contact.last_contact_at == now
    assert contact.company.last_contact_at == now
    assert Activity.objects.filter(contact=contact).count() == 2


def test_log_activity_note_does_not_count_as_contact(db):
    contact = ContactFactory()

    services.log_activity(type="note", owner="o", contact=contact, subject="Husk nøgle")

    contact.refresh_from_db()
    assert contact.last_contact_at is None


def test_log_activity_needs_a_subject_of_the_activity_and_a_valid_type(db):
    with pytest.raises(ValidationError, match="must concern a contact, a company or a deal"):
        services.log_activity(type="call", owner="o")
    with pytest.raises(ValidationError, match="type"):
        services.log_activity(type="fax", owner="o", deal=DealFactory())
    assert not Activity.objects.exists()


def test_pipeline_summary_counts_and_sums_per_stage_in_one_query(db, django_assert_num_queries):
    DealFactory(value=Decimal("1000.00"))
    DealFactory(value=Decimal("250.50"))
    DealFactory(stage="proposal", value=Decimal("99.99"))
    DealFactory(stage="closed_won", value=Decimal("5000.00"))
    DealFactory(stage="proposal", value=Decimal("10.00"), currency="EUR")
    DealFactory(value=Decimal("777.00"), pipeline="partners")

    with django_assert_num_queries(1):
        summary = services.pipeline_summary()

    by_stage = {entry.stage: entry for entry in summary}
    assert [entry.stage for entry in summary] == list(Deal.Stage.values)
    assert (by_stage["qualification"].count, by_stage["qualification"].value) == (
        2,
        {"DKK": Decimal("1250.50")},
    )
    assert (by_stage["proposal"].count, by_stage["proposal"].value) == (
        2,
        {"DKK": Decimal("99.99"), "EUR": Decimal("10.00")},
    )
    assert by_stage["proposal"].single_value is None
    assert by_stage["closed_won"].single_value == Decimal("5000.00")
    assert (by_stage["closed_lost"].count, by_stage["closed_lost"].single_value) == (0, Decimal("0.00"))
    partners = {entry.stage: entry.count for entry in services.pipeline_summary(pipeline="partners")}
    assert partners["qualification"] == 1
