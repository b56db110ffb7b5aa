"""The database itself keeps the rules, also for the services that write these tables in plain SQL."""

from decimal import Decimal

import pytest
from django.db import connection

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
from crm.models import Contact, Deal
from tests.support.constraints import refused_by, refused_sql


def test_plain_sql_insert_of_listed_columns_gets_defaults(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO "crm"."contacts" (first_name, last_name, status) VALUES ('A', 'B', 'lead')"""
        )
        cursor.execute(
            """INSERT INTO "crm"."deals" (title, value, stage, owner, status)
               VALUES ('SQL deal', 10.5, 'proposal', 'o', 'open')"""
        )

    contact = Contact.objects.get()
    deal = Deal.objects.get()
    assert (contact.country, contact.tags, contact.id is not None) == ("Denmark", [], True)
    assert (deal.currency, deal.pipeline, deal.value) == ("DKK", "sales", Decimal("10.50"))


@pytest.mark.parametrize(
    ("table", "column", "bad"),
    [
        ("contacts", "status", "vip"),
        ("companies", "status", "partner"),
        ("deals", "stage", "won"),
        ("activities", "type", "fax"),
        ("emails", "status", "queued"),
        ("tasks", "priority", "someday"),
    ],
)
def test_choices_are_checked_by_the_database(db, table, column, bad):
    factories = {
        "contacts": ContactFactory,
        "companies": CompanyFactory,
        "deals": DealFactory,
        "activities": ActivityFactory,
        "emails": EmailFactory,
        "tasks": TaskFactory,
    }
    row = factories[table]()
    sql = f'UPDATE "crm"."{table}" SET {column} = %s WHERE id = %s'
    refused_sql(f"crm_{table}_{column}_valid", sql, [bad, row.pk])


@pytest.mark.parametrize(
    ("stage", "status"), [("closed_won", "open"), ("proposal", "won"), ("closed_lost", "won")]
)
def test_deal_status_must_follow_stage(db, stage, status):
    deal = DealFactory()

    sql = 'UPDATE "crm"."deals" SET stage = %s, status = %s WHERE id = %s'
    refused_sql("crm_deals_status_matches_stage", sql, [stage, status, deal.pk])


def test_deal_value_cannot_be_negative(db):
    deal = DealFactory()

    refused_sql(
        "crm_deals_value_not_negative", 'UPDATE "crm"."deals" SET value = -1 WHERE id = %s', [deal.pk]
    )


def test_deal_product_total_must_match_its_line(db):
    line = DealProductFactory(quantity=Decimal("2"), unit_price=Decimal("100"), discount=Decimal("10"))
    assert line.total == Decimal("180.00")

    update = 'UPDATE "crm"."deal_products" SET {} WHERE id = %s'
    refused_sql("crm_deal_products_total_matches", update.format("total = 200"), [line.pk])
    refused_sql(
        "crm_deal_products_discount_percent", update.format("discount = 150, total = -100"), [line.pk]
    )


def test_contact_email_is_unique_whatever_its_case(db):
    ContactFactory(email="same@firma.dk")

    with refused_by("crm_contacts_email_uniq"):
        ContactFactory(email="SAME@firma.dk")


def test_metric_is_unique_per_date(db):
    metric = CrmMetricFactory()

    with refused_by("crm_metrics_date_metric_uniq"):
        CrmMetricFactory(date=metric.date, metric=metric.metric)
    CrmMetricFactory(date=metric.date, metric="other")


def test_deleting_a_company_keeps_its_contacts_and_deals(db):
    deal = DealFactory()
    company = deal.company

    company.delete()

    deal.refresh_from_db()
    deal.contact.refresh_from_db()
    assert deal.company is None and deal.contact.company is None


def test_deleting_a_deal_deletes_its_products(db):
    line = DealProductFactory()

    line.deal.delete()

    assert not type(line).objects.exists()
