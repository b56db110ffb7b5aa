from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from billy.factories import (
    CachedCustomerFactory,
    CachedInvoiceFactory,
    CachedProductFactory,
    OrganizationUserFactory,
    RateLimitFactory,
    ToolAuditLogFactory,
    UsageMetricFactory,
)
from billy.models import CachedInvoice, Organization, OrganizationUser, ToolAuditLog
from billy.services import create_organization, get_api_key
from shared import audit
from shared.models import AuditLog

SECRET = "billy-secret-4f9c2a7e"


@pytest.fixture
def secret_org(db):
    organization = create_organization(name="Rendetalje", billy_api_key=SECRET, billy_organization_id="org-1")
    OrganizationUserFactory(organization=organization, email="anna@example.dk")
    return organization


def _url(model, view, *args):
    return reverse(f"admin:billy_{model._meta.model_name}_{view}", args=args)


def _no_secret(response, organization):
    body = response.content.decode()
    assert SECRET not in body
    assert organization.billy_api_key not in body  # not even the token
    return body


@pytest.mark.parametrize(
    "make",
    [
        lambda org: org,
        lambda org: CachedInvoiceFactory(organization=org),
        lambda org: CachedCustomerFactory(organization=org),
        lambda org: CachedProductFactory(organization=org),
        lambda org: ToolAuditLogFactory(organization=org, input_params={"page": 1}),
        lambda org: UsageMetricFactory(organization=org),
        lambda org: RateLimitFactory(organization=org),
    ],
    ids=["organization", "invoice", "customer", "product", "audit", "usage", "rate_limit"],
)
def test_changelist_search_and_change_pages_render_without_the_secret(admin_client, secret_org, make):
    obj = make(secret_org)
    model = type(obj)

    for url in (
        _url(model, "changelist"),
        _url(model, "changelist") + "?q=rendetalje",
        _url(model, "change", obj.pk),
        _url(model, "history", obj.pk),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _no_secret(response, secret_org)


def test_organization_add_delete_and_rotate_pages_render_without_the_secret(admin_client, secret_org):
    for url in (
        _url(Organization, "add"),
        _url(Organization, "delete", secret_org.pk),
        reverse("admin:billy_organization_rotate_key", args=[secret_org.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _no_secret(response, secret_org)


def test_the_change_page_shows_only_that_a_key_is_set_and_links_to_rotation(admin_client, secret_org):
    body = _no_secret(admin_client.get(_url(Organization, "change", secret_org.pk)), secret_org)

    assert "•••••• (set)" in body
    assert reverse("admin:billy_organization_rotate_key", args=[secret_org.pk]) in body
    assert "anna@example.dk" in body  # users inline


def _add_data(**fields):
    return {
        "name": "Ny Kunde",
        "billy_organization_id": "org-new",
        "new_billy_api_key": SECRET,
        "settings": "{}",
        "is_active": "on",
        "users-TOTAL_FORMS": "1",
        "users-INITIAL_FORMS": "0",
        "users-0-email": "bo@example.dk",
        "users-0-role": "admin",
        "users-0-is_active": "on",
        **fields,
    }


def test_adding_an_organization_encrypts_the_write_only_key(admin_client, db):
    response = admin_client.post(_url(Organization, "add"), _add_data())

    assert response.status_code == 302
    organization = Organization.objects.get(billy_organization_id="org-new")
    assert SECRET not in organization.billy_api_key
    assert get_api_key(organization=organization) == SECRET
    assert OrganizationUser.objects.get(organization=organization).role == "admin"
    assert SECRET not in str(list(LogEntry.objects.values_list("change_message", flat=True)))
    entry = AuditLog.objects.get(action="insert", resource_id=str(organization.pk))
    assert SECRET not in str(entry.changes) and organization.billy_api_key not in str(entry.changes)
    assert entry.changes["billy_api_key"] == [None, audit.CHANGED]


def test_a_refused_add_form_does_not_echo_the_key(admin_client, secret_org):
    response = admin_client.post(_url(Organization, "add"), _add_data(billy_organization_id="org-1"))

    assert response.status_code == 200
    body = _no_secret(response, secret_org)
    assert "already exists" in body
    assert Organization.objects.count() == 1


def test_the_add_form_needs_a_key(admin_client, db):
    response = admin_client.post(_url(Organization, "add"), _add_data(new_billy_api_key=""))

    assert response.status_code == 200 and not Organization.objects.exists()


def test_changing_an_organization_keeps_its_key(admin_client, secret_org):
    user = secret_org.users.get()
    data = {
        "name": "Rendetalje ApS",
        "billy_organization_id": "org-1",
        "settings": '{"vat": 25}',
        "is_active": "on",
        "users-TOTAL_FORMS": "1",
        "users-INITIAL_FORMS": "1",
        "users-0-id": str(user.pk),
        "users-0-organization": str(secret_org.pk),
        "users-0-email": user.email,
        "users-0-role": "readonly",
        "users-0-is_active": "on",
    }

    response = admin_client.post(_url(Organization, "change", secret_org.pk), data)

    assert response.status_code == 302
    stored = Organization.objects.get(pk=secret_org.pk)
    assert (stored.name, stored.settings, stored.billy_api_key) == (
        "Rendetalje ApS",
        {"vat": 25},
        secret_org.billy_api_key,
    )
    assert secret_org.users.get().role == "readonly"


def test_the_rotate_key_form_replaces_the_key(admin_client, secret_org):
    url = reverse("admin:billy_organization_rotate_key", args=[secret_org.pk])

    response = admin_client.post(url, {"new_billy_api_key": "brand-new-key"})

    assert response.status_code == 302
    assert get_api_key(organization=secret_org) == "brand-new-key"
    entry = LogEntry.objects.get(object_id=str(secret_org.pk))
    assert "brand-new-key" not in entry.change_message and "Rotated" in entry.get_change_message()
    entry = AuditLog.objects.filter(action="update", resource_id=str(secret_org.pk)).first()
    stored = Organization.objects.get(pk=secret_org.pk).billy_api_key
    assert "brand-new-key" not in str(entry.changes) and stored not in str(entry.changes)
    assert entry.changes["billy_api_key"] == [audit.CHANGED, audit.CHANGED]
    assert entry.actor == "admin@example.com"


def test_the_rotate_key_form_refuses_a_bad_key_without_echoing_it(admin_client, secret_org):
    url = reverse("admin:billy_organization_rotate_key", args=[secret_org.pk])

    response = admin_client.post(url, {"new_billy_api_key": "two words"})

    assert response.status_code == 200
    assert "two words" not in response.content.decode() and "without spaces" in response.content.decode()
    assert get_api_key(organization=secret_org) == SECRET


def test_staff_without_change_permission_cannot_rotate(client, secret_org, staff_user):
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:billy_organization_rotate_key", args=[secret_org.pk]), {"new_billy_api_key": "x"}
    )

    assert response.status_code == 403
    assert get_api_key(organization=secret_org) == SECRET


@pytest.mark.parametrize(
    "make",
    [
        lambda org: ToolAuditLogFactory(organization=org),
        lambda org: RateLimitFactory(organization=org),
    ],
    ids=["audit", "rate_limit"],
)
def test_audit_logs_and_rate_limits_are_read_only_even_for_superusers(admin_client, secret_org, make):
    obj = make(secret_org)
    model = type(obj)

    assert admin_client.get(_url(model, "add")).status_code == 403
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    change = admin_client.get(_url(model, "change", obj.pk))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin_client.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_audit_log_changelist_offers_no_delete_action(admin_client, secret_org):
    ToolAuditLogFactory(organization=secret_org)

    body = admin_client.get(_url(ToolAuditLog, "changelist")).content.decode()

    assert "delete_selected" not in body


def test_the_expired_filter_splits_the_cache(admin_client, secret_org, clock):
    CachedInvoiceFactory(
        organization=secret_org, billy_id="old-one", expires_at=clock.now - timedelta(seconds=1)
    )
    CachedInvoiceFactory(
        organization=secret_org, billy_id="live-one", expires_at=clock.now + timedelta(hours=1)
    )

    expired = admin_client.get(_url(CachedInvoice, "changelist") + "?expired=yes").content.decode()
    live = admin_client.get(_url(CachedInvoice, "changelist") + "?expired=no").content.decode()

    assert "old-one" in expired and "live-one" not in expired
    assert "live-one" in live and "old-one" not in live


def test_the_clear_expired_action_runs_without_a_selection(admin_client, secret_org, clock):
    CachedInvoiceFactory.create_batch(2, organization=secret_org, expires_at=clock.now - timedelta(seconds=1))
    CachedProductFactory(organization=secret_org, expires_at=clock.now - timedelta(seconds=1))
    live = CachedInvoiceFactory(organization=secret_org, expires_at=clock.now + timedelta(hours=1))

    response = admin_client.post(
        _url(CachedInvoice, "changelist"), {"action": "clear_expired", "index": "0"}, follow=True
    )

    assert "Deleted 3 expired cache rows (invoices 2, customers 0, products 1)." in response.content.decode()
    assert list(CachedInvoice.objects.all()) == [live]


def test_the_usage_chart_draws_a_bar_per_day(admin_client, secret_org, clock):
    today = clock.now.date()
    UsageMetricFactory(organization=secret_org, date=today, hour=1, call_count=40, error_count=4)
    UsageMetricFactory(organization=secret_org, date=today - timedelta(days=3), hour=5, call_count=9)
    url = reverse("admin:billy_usagemetric_chart")

    body = admin_client.get(url, {"organization": secret_org.pk, "days": 7}).content.decode()

    assert body.count('<g class="day">') == 7
    assert f"{today.isoformat()}: 40 calls, 4 errors" in body
    assert f"{(today - timedelta(days=3)).isoformat()}: 9 calls, 0 errors" in body
    assert "49 calls, 4 errors" in body
    assert "Choose an organization" in admin_client.get(url).content.decode()
    assert url in admin_client.get(reverse("admin:billy_usagemetric_changelist")).content.decode()
