import math
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from billy import services
from billy.factories import (
    CachedCustomerFactory,
    CachedInvoiceFactory,
    CachedProductFactory,
    OrganizationFactory,
)
from billy.models import CachedCustomer, CachedInvoice, CachedProduct
from tests.support.concurrency import run_together

KINDS = [
    (services.set_cached_invoice, services.get_cached_invoice, CachedInvoice),
    (services.set_cached_customer, services.get_cached_customer, CachedCustomer),
    (services.set_cached_product, services.get_cached_product, CachedProduct),
]
INVOICE = {"id": "inv-1", "total": "1250.00", "lines": [{"text": "Rengøring", "qty": 2}]}


@pytest.mark.parametrize(("set_cached", "get_cached", "model"), KINDS)
def test_set_then_get_returns_the_data_until_the_ttl_passes(
    organization, clock, set_cached, get_cached, model
):
    expires_at = set_cached(organization=organization, billy_id="b-1", data=INVOICE, ttl=timedelta(minutes=5))

    row = model.objects.get()
    assert (row.organization, row.billy_id, row.data) == (organization, "b-1", INVOICE)
    assert row.expires_at == expires_at == clock.now + timedelta(minutes=5)
    assert get_cached(organization=organization, billy_id="b-1") == INVOICE
    clock.advance(minutes=4, seconds=59)
    assert get_cached(organization=organization, billy_id="b-1") == INVOICE
    clock.advance(seconds=1)
    assert get_cached(organization=organization, billy_id="b-1") is None


@pytest.mark.parametrize(("set_cached", "get_cached", "model"), KINDS)
def test_set_upserts_one_row_per_organization_and_billy_id(
    organization, clock, set_cached, get_cached, model
):
    set_cached(organization=organization, billy_id="b-1", data={"v": 1}, ttl=timedelta(minutes=1))
    clock.advance(minutes=2)
    assert get_cached(organization=organization, billy_id="b-1") is None

    set_cached(organization=organization, billy_id="b-1", data={"v": 2})

    row = model.objects.get()
    assert row.data == {"v": 2}
    assert (row.cached_at, row.expires_at) == (clock.now, clock.now + timedelta(minutes=60))
    assert get_cached(organization=organization, billy_id="b-1") == {"v": 2}


def test_the_default_ttl_is_sixty_minutes(organization, clock):
    services.set_cached_product(organization=organization, billy_id="p", data=[1, 2])
    clock.advance(minutes=59)
    assert services.get_cached_product(organization=organization, billy_id="p") == [1, 2]
    clock.advance(minutes=1)
    assert services.get_cached_product(organization=organization, billy_id="p") is None


def test_get_of_an_absent_key_or_of_another_organization_is_none(organization):
    other = OrganizationFactory()
    services.set_cached_customer(organization=organization, billy_id="c-1", data={"name": "Anna"})

    assert services.get_cached_customer(organization=organization, billy_id="c-2") is None
    assert services.get_cached_customer(organization=other, billy_id="c-1") is None
    assert services.get_cached_invoice(organization=organization, billy_id="c-1") is None


def test_get_is_one_query_and_set_is_one_statement(organization, django_assert_num_queries):
    with django_assert_num_queries(1):
        services.set_cached_invoice(organization=organization, billy_id="b", data=INVOICE)
    with django_assert_num_queries(1):
        assert services.get_cached_invoice(organization=organization, billy_id="b") == INVOICE


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1), 60, None])
def test_a_ttl_of_zero_or_less_or_not_a_timedelta_is_refused(organization, ttl):
    with pytest.raises(ValidationError, match="ttl must be a positive timedelta"):
        services.set_cached_invoice(organization=organization, billy_id="b", data={}, ttl=ttl)
    assert not CachedInvoice.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"data": {"at": object()}}, "data is not JSON-serialisable"),
        ({"data": {"x": math.nan}}, "data is not JSON-serialisable"),
        ({"billy_id": ""}, "billy_id must be a non-empty string"),
        ({"billy_id": "x" * 256}, "at most 255 characters"),
        ({"organization": None}, "organization must be a saved Organization"),
    ],
)
def test_set_refuses_bad_input(organization, fields, message):
    arguments = {"organization": organization, "billy_id": "b", "data": {}, **fields}
    with pytest.raises(ValidationError, match=message):
        services.set_cached_customer(**arguments)
    assert not CachedCustomer.objects.exists()


def test_clear_expired_cache_deletes_expired_rows_of_each_table_and_counts_them(organization, clock):
    past, future = clock.now - timedelta(seconds=1), clock.now + timedelta(minutes=1)
    CachedInvoiceFactory.create_batch(3, organization=organization, expires_at=past)
    CachedInvoiceFactory(organization=organization, expires_at=future)
    CachedCustomerFactory(organization=organization, expires_at=clock.now)  # expires exactly now: expired
    CachedProductFactory.create_batch(2, organization=organization, expires_at=future)

    assert services.clear_expired_cache() == {"invoices": 3, "customers": 1, "products": 0}
    assert (CachedInvoice.objects.count(), CachedCustomer.objects.count(), CachedProduct.objects.count()) == (
        1,
        0,
        2,
    )
    assert services.clear_expired_cache() == {"invoices": 0, "customers": 0, "products": 0}


@pytest.mark.django_db(transaction=True)
def test_concurrent_setters_of_one_key_leave_one_row_and_no_error():
    organization = OrganizationFactory()

    def setter(n: int) -> None:
        for round_ in range(20):
            services.set_cached_invoice(
                organization=organization, billy_id="same", data={"n": n, "r": round_}
            )

    run_together([lambda n=n: setter(n) for n in range(6)])

    assert CachedInvoice.objects.count() == 1
    assert CachedInvoice.objects.get().data["r"] == 19
