"""`TekupModelAdmin.read_only` and `deletable`: rows the system writes, viewed (and pruned) in the admin."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from billy.admin import CachedInvoiceAdmin, RateLimitAdmin, ToolAuditLogAdmin, UsageMetricAdmin
from billy.models import CachedInvoice, RateLimit, ToolAuditLog, UsageMetric
from renos.admin.billing import InvoiceCounterAdmin
from renos.models import InvoiceCounter
from shared.admin_base import TekupModelAdmin
from shared.models import AuditLog


@pytest.fixture
def request_of_superuser(db):
    from shared.services import create_user

    request = RequestFactory().get("/admin/")
    user = create_user(email="root@tekup.dk", name="Root", password="a-long-test-passw0rd", is_staff=True)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    request.user = user
    return request


def _rights(model_admin, request):
    return (
        model_admin.has_view_permission(request),
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
    )


@pytest.mark.parametrize(
    ("admin_class", "model", "rights"),
    [
        (ToolAuditLogAdmin, ToolAuditLog, (True, False, False, False)),
        (RateLimitAdmin, RateLimit, (True, False, False, False)),
        (InvoiceCounterAdmin, InvoiceCounter, (True, False, False, False)),
        (CachedInvoiceAdmin, CachedInvoice, (True, False, False, True)),
        (UsageMetricAdmin, UsageMetric, (True, False, False, True)),
    ],
)
def test_read_only_admins_refuse_writes_even_to_superusers(request_of_superuser, admin_class, model, rights):
    model_admin = admin_class(model, admin.site)
    assert model_admin.read_only
    assert _rights(model_admin, request_of_superuser) == rights
    assert set(model_admin.get_readonly_fields(request_of_superuser)) == {
        field.name for field in model._meta.concrete_fields
    }


def test_an_ordinary_admin_is_writable_and_an_audit_table_never_even_when_deletable(request_of_superuser):
    class Ordinary(TekupModelAdmin):
        pass

    class DeletableAudit(TekupModelAdmin):
        deletable = True

    assert _rights(Ordinary(RateLimit, admin.site), request_of_superuser) == (True, True, True, True)
    assert Ordinary(RateLimit, admin.site).get_readonly_fields(request_of_superuser) == ()
    assert _rights(DeletableAudit(AuditLog, admin.site), request_of_superuser) == (True, False, False, False)
