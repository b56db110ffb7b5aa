import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from operations import pg
from operations.backup import create_backup, list_backups
from operations.restore import restore_backup
from shared.models import AuditLog, User
from shared.services import create_user, log_event

# slow: pg_dump, pg_restore and the commands run as processes.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _make_data(n=3):
    users = [create_user(email=f"user{i}@tekup.dk", name=f"User {i}") for i in range(n)]
    for user in users:
        log_event(action="login", resource_type="user", resource_id=user.id, user=user)
    return users


def _snapshot():
    """The users, and the audit as it was (a restore adds its own one entry, checked where it matters)."""
    return sorted(User.objects.values_list("email", flat=True)), AuditLog.objects.exclude(
        action="restore"
    ).count()


def test_backup_writes_dump_and_manifest(tmp_path):
    _make_data()
    backup = create_backup(output_dir=tmp_path)
    manifest = json.loads(backup.manifest_path.read_text())
    assert manifest["tables"]["shared.users"] == 3
    assert manifest["tables"]["shared.audit_logs"] == 6  # 3 events and the audit of the 3 inserts
    assert "public.django_migrations" in manifest["tables"]
    assert {"shared", "vault", "billy", "renos", "crm", "flow", "public"} <= set(manifest["schemas"])
    assert manifest["server_version"].startswith(str(manifest["server_version_num"] // 10000))
    assert manifest["size"] == backup.dump_path.stat().st_size
    assert len(manifest["sha256"]) == 64
    assert backup.dump_path.read_bytes()[:5] == b"PGDMP"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial files left


def test_backup_of_chosen_schemas_and_rotation(tmp_path):
    _make_data(1)
    for _ in range(3):
        call_command("backup", "--schema", "shared", "--output", str(tmp_path), "--keep", "2", verbosity=0)
    call_command("backup", "--output", str(tmp_path), "--keep", "2", verbosity=0)
    backups = list_backups(tmp_path)
    shared_only = [b for b in backups if b.manifest["selected_schemas"] == ["shared"]]
    assert len(shared_only) == 2 and len(backups) == 3
    assert set(shared_only[0].manifest["tables"]) == {
        "shared.users",
        "shared.audit_logs",
        "shared.users_groups",
        "shared.users_user_permissions",
    }
    assert len(list(tmp_path.glob("*.dump"))) == 3


def test_backup_refuses_an_unknown_schema(tmp_path):
    with pytest.raises(CommandError, match="No such schema in the database: nope"):
        call_command("backup", "--schema", "nope", "--output", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_backup_refuses_a_pg_dump_older_than_the_server(tmp_path, settings):
    from django.db import connection

    if pg.is_embedded():
        connection.settings_dict["EMBEDDED_DATA_DIR_SAVED"] = connection.settings_dict.pop(
            "EMBEDDED_DATA_DIR"
        )
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake = fake_bin / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.4'\n")
    fake.chmod(0o755)
    settings.TEKUPDB_PG_BIN_DIR = str(fake_bin)
    try:
        with pytest.raises(CommandError, match=r"version 12\.4, older than the server \(PostgreSQL 1[5-9]"):
            call_command("backup", "--output", str(tmp_path / "out"))
    finally:
        if "EMBEDDED_DATA_DIR_SAVED" in connection.settings_dict:
            connection.settings_dict["EMBEDDED_DATA_DIR"] = connection.settings_dict.pop(
                "EMBEDDED_DATA_DIR_SAVED"
            )
    assert not list((tmp_path / "out").glob("*"))


def test_restore_round_trip_and_refusal_without_yes(tmp_path, capsys):
    _make_data()
    backup = create_backup(output_dir=tmp_path)
    before = _snapshot()
    User.objects.filter(email="user0@tekup.dk").delete()
    create_user(email="late@tekup.dk", name="Late")
    with pytest.raises(CommandError, match="holds data .*Pass --yes"):
        call_command("restore", str(backup.dump_path))
    assert User.objects.filter(email="late@tekup.dk").exists()
    call_command("restore", str(backup.manifest_path), "--yes")
    assert _snapshot() == before
    [entry] = AuditLog.objects.filter(action="restore")
    assert entry.metadata["backup"] == backup.dump_path.name and entry.actor.startswith("sql:")
    assert "every count as in the manifest" in capsys.readouterr().out


def test_a_full_restore_grants_the_read_only_role_again(tmp_path):
    """A full restore drops and recreates every table (`--no-privileges`): the SQL tool's read-only role
    gets its grants back in the same transaction, the secret columns still withheld."""
    from django.conf import settings
    from django.db import connection

    role = settings.DATABASES[settings.READONLY_DATABASE]["USER"]

    def may_read(table, column):
        with connection.cursor() as cursor:
            cursor.execute("SELECT has_column_privilege(%s, %s, %s, 'SELECT')", [role, table, column])
            return cursor.fetchone()[0]

    assert may_read("shared.users", "email") and not may_read("shared.users", "password")
    _make_data(1)
    backup = create_backup(output_dir=tmp_path)
    restore_backup(path=backup.dump_path, assume_yes=True)

    assert may_read("shared.users", "email") and may_read("renos.bookings", "status")
    assert not may_read("shared.users", "password")
    assert not may_read("billy.organizations", "billy_api_key")
    assert not may_read("public.django_session", "session_data")  # never the project's own tables


def test_restore_of_one_schema_keeps_the_others(tmp_path):
    _make_data(2)
    backup = create_backup(output_dir=tmp_path)
    create_user(email="late@tekup.dk", name="Late")
    log_event(action="late", resource_type="x", resource_id=1)
    result = restore_backup(path=backup.dump_path, schemas=["shared"], assume_yes=True)
    assert result.schemas == ["shared"]
    assert User.objects.count() == 2 and AuditLog.objects.exclude(action="restore").count() == 4
    assert AuditLog.objects.filter(action="restore", metadata__schemas=["shared"]).count() == 1
    with pytest.raises(Exception, match="holds no schema nope"):
        restore_backup(path=backup.dump_path, schemas=["nope"], assume_yes=True)


def test_a_truncated_backup_is_refused_and_nothing_changes(tmp_path):
    _make_data()
    backup = create_backup(output_dir=tmp_path)
    create_user(email="late@tekup.dk", name="Late")
    before = _snapshot()
    data = backup.dump_path.read_bytes()
    backup.dump_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match="truncated or altered. Nothing was restored"):
        call_command("restore", str(backup.dump_path), "--yes")
    assert _snapshot() == before


def test_an_altered_backup_is_refused_and_nothing_changes(tmp_path):
    _make_data()
    backup = create_backup(output_dir=tmp_path)
    create_user(email="late@tekup.dk", name="Late")
    before = _snapshot()
    data = bytearray(backup.dump_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.dump_path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="sha256 .* differs from its manifest"):
        call_command("restore", str(backup.dump_path), "--yes")
    assert _snapshot() == before
    backup.manifest_path.unlink()
    with pytest.raises(CommandError, match="No manifest"):
        call_command("restore", str(backup.dump_path), "--yes")


def test_a_restore_that_fails_half_way_is_rolled_back(tmp_path):
    """The manifest's counts are checked inside the restore's transaction: a mismatch undoes it all."""
    _make_data()
    backup = create_backup(output_dir=tmp_path)
    create_user(email="late@tekup.dk", name="Late")
    before = _snapshot()
    manifest = json.loads(backup.manifest_path.read_text())
    manifest["tables"]["shared.users"] = 99
    backup.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match=r"rolled back.*shared\.users: 3 rows, manifest 99"):
        call_command("restore", str(backup.dump_path), "--yes")
    assert _snapshot() == before
    with pytest.raises(CommandError, match=r"shared\.users: 3 rows, manifest 99"):
        call_command("restore", str(backup.dump_path), "--yes", "--schema", "shared")
    assert _snapshot() == before


def test_a_corrupt_archive_with_a_matching_manifest_is_rolled_back(tmp_path):
    """Even a dump whose manifest was rewritten to match fails inside pg_restore without a trace."""
    import hashlib

    _make_data(50)
    backup = create_backup(output_dir=tmp_path)
    create_user(email="late@tekup.dk", name="Late")
    before = _snapshot()
    data = bytearray(backup.dump_path.read_bytes())
    for offset in range(len(data) - 2000, len(data) - 1000):
        data[offset] ^= 0x5A
    backup.dump_path.write_bytes(bytes(data))
    manifest = json.loads(backup.manifest_path.read_text())
    manifest["sha256"] = hashlib.sha256(data).hexdigest()
    backup.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="rolled back|cannot read"):
        call_command("restore", str(backup.dump_path), "--yes")
    assert _snapshot() == before


def test_restore_refuses_tables_the_backup_does_not_know(tmp_path):
    from django.db import connection

    backup = create_backup(output_dir=tmp_path)
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "vault"."stray" (id int)')
    try:
        with pytest.raises(CommandError, match=r"vault\.stray"):
            call_command("restore", str(backup.dump_path), "--yes")
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP TABLE "vault"."stray"')


def test_backup_and_restore_as_processes(manage, tmp_path):
    _make_data()
    result = manage("backup", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Backed up" in result.stdout and "dumping" in result.stdout
    [dump] = tmp_path.glob("*.dump")
    result = manage("restore", str(dump))
    assert result.returncode == 1
    assert "Pass --yes" in result.stderr
    result = manage("restore", str(dump), "--yes")
    assert result.returncode == 0, result.stderr
    assert "every count as in the manifest" in result.stdout
    dump.write_bytes(dump.read_bytes()[:-10])
    result = manage("restore", str(dump), "--yes")
    assert result.returncode == 1
    assert "truncated or altered" in result.stderr
    assert User.objects.count() == 3


@pytest.fixture
def permissive_umask():
    """The usual umask of a login shell (022): the backup must be private without help from it."""
    import os

    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_a_backup_is_private_from_its_first_byte(tmp_path, permissive_umask):
    from billy.factories import OrganizationFactory
    from shared import crypto

    OrganizationFactory()
    directory = tmp_path / "backups"
    seen = []

    def progress(done, total, table):
        # pg_dump is writing now: the partial dump must already be private.
        seen.extend(_mode(path) for path in directory.iterdir() if path.name.endswith(".partial"))

    backup = create_backup(output_dir=directory, progress=progress)

    assert seen and set(seen) == {0o600}
    assert _mode(directory) == 0o700
    assert (_mode(backup.dump_path), _mode(backup.manifest_path)) == (0o600, 0o600)
    assert backup.warnings == ()
    # The manifest names the encrypted columns and the ids (not the keys) a restore will need.
    columns = backup.manifest["encrypted_columns"]
    assert columns["billy.organizations.billy_api_key"] == [crypto.current_key_id()]
    assert set(columns) == {
        "billy.organizations.billy_api_key",
        "flow.webhooks.secret",
        "flow.variables.value",
    }


def test_an_open_backup_directory_is_reported_by_the_backup_and_by_health(tmp_path, settings, capsys):
    from operations.health import run_checks

    tmp_path.chmod(0o755)
    call_command("backup", "--schema", "shared", "--output", str(tmp_path), verbosity=0)

    assert f"the backup directory {tmp_path} has mode 0755" in capsys.readouterr().err
    assert {_mode(path) for path in tmp_path.iterdir()} == {0o600}
    settings.TEKUPDB_BACKUP_DIR = tmp_path
    check = run_checks().check("backup_permissions")
    assert check.ok and check.warning and "mode 0755" in check.detail

    tmp_path.chmod(0o700)
    check = run_checks().check("backup_permissions")
    assert check.ok and not check.warning
    (tmp_path / "copied-by-hand.dump").write_bytes(b"x")
    (tmp_path / "copied-by-hand.dump").chmod(0o644)
    check = run_checks().check("backup_permissions")
    assert check.warning and "1 files that group or others can read" in check.detail


def test_restore_warns_when_a_key_the_backup_needs_is_not_configured(tmp_path, settings, capsys):
    from billy.factories import OrganizationFactory
    from shared import crypto

    settings.TEKUPDB_ENCRYPTION_KEYS = ["n4Hq9mJ0l2V5c8xZ1aB3dE6fG7hI0jK2lM4nO6pQ8rA="]
    OrganizationFactory(api_key="restored-key-1")
    old_id = crypto.current_key_id()
    backup = create_backup(schemas=["billy"], output_dir=tmp_path)
    call_command("restore", str(backup.dump_path), "--yes", verbosity=0)
    assert "warning" not in capsys.readouterr().err  # the key is still configured

    settings.TEKUPDB_ENCRYPTION_KEYS = ["q7sbNTYPcrd1m0f3o8mo6f5vcGxbBAhB2zU7fIIzIQw="]  # the old key dropped
    call_command("restore", str(backup.dump_path), "--yes", verbosity=0)

    err = capsys.readouterr().err
    assert f"billy.organizations.billy_api_key holds values sealed with key {old_id}" in err
    assert "restored-key-1" not in err
