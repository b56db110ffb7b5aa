"""The admin's own pages beyond Django's (charts, rotate key, similar documents, pipeline, history) check
permissions like the rest: 403 for a staff user without them, the same answer whether or not the object
exists, and the page for a user who holds them."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from billy.factories import OrganizationFactory
from shared.services import create_user
from vault.factories import EmbeddingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    user = create_user(email="clerk@tekup.dk", name="Clerk", password="a-long-test-passw0rd", is_staff=True)
    client.force_login(user)
    return user


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.mark.parametrize(
    ("name", "make", "codename"),
    [
        ("admin:billy_organization_rotate_key", OrganizationFactory, "change_organization"),
        ("admin:vault_document_similar", lambda: EmbeddingFactory().document, "view_document"),
    ],
    ids=["rotate key", "similar documents"],
)
def test_object_pages_answer_403_whether_or_not_the_object_exists(client, clerk, name, make, codename):
    existing = make()

    assert client.get(reverse(name, args=[existing.pk])).status_code == 403
    assert client.get(reverse(name, args=[uuid.uuid4()])).status_code == 403

    grant(clerk, codename)
    assert client.get(reverse(name, args=[existing.pk])).status_code == 200
    assert client.get(reverse(name, args=[uuid.uuid4()])).status_code == 404


def test_a_viewer_of_organizations_may_not_rotate_their_key(client, clerk):
    organization = OrganizationFactory()
    grant(clerk, "view_organization")
    url = reverse("admin:billy_organization_rotate_key", args=[organization.pk])
    before = type(organization).objects.get(pk=organization.pk).billy_api_key

    assert client.post(url, {"new_billy_api_key": "sk-new-key-0123456789"}).status_code == 403
    assert client.get(reverse("admin:billy_organization_rotate_key", args=[uuid.uuid4()])).status_code == 403
    assert type(organization).objects.get(pk=organization.pk).billy_api_key == before


@pytest.mark.parametrize(
    ("name", "codename"),
    [("admin:billy_usagemetric_chart", "view_usagemetric"), ("admin:crm_deal_pipeline", "view_deal")],
    ids=["usage chart", "pipeline"],
)
def test_chart_pages_need_the_view_permission(client, clerk, name, codename):
    assert client.get(reverse(name)).status_code == 403
    grant(clerk, codename)
    assert client.get(reverse(name)).status_code == 200


def test_the_history_page_needs_the_view_permission(client, clerk):
    organization = OrganizationFactory()
    url = reverse("admin:billy_organization_history", args=[organization.pk])
    assert client.get(url).status_code == 403
    grant(clerk, "view_organization")
    page = client.get(url)
    assert page.status_code == 200 and "insert" in page.content.decode()
