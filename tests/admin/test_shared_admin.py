"""Smoke tests of the shared app's admins: changelist, search, add, change → 200."""

import pytest
from django.contrib.auth.models import Group

from shared.services import create_user, log_event


@pytest.mark.parametrize(
    "url",
    [
        "/admin/shared/user/",
        "/admin/shared/user/?q=anna",
        "/admin/shared/user/add/",
        "/admin/shared/auditlog/",
        "/admin/shared/auditlog/?q=export",
        "/admin/shared/auditlog/?action=export",
        "/admin/auth/group/",
        "/admin/auth/group/?q=staff",
        "/admin/auth/group/add/",
        "/admin/",
        "/admin/shared/",
    ],
)
def test_pages_load(admin_client, url):
    create_user(email="anna@tekup.dk", name="Anna")
    log_event(action="export", resource_type="t", resource_id="1")

    assert admin_client.get(url).status_code == 200


def test_change_pages_load(admin_client):
    user = create_user(email="anna@tekup.dk", name="Anna")
    entry = log_event(action="export", resource_type="t", resource_id="1", user=user)
    group = Group.objects.create(name="crm staff")

    for url in [
        f"/admin/shared/user/{user.pk}/change/",
        f"/admin/shared/user/{user.pk}/password/",
        f"/admin/shared/auditlog/{entry.pk}/change/",
        f"/admin/auth/group/{group.pk}/change/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_search_finds_the_user(admin_client):
    create_user(email="anna@tekup.dk", name="Anna")
    create_user(email="bo@tekup.dk", name="Bo")

    response = admin_client.get("/admin/shared/user/", {"q": "anna"})

    assert [u.email for u in response.context["cl"].result_list] == ["anna@tekup.dk"]
