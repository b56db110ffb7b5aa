"""Foreign keys carry the ON DELETE action of their field, so plain-SQL deletes behave as under Prisma.

Other services delete rows of this database with plain SQL; these tests delete the same way (a raw
`DELETE`) and check what the database did, and then that Django's own deletes still work beside it.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from billy import factories as billy_factories
from billy.models import CachedInvoice, Organization, RateLimit, UsageMetric
from crm import factories as crm_factories
from crm.models import Deal, DealProduct
from renos import factories as renos_factories
from renos.models import Booking, Customer, Invoice, Lead
from renos.services import create_invoice
from tekupdb.db.backend.schema import on_delete_action

pytestmark = pytest.mark.django_db


def sql_delete(model, pk) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [pk])


def database_actions() -> dict[tuple[str, str], str]:
    """(table, column) → confdeltype of every foreign key in the six schemas."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname || '"."' || c.relname, a.attname, con.confdeltype
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
            WHERE con.contype = 'f' AND n.nspname IN ('shared', 'vault', 'billy', 'renos', 'crm', 'flow')
              -- a partition's copy of its partitioned table's key (the monthly history tables)
              AND con.conparentid = 0
            """
        )
        return {(table, column): action for table, column, action in cursor.fetchall()}


def test_every_foreign_key_of_the_six_schemas_has_its_fields_action():
    from django.apps import apps

    expected = {"CASCADE": "c", "SET NULL": "n", "RESTRICT": "r", None: "a"}
    found = database_actions()
    checked = 0
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in {"shared", "vault", "billy", "renos", "crm", "flow"}:
            continue
        for field in model._meta.local_fields:
            if field.remote_field and field.db_constraint:
                key = (model._meta.db_table, field.column)
                assert found[key] == expected[on_delete_action(field)], key
                checked += 1
    assert checked == len(found) > 40


def test_deleting_a_billy_organization_with_sql_cascades_to_its_cache_usage_and_rate_limits():
    organization = billy_factories.OrganizationFactory()
    billy_factories.CachedInvoiceFactory(organization=organization)
    billy_factories.UsageMetricFactory(organization=organization)
    billy_factories.RateLimitFactory(organization=organization)
    other = billy_factories.CachedInvoiceFactory()

    sql_delete(Organization, organization.pk)

    assert not CachedInvoice.objects.filter(organization_id=organization.pk).exists()
    assert not UsageMetric.objects.filter(organization_id=organization.pk).exists()
    assert not RateLimit.objects.filter(organization_id=organization.pk).exists()
    assert CachedInvoice.objects.filter(pk=other.pk).exists()


def test_deleting_a_renos_customer_with_sql_sets_their_leads_customer_to_null():
    customer = renos_factories.CustomerFactory()
    lead = renos_factories.LeadFactory(customer=customer)

    sql_delete(Customer, customer.pk)

    lead.refresh_from_db()
    assert lead.customer_id is None


def test_deleting_a_crm_deal_with_sql_deletes_its_products():
    deal = crm_factories.DealFactory()
    product = crm_factories.DealProductFactory(deal=deal)
    kept = crm_factories.DealProductFactory()

    sql_delete(Deal, deal.pk)

    assert not DealProduct.objects.filter(pk=product.pk).exists()
    assert DealProduct.objects.filter(pk=kept.pk).exists()


def test_an_invoiced_customer_cannot_be_deleted_with_sql_nor_with_django():
    customer = renos_factories.CustomerFactory()
    invoice = create_invoice(customer=customer, lines=[{"description": "x", "unit_price": "100"}])

    with pytest.raises(IntegrityError, match="invoices"), transaction.atomic():
        sql_delete(Customer, customer.pk)
    with pytest.raises(ProtectedError):
        customer.delete()

    assert Invoice.objects.filter(pk=invoice.pk, customer_id=customer.pk).exists()


def test_deleting_a_booking_keeps_its_invoice_with_sql_and_with_django():
    customer = renos_factories.CustomerFactory()
    by_sql = renos_factories.BookingFactory(customer=customer)
    by_django = renos_factories.BookingFactory(customer=customer)
    first = create_invoice(customer=customer, booking=by_sql, lines=[{"description": "x", "unit_price": "1"}])
    second = create_invoice(
        customer=customer, booking=by_django, lines=[{"description": "y", "unit_price": "2"}]
    )

    sql_delete(Booking, by_sql.pk)
    by_django.delete()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booking_id, second.booking_id) == (None, None)


def test_django_deletes_still_cascade_and_set_null():
    organization = billy_factories.OrganizationFactory()
    billy_factories.CachedInvoiceFactory(organization=organization)
    customer = renos_factories.CustomerFactory()
    lead = renos_factories.LeadFactory(customer=customer)
    deal = crm_factories.DealProductFactory().deal

    organization.delete()
    customer.delete()
    deal.delete()

    assert not CachedInvoice.objects.filter(organization_id=organization.pk).exists()
    assert Lead.objects.get(pk=lead.pk).customer_id is None
    assert not DealProduct.objects.filter(deal_id=deal.pk).exists()


def _with_on_delete(field, on_delete):
    from django.db import models

    _, _, args, kwargs = field.deconstruct()
    kwargs.update(on_delete=on_delete, to=field.remote_field.model)
    clone = models.ForeignKey(*args, **kwargs)
    clone.set_attributes_from_name(field.name)
    clone.model = field.model
    return clone


def test_a_migration_that_changes_on_delete_re_creates_the_constraint_with_the_new_action():
    from django.db import models

    field = Invoice._meta.get_field("customer")
    cascade = _with_on_delete(field, models.CASCADE)

    with connection.schema_editor() as editor:
        editor.alter_field(Invoice, field, cascade)
    assert database_actions()[('renos"."invoices', "customer_id")] == "c"

    with connection.schema_editor() as editor:
        editor.alter_field(Invoice, cascade, field)
    assert database_actions()[('renos"."invoices', "customer_id")] == "r"


def test_a_foreign_key_added_to_an_existing_table_gets_its_action():
    from django.db import models

    field = models.ForeignKey(Customer, null=True, on_delete=models.SET_NULL)
    field.set_attributes_from_name("second_customer")
    field.model = Lead

    with connection.schema_editor() as editor:
        editor.add_field(Lead, field)
    assert database_actions()[('renos"."leads', "second_customer_id")] == "n"
