"""SiblingRouter, the version-skew check and the sibling's makemigrations, in this process."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from shared.checks import check_user_model, check_version_skew
from tekupdb.db.routers import ROUTER_PATH, TEKUP_APP_LABELS, SiblingRouter, is_installed

from .conftest import ROLE_PREFIX


@pytest.fixture
def as_sibling(settings):
    settings.DATABASE_ROUTERS = [ROUTER_PATH]


def test_the_router_forbids_migrating_the_six_apps_and_leaves_the_rest_alone():
    router = SiblingRouter()
    assert {"shared", "vault", "billy", "renos", "crm", "flow"} == TEKUP_APP_LABELS
    for label in TEKUP_APP_LABELS:
        assert router.allow_migrate("default", label) is False
        assert router.allow_migrate("other", label, model_name="anything") is False
    for label in ("reminders", "auth", "contenttypes", "sessions"):
        assert router.allow_migrate("default", label) is None


def test_the_router_is_recognised_by_path_class_or_instance():
    assert is_installed(["tekupdb.db.routers.SiblingRouter"])
    assert is_installed([SiblingRouter]) and is_installed([SiblingRouter()])
    assert is_installed(["my.OtherRouter", type("Mine", (SiblingRouter,), {})])
    assert not is_installed([]) and not is_installed(["my.OtherRouter", object()])


def test_the_six_labels_are_the_apps_with_a_schema_of_their_own():
    # The router cannot import the apps; this keeps its list and the apps in step.
    from django.apps import apps

    assert {
        config.label for config in apps.get_app_configs() if hasattr(config, "schema")
    } == TEKUP_APP_LABELS


def test_the_sql_tool_shows_the_tables_of_every_app_schema_from_the_same_list():
    from django.apps import apps
    from django.conf import settings

    schemas = {config.schema for config in apps.get_app_configs() if hasattr(config, "schema")}
    assert set(settings.EXPLORER_SCHEMA_INCLUDE_TABLE_PREFIXES) == {f'{schema}"."' for schema in schemas}


def _latest(app_label):
    (leaf,) = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(app_label)
    return leaf[1]


@pytest.mark.django_db
def test_version_skew_check_is_inactive_without_the_router_or_a_database(settings):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'vault'")
    assert check_version_skew(databases=["default"]) == []
    settings.DATABASE_ROUTERS = [ROUTER_PATH]
    assert check_version_skew(databases=None) == []
    assert [message.id for message in check_version_skew(databases=["default"])] == ["shared.E002"]


@pytest.mark.django_db
def test_version_skew_names_missing_and_newer_migrations(as_sibling):
    assert check_version_skew(databases=["default"]) == []
    crm, flow = _latest("crm"), _latest("flow")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE (app, name) IN (('crm', %s), ('flow', %s))", [crm, flow]
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES "
            "('renos', '9001_later', now()), ('other_service', '0042_not_ours', now())"
        )

    behind, ahead = check_version_skew(databases=["default"])

    assert behind.id == "shared.E002" and behind.level > ahead.level
    assert behind.msg == (
        "The Tekup database 'default' lacks migrations that the installed tekupdb package has: "
        f"crm.{crm}, flow.{flow}. Deploy the Tekup database first."
    )
    assert ahead.id == "shared.W001"
    assert ahead.msg == (
        "The Tekup database 'default' has migrations newer than the installed tekupdb package: "
        "renos.9001_later."
    )


@pytest.mark.django_db
def test_version_skew_check_reports_a_role_that_cannot_read_the_migrations(as_sibling):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE_PREFIX}nobody NOLOGIN")  # rolled back with the test
        cursor.execute(f"SET LOCAL ROLE {ROLE_PREFIX}nobody")
    (error,) = check_version_skew(databases=["default"])
    assert error.id == "shared.E003"
    assert "permission denied for table django_migrations" in error.msg
    # The failed read was undone to its savepoint: the connection still works.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.mark.django_db
def test_version_skew_check_on_a_database_without_the_tekup_migrations(as_sibling):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_migrations RENAME TO django_migrations_away")  # rolled back
    (error,) = check_version_skew(databases=["default"])
    assert error.id == "shared.E002"
    assert '(it has no "public"."django_migrations" table)' in error.msg
    assert "shared.0001_initial" in error.msg and "billy." in error.msg


def test_user_model_check(settings):
    assert check_user_model() == []
    settings.AUTH_USER_MODEL = "auth.User"
    (error,) = check_user_model()
    assert error.id == "shared.E001" and "'auth.User'" in error.msg


def test_pgtrigger_check(monkeypatch):
    from django.apps import apps

    from shared.checks import check_pgtrigger_installed

    assert check_pgtrigger_installed() == []
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "pgtrigger" and installed(name))
    (error,) = check_pgtrigger_installed()
    assert error.id == "shared.E004" and "'pgtrigger'" in error.hint


@pytest.mark.django_db
def test_sibling_makemigrations_refuses_the_tekup_apps(as_sibling):
    with pytest.raises(CommandError, match="The migrations of billy, vault belong to the Tekup database"):
        call_command("makemigrations", "vault", "billy", "--dry-run")


# With any router installed, makemigrations checks the migration history on every database: here also
# on this project's read-only alias (a mirror of default in the tests), when it is configured.
@pytest.mark.django_db(databases="__all__")
def test_sibling_makemigrations_ignores_changes_it_sees_in_the_tekup_apps(settings, monkeypatch, capsys):
    # What another Django version's field defaults would look like: the models differ from the files.
    from billy.models import Organization

    monkeypatch.setattr(Organization._meta.get_field("name"), "max_length", 300)
    with pytest.raises(SystemExit):  # this project: the change is found (--check exits 1)
        call_command("makemigrations", "--check", "--dry-run")
    assert "Alter field name on organization" in capsys.readouterr().out

    settings.DATABASE_ROUTERS = [ROUTER_PATH]
    call_command("makemigrations", "--check", "--dry-run")
    assert "No changes detected" in capsys.readouterr().out
