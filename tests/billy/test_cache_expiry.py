"""The cache's one expiry rule (billy.models): a row is expired from the moment `expires_at` is reached.

A row expiring exactly now is expired everywhere the rule is read: the model, the querysets, the reads
of the services, the cleanup, the admin, the health check and the dashboard.
"""

from datetime import timedelta

import pytest

from billy import services
from billy.admin import CachedEntryAdmin
from billy.factories import CachedCustomerFactory, CachedInvoiceFactory, CachedProductFactory
from billy.models import (
    CACHE_MODELS,
    CachedCustomer,
    CachedEntry,
    CachedInvoice,
    CachedProduct,
    EveryCache,
    is_expired,
)


@pytest.fixture
def rows(organization, clock):
    """In each cache: one row a microsecond from expiry, one expiring exactly now, one expired."""
    made = {}
    for name, factory in [
        ("invoices", CachedInvoiceFactory),
        ("customers", CachedCustomerFactory),
        ("products", CachedProductFactory),
    ]:
        made[name] = {
            when: factory(organization=organization, billy_id=f"{name}-{when}", expires_at=clock.now + delta)
            for when, delta in [
                ("later", timedelta(microseconds=1)),
                ("now", timedelta()),
                ("before", timedelta(seconds=-1)),
            ]
        }
    return made


def test_the_rule_itself(clock):
    assert is_expired(clock.now, clock.now)
    assert is_expired(clock.now - timedelta(microseconds=1))
    assert not is_expired(clock.now + timedelta(microseconds=1))


def test_cached_entry_objects_answers_for_every_cache_table(rows, clock):
    assert isinstance(CachedEntry.objects, EveryCache)
    expired = CachedEntry.objects.expired()
    assert list(expired) == ["invoices", "customers", "products"] == list(CACHE_MODELS)
    for name, queryset in expired.items():
        assert queryset.model is CACHE_MODELS[name]
        assert sorted(queryset.values_list("billy_id", flat=True)) == [f"{name}-before", f"{name}-now"]
    live = CachedEntry.objects.live()
    assert {name: list(q.values_list("billy_id", flat=True)) for name, q in live.items()} == {
        name: [f"{name}-later"] for name in CACHE_MODELS
    }
    # The concrete caches keep Django's ordinary manager.
    for model in (CachedInvoice, CachedCustomer, CachedProduct):
        assert model.objects.expired().count() == 2 and model.objects.live().count() == 1


def test_the_instance_property_and_the_admin_column(rows, clock):
    admin = CachedEntryAdmin(CachedInvoice, admin_site=None)
    for when, expected in [("later", False), ("now", True), ("before", True)]:
        row = rows["invoices"][when]
        assert row.is_expired is expected
        assert admin.expired(row) is expected


def test_a_read_returns_nothing_from_the_moment_of_expiry(organization, clock):
    services.set_cached_invoice(
        organization=organization, billy_id="inv-1", data={"n": 1}, ttl=timedelta(seconds=5)
    )
    clock.advance(seconds=5, microseconds=-1)
    assert services.get_cached_invoice(organization=organization, billy_id="inv-1") == {"n": 1}
    clock.advance(microseconds=1)
    assert services.get_cached_invoice(organization=organization, billy_id="inv-1") is None


def test_the_cleanup_deletes_the_row_expiring_now(rows, clock):
    assert services.clear_expired_cache() == {"invoices": 2, "customers": 2, "products": 2}
    for model in CACHE_MODELS.values():
        assert list(model.objects.values_list("billy_id", flat=True).order_by("billy_id")) == [
            f"{model._meta.db_table.split('cached_')[1]}-later"
        ]


def test_the_dashboard_figures_count_the_row_expiring_now_as_not_live(rows, clock):
    figures = services.cache_figures(cache="products", now=clock.now, since=clock.now - timedelta(days=1))
    assert figures == {"rows": 3, "live": 1, "recent": 3}


def test_cache_tables_names_them_for_people():
    assert services.cache_tables() == {
        "invoices": "cached invoices",
        "customers": "cached customers",
        "products": "cached products",
    }


@pytest.mark.django_db(transaction=True)
def test_the_health_check_counts_the_row_expiring_now(rows, clock, settings):
    # The health check counts on a connection of its own: the rows must be committed (transaction=True).
    from operations import pg
    from operations.health import _billy_expired_cache

    settings.TEKUPDB_HEALTH_MAX_EXPIRED_CACHE_ROWS = 5
    with pg.connect(connect_timeout=5, statement_timeout=5) as conn:
        check = _billy_expired_cache(conn)
    assert (check.ok, check.value) == (False, 6)
    assert check.detail.startswith("6 expired (cached_invoices 2, cached_customers 2, cached_products 2)")
