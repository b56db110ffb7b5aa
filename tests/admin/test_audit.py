import pytest
from django.contrib.auth.models import Group

from shared.admin_audit import MASK, audit_value, is_secret
from shared.models import AuditLog, User
from shared.services import create_user, log_event

USERS = "/admin/shared/user/"


def entries(action: str):
    return list(AuditLog.objects.filter(action=action).order_by("created_at"))


def test_adding_a_user_records_its_fields_with_the_password_masked(admin_client, admin_user):
    response = admin_client.post(
        f"{USERS}add/",
        {
            "email": "new@tekup.dk",
            "name": "New",
            "password1": "a-long-passw0rd!",
            "password2": "a-long-passw0rd!",
        },
    )

    assert response.status_code == 302
    new = User.objects.get(email="new@tekup.dk")
    [entry] = entries("admin.add")
    assert (entry.user, entry.resource_type, entry.resource_id) == (admin_user, "shared.user", str(new.pk))
    changes = entry.metadata["changes"]
    assert changes["email"] == {"before": None, "after": "new@tekup.dk"}
    assert changes["password1"] == changes["password2"] == {"before": None, "after": MASK}
    assert "a-long-passw0rd!" not in str(entry.metadata)
    assert entry.metadata["table"] == "shared.users"


def test_changing_a_user_records_only_the_changed_fields_before_and_after(admin_client, admin_user):
    user = create_user(email="anna@tekup.dk", name="Anna")
    form = {"email": "anna@tekup.dk", "name": "Anna Berg", "is_active": "on"}

    response = admin_client.post(f"{USERS}{user.pk}/change/", form)

    assert response.status_code == 302
    [entry] = entries("admin.change")
    assert entry.resource_id == str(user.pk)
    assert entry.metadata["changes"] == {"name": {"before": "Anna", "after": "Anna Berg"}}
    assert entry.metadata["object"] == "anna@tekup.dk"


def test_saving_without_changes_records_nothing(admin_client):
    user = create_user(email="same@tekup.dk", name="Same")

    admin_client.post(
        f"{USERS}{user.pk}/change/", {"email": "same@tekup.dk", "name": "Same", "is_active": "on"}
    )

    assert entries("admin.change") == []


def test_a_many_to_many_change_is_recorded_as_lists_of_ids(admin_client):
    user = create_user(email="g@tekup.dk", name="G")
    group = Group.objects.create(name="crm staff")

    admin_client.post(
        f"{USERS}{user.pk}/change/",
        {"email": "g@tekup.dk", "name": "G", "is_active": "on", "groups": [group.pk]},
    )

    [entry] = entries("admin.change")
    assert entry.metadata["changes"]["groups"] == {"before": [], "after": [str(group.pk)]}


def test_deleting_records_the_object_as_it_was(admin_client, admin_user):
    user = create_user(email="gone@tekup.dk", name="Gone", password="a-long-passw0rd!")

    response = admin_client.post(f"{USERS}{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    [entry] = entries("admin.delete")
    assert entry.user == admin_user
    assert entry.metadata["changes"]["email"] == {"before": "gone@tekup.dk", "after": None}
    assert entry.metadata["changes"]["password"] == {"before": MASK, "after": None}


def test_the_delete_action_records_each_object(admin_client):
    users = [create_user(email=f"bulk{i}@tekup.dk", name=f"B{i}") for i in range(3)]

    response = admin_client.post(
        USERS, {"action": "delete_selected", "_selected_action": [u.pk for u in users], "post": "yes"}
    )

    assert response.status_code == 302
    assert sorted(e.resource_id for e in entries("admin.delete")) == sorted(str(u.pk) for u in users)
    assert not User.objects.filter(email__startswith="bulk").exists()


def test_changing_a_password_in_the_admin_is_recorded_masked(admin_client):
    user = create_user(email="pw@tekup.dk", name="Pw", password="first-passw0rd!")

    response = admin_client.post(
        f"{USERS}{user.pk}/password/",
        {"password1": "second-passw0rd!", "password2": "second-passw0rd!", "usable_password": "true"},
    )

    assert response.status_code == 302
    [entry] = entries("admin.change")
    assert entry.metadata["changes"] == {"password": {"before": MASK, "after": MASK}}


@pytest.mark.urls("tests.admin.urls")
def test_inline_rows_are_recorded_with_their_parent(admin_client):
    group = Group.objects.create(name="vault editors")
    member = create_user(email="m@tekup.dk", name="M")
    prefix = "User_groups-"

    response = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {
            "name": "vault editors",
            f"{prefix}TOTAL_FORMS": "1",
            f"{prefix}INITIAL_FORMS": "0",
            f"{prefix}0-user": str(member.pk),
            f"{prefix}0-group": str(group.pk),
        },
    )

    assert response.status_code == 302, response.content
    assert list(member.groups.all()) == [group]
    [entry] = entries("admin.add")
    assert entry.resource_type == "shared.user_groups"
    assert entry.metadata["parent"] == {"type": "auth.group", "id": str(group.pk)}
    assert entry.metadata["changes"]["user"] == {
        "before": None,
        "after": MASK,
    }  # via the inline's secret_fields

    membership = User.groups.through.objects.get()
    response = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {
            "name": "vault editors",
            f"{prefix}TOTAL_FORMS": "1",
            f"{prefix}INITIAL_FORMS": "1",
            f"{prefix}0-id": str(membership.pk),
            f"{prefix}0-user": str(member.pk),
            f"{prefix}0-group": str(group.pk),
            f"{prefix}0-DELETE": "on",
        },
    )

    assert response.status_code == 302
    assert not member.groups.exists()
    [deleted] = entries("admin.delete")
    assert deleted.resource_id == str(membership.pk)


@pytest.mark.urls("tests.admin.urls")
def test_secret_fields_of_the_admin_are_masked(admin_client):
    user = create_user(email="s@tekup.dk", name="Old name")

    admin_client.post(f"/admin/shared/user/{user.pk}/change/", {"email": "s@tekup.dk", "name": "New name"})

    [entry] = entries("admin.change")
    assert entry.metadata["changes"] == {"name": {"before": MASK, "after": MASK}}


def test_audit_log_is_read_only_in_the_admin(admin_client):
    entry = log_event(action="login", resource_type="user", resource_id="1")
    url = f"/admin/shared/auditlog/{entry.pk}/change/"

    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"action": "forged"}).status_code == 403
    assert admin_client.get("/admin/shared/auditlog/add/").status_code == 403
    assert admin_client.post(f"/admin/shared/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.get(pk=entry.pk).action == "login"


@pytest.mark.parametrize(
    ("name", "secret"),
    [("billy_api_key", True), ("secret", True), ("password1", True), ("access_token", True), ("name", False)],
)
def test_secret_field_names(name, secret):
    assert is_secret(name) is secret


def test_long_values_are_cut_and_vectors_summarised():
    import numpy as np

    assert audit_value("x" * 1000).startswith("x" * 200)
    assert audit_value("x" * 1000).endswith("(1000 characters)")
    assert audit_value(np.zeros(1536)) == "<vector of 1536>"
    assert audit_value([0.5] * 1536) == "<1536 numbers>"
    assert audit_value({"a": [1, 2]}) == {"a": [1, 2]}
