"""A sibling project (tests/sibling/project) against the test database, as the billy role of db_roles.

It installs `shared` and `billy` from the wheel, SiblingRouter and an app of its own; these tests run
its manage.py in a subprocess and look at the database from this side.
"""

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from billy import services as billy
from operations import pg

from .conftest import SCHEMA, catalog_digest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _ok(result):
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("as_owner", [False, True], ids=["as the billy role", "as the database owner"])
def test_sibling_migrate_creates_its_own_tables_and_touches_nothing_of_the_tekup_database(sibling, as_owner):
    # As the owner, only SiblingRouter stands between the sibling's migrate and the six schemas.
    before = catalog_digest()

    migrated = _ok(sibling("migrate", "--no-input", as_owner=as_owner))

    assert "Applying reminders.0001_initial... OK" in migrated.stdout
    assert catalog_digest() == before
    with pg.connect() as conn:
        own_tables = {
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", [SCHEMA]
            ).fetchall()
        }
        # Django's bookkeeping of the sibling lives with it too: its migrate records there, not in public.
        recorded = conn.execute(
            f'SELECT count(*) FROM "{SCHEMA}"."django_migrations" WHERE app = %s', ["reminders"]
        ).fetchone()[0]
    assert {"reminders_reminder", "django_migrations", "django_content_type"} <= own_tables
    assert recorded == 1
    # Run again (every deploy does): nothing to do, still nothing changed.
    again = _ok(sibling("migrate", "--no-input", as_owner=as_owner))
    assert "No migrations to apply." in again.stdout
    assert catalog_digest() == before


SIBLING_WORK = """
import hashlib, json, os
from django.db import DatabaseError, connection
from billy import services as billy
from shared import services as shared
from shared.models import User
from reminders.models import Reminder

result = {}
organization = billy.create_organization(
    name="Sibling ApS", billy_organization_id="sibling-org", billy_api_key=os.environ["SIBLING_KEY"]
)
Reminder.objects.create(billy_organization_id=organization.billy_organization_id, text="Send the invoice")
tekup_org = billy.find_organization(billy_organization_id="tekup-org")
result["tekup key sha256"] = hashlib.sha256(billy.get_api_key(organization=tekup_org).encode()).hexdigest()
result["shared emails"] = list(User.objects.values_list("email", flat=True))

def refused(write):
    try:
        write()
    except DatabaseError as exc:
        return exc.__cause__.sqlstate
    return "written"

def write_vault():
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM "vault"."documents"')

result["vault write"] = refused(write_vault)
result["shared write"] = refused(lambda: shared.create_user(email="sibling@tekup.dk", name="Sibling"))
print(json.dumps(result))
"""


def test_sibling_uses_billy_services_with_the_shared_key_and_only_the_billy_role_rights(sibling):
    from shared.services import create_user

    create_user(email="staff@tekup.dk", name="Staff")
    billy.create_organization(name="Tekup", billy_organization_id="tekup-org", billy_api_key="tekup-key-1")
    _ok(sibling("migrate", "--no-input"))

    ran = _ok(sibling("shell", "--command", SIBLING_WORK, SIBLING_KEY="sibling-key-2"))
    result = json.loads(ran.stdout.strip().splitlines()[-1])

    # The sibling decrypted this project's key, and this project decrypts the sibling's.
    assert result["tekup key sha256"] == hashlib.sha256(b"tekup-key-1").hexdigest()
    organization = billy.find_organization(billy_organization_id="sibling-org")
    assert billy.get_api_key(organization=organization) == "sibling-key-2"
    assert "sibling-key-2" not in organization.billy_api_key
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT billy_organization_id, text FROM "{SCHEMA}"."reminders_reminder"')
        assert cursor.fetchall() == [("sibling-org", "Send the invoice")]
    # Read-only on shared, nothing at all on vault: the database refuses (42501 insufficient_privilege).
    assert result["shared emails"] == ["staff@tekup.dk"]
    assert result["vault write"] == "42501"
    assert result["shared write"] == "42501"


NEWER = "9999_newer_than_the_package"


def _latest(app_label: str) -> str:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    (leaf,) = loader.graph.leaf_nodes(app_label)
    return leaf[1]


def test_version_skew_shows_in_the_sibling_check_and_stops_its_migrate(sibling):
    checked = _ok(sibling("check", "--database", "default"))
    assert "shared.E002" not in checked.stderr and "shared.W001" not in checked.stderr

    latest = _latest("billy")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'billy' AND name = %s RETURNING applied", [latest]
        )
        (applied,) = cursor.fetchone()
    try:
        behind = sibling("check", "--database", "default")
        assert behind.returncode == 1
        assert "shared.E002" in behind.stderr
        assert f"billy.{latest}" in behind.stderr and "Deploy the Tekup database first." in behind.stderr
        # Every deploy script runs migrate: it stops there, before touching anything.
        refused = sibling("migrate", "--no-input")
        assert refused.returncode == 1 and f"billy.{latest}" in refused.stderr
        with pg.connect() as conn:
            assert (
                conn.execute("SELECT to_regclass(%s)", [f'"{SCHEMA}"."reminders_reminder"']).fetchone()[0]
                is None
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES ('billy', %s, %s)",
                [latest, applied],
            )

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('billy', %s, now())", [NEWER]
        )
    try:
        ahead = _ok(sibling("check", "--database", "default"))
        assert "shared.W001" in ahead.stderr and f"billy.{NEWER}" in ahead.stderr
        assert "shared.E002" not in ahead.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE app = 'billy' AND name = %s", [NEWER])
