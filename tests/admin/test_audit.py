"""What the admin's writes leave in the database audit (shared.audit), and how the admin shows it: each
add, change and delete — of an object, by an action, an inline or Django's own password form — is one
entry with the signed-in user as actor; the History page and the audit changelist read it."""

import pytest
from django.contrib.auth.models import Group

from crm.factories import CompanyFactory
from crm.models import Company
from shared import audit
from shared.models import AuditLog, User
from shared.services import audit_trail, create_user, log_event

USERS = "/admin/shared/user/"


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
    [entry] = [e for e in audit_trail(instance=new) if e.action == "insert"]
    assert (entry.actor, entry.actor_id) == (admin_user.email, admin_user.pk)
    assert entry.changes["email"] == [None, "new@tekup.dk"]
    assert entry.changes["password"] == [None, audit.CHANGED]
    assert new.password not in str(AuditLog.objects.values_list("changes", flat=True)[::1])


def test_changing_a_user_records_only_the_changed_fields_before_and_after(admin_client, admin_user):
    user = create_user(email="anna@tekup.dk", name="Anna")
    form = {"email": "anna@tekup.dk", "name": "Anna Berg", "is_active": "on"}

    response = admin_client.post(f"{USERS}{user.pk}/change/", form)

    assert response.status_code == 302
    entry = audit_trail(instance=user)[0]
    assert entry.action == "update" and entry.actor == admin_user.email
    assert set(entry.changes) == {"name", "updated_at"}
    assert entry.changes["name"] == ["Anna", "Anna Berg"]


def test_saving_without_changes_records_nothing(admin_client):
    user = create_user(email="same@tekup.dk", name="Same")

    admin_client.post(
        f"{USERS}{user.pk}/change/", {"email": "same@tekup.dk", "name": "Same", "is_active": "on"}
    )

    assert [e.action for e in audit_trail(instance=user)] == ["insert"]


def test_a_many_to_many_change_is_recorded_as_a_row_of_the_link_table(admin_client, admin_user):
    user = create_user(email="g@tekup.dk", name="G")
    group = Group.objects.create(name="crm staff")

    admin_client.post(
        f"{USERS}{user.pk}/change/",
        {"email": "g@tekup.dk", "name": "G", "is_active": "on", "groups": [group.pk]},
    )

    entry = AuditLog.objects.get(table_name="users_groups", action="insert")
    assert entry.actor == admin_user.email
    assert entry.changes["user_id"] == [None, str(user.pk)] and entry.changes["group_id"] == [None, group.pk]


def test_deleting_records_the_object_as_it_was(admin_client, admin_user):
    user = create_user(email="gone@tekup.dk", name="Gone", password="a-long-passw0rd!")
    user_id = user.pk

    response = admin_client.post(f"{USERS}{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user_id).exists()
    entry = audit_trail(model=User, pk=user_id)[0]
    assert entry.action == "delete" and entry.actor == admin_user.email
    assert entry.changes["email"] == ["gone@tekup.dk", None]
    assert entry.changes["password"] == [audit.CHANGED, None]


def test_the_delete_action_records_each_object(admin_client):
    users = [create_user(email=f"bulk{i}@tekup.dk", name=f"B{i}") for i in range(3)]

    response = admin_client.post(
        USERS, {"action": "delete_selected", "_selected_action": [u.pk for u in users], "post": "yes"}
    )

    assert response.status_code == 302
    deleted = AuditLog.objects.filter(table_name="users", action="delete")
    assert sorted(deleted.values_list("resource_id", flat=True)) == sorted(str(u.pk) for u in users)
    assert not User.objects.filter(email__startswith="bulk").exists()


def test_changing_a_password_in_the_admin_is_recorded_masked(admin_client, admin_user):
    user = create_user(email="pw@tekup.dk", name="Pw", password="first-passw0rd!")

    response = admin_client.post(
        f"{USERS}{user.pk}/password/",
        {"password1": "second-passw0rd!", "password2": "second-passw0rd!", "usable_password": "true"},
    )

    assert response.status_code == 302
    entry = audit_trail(instance=user)[0]
    assert entry.actor == admin_user.email, [(e.actor, e.changes) for e in audit_trail(instance=user)]
    assert entry.changes["password"] == [audit.CHANGED, audit.CHANGED]


@pytest.mark.urls("tests.admin.urls")
def test_inline_rows_are_recorded(admin_client, admin_user):
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
    membership = User.groups.through.objects.get()
    [added] = AuditLog.objects.filter(table_name="users_groups", action="insert")
    assert added.resource_id == str(membership.pk) and added.actor == admin_user.email

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
    [deleted] = AuditLog.objects.filter(table_name="users_groups", action="delete")
    assert deleted.resource_id == str(membership.pk)


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


def test_long_values_are_cut(db):
    company = CompanyFactory(notes="x" * 5000)
    notes = audit_trail(instance=company)[0].changes["notes"][1]
    assert notes.startswith("x" * 200) and notes.endswith("(5000 characters)") and len(notes) < 300


def test_the_history_page_shows_field_before_after(admin_client, admin_user):
    company = CompanyFactory(name="Before & Co")
    admin_client.post(
        f"/admin/crm/company/{company.pk}/change/",
        {"name": "After <Co>", "country": company.country, "status": company.status, "tags": ""},
    )
    Company.objects.filter(pk=company.pk).update(name="After <Co>")  # in case the form needs more fields

    page = admin_client.get(f"/admin/crm/company/{company.pk}/history/").content.decode()

    assert '<th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th>' in page
    assert "Before &amp; Co" in page and "After &lt;Co&gt;" in page  # escaped, not raw JSON
    assert '{"name"' not in page


def test_the_audit_changelist_searches_by_actor_and_object_and_filters(admin_client, admin_user):
    company = CompanyFactory()
    other = CompanyFactory()
    admin_client.post(f"/admin/crm/company/{other.pk}/delete/", {"post": "yes"})

    by_object = admin_client.get("/admin/shared/auditlog/", {"q": str(company.pk)})
    assert [e.resource_id for e in by_object.context["cl"].result_list] == [str(company.pk)]
    by_actor = admin_client.get("/admin/shared/auditlog/", {"q": admin_user.email})
    assert {(e.action, e.resource_id) for e in by_actor.context["cl"].result_list} >= {
        ("delete", str(other.pk))
    }
    filtered = admin_client.get(
        "/admin/shared/auditlog/", {"schema_name": "crm", "table_name": "companies", "action": "delete"}
    )
    assert [e.resource_id for e in filtered.context["cl"].result_list] == [str(other.pk)]


def test_an_audit_entry_links_to_its_object_while_it_exists(admin_client):
    company = CompanyFactory()
    entry = audit_trail(instance=company)[0]

    page = admin_client.get(f"/admin/shared/auditlog/{entry.pk}/change/").content.decode()
    assert f'href="/admin/crm/company/{company.pk}/change/"' in page

    company.delete()
    page = admin_client.get(f"/admin/shared/auditlog/{entry.pk}/change/").content.decode()
    assert f'href="/admin/crm/company/{company.pk}/change/"' not in page and "(deleted)" in page
