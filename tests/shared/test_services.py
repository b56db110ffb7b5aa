import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from shared.models import AuditLog, User
from shared.services import create_user, log_event


def test_create_user_normalises_email_and_hashes_password(db):
    user = create_user(email="  Anna@Tekup.DK ", name="Anna", password="correct-horse-battery")

    stored = User.objects.get(pk=user.pk)
    assert stored.email == "anna@tekup.dk"
    assert stored.check_password("correct-horse-battery")
    assert not stored.is_staff


def test_create_user_without_password_cannot_log_in(db):
    user = create_user(email="svc@tekup.dk", name="Service")

    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_create_user_refuses_a_duplicate_email(db):
    create_user(email="dup@tekup.dk", name="One")

    with pytest.raises(ValidationError, match="already exists"):
        create_user(email="DUP@tekup.dk", name="Two")
    assert User.objects.filter(email="dup@tekup.dk").count() == 1


def test_create_user_refuses_a_bad_email(db):
    with pytest.raises(ValidationError, match="not a valid email"):
        create_user(email="not-an-email", name="X")
    assert not User.objects.exists()


def test_plain_sql_insert_of_email_and_name_makes_a_user_without_usable_password(db):
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO "shared"."users" (email, name) VALUES ('sql@tekup.dk', 'SQL')""")

    user = User.objects.get(email="sql@tekup.dk")
    assert user.id is not None and user.created_at is not None
    assert not user.has_usable_password()
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)


def test_log_event_records_user_and_metadata(db):
    user = create_user(email="a@tekup.dk", name="A")

    entry = log_event(action="export", resource_type="invoice", resource_id=42, user=user, metadata={"n": 1})

    stored = AuditLog.objects.get(pk=entry.pk)
    assert (stored.action, stored.resource_type, stored.resource_id) == ("export", "invoice", "42")
    assert (stored.actor_id, stored.actor) == (user.pk, user.email) and stored.metadata == {"n": 1}


def test_log_event_refuses_non_dict_metadata(db):
    with pytest.raises(ValidationError, match="metadata"):
        log_event(action="x", resource_type="y", resource_id=1, metadata=["not", "a", "dict"])
    assert not AuditLog.objects.exists()


def test_the_database_refuses_an_email_that_differs_only_in_case(db):
    from django.db import IntegrityError, transaction

    create_user(email="case@tekup.dk", name="Lower")

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""INSERT INTO "shared"."users" (email, name) VALUES ('Case@Tekup.dk', 'SQL')""")
    assert User.objects.count() == 1
