import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shared.models import AuditLog, User
from shared.services import create_user
from tekupdb.seeding import run_seed, seedable_apps
from tekupdb.seeding.base import table_of


def _table_digests() -> dict[str, tuple[int, str]]:
    """Row count and content digest of every seedable app's tables (encrypted secrets left out: their
    random nonces differ on every run, by design)."""
    from django.apps import apps

    digests = {}
    with connection.cursor() as cursor:
        for label in seedable_apps():
            for model in apps.get_app_config(label).get_models():
                schema, table = table_of(model)
                cursor.execute(
                    "SELECT count(*), md5(coalesce(string_agg("
                    "(to_jsonb(t) - 'billy_api_key')::text, '|' ORDER BY t.id), '')) "
                    f'FROM "{schema}"."{table}" t'
                )
                digests[f"{schema}.{table}"] = cursor.fetchone()
    return digests


def test_small_seed_fills_every_seedable_app_and_twice_adds_nothing(db, capsys):
    call_command("seed")
    first = _table_digests()
    assert "shared" in seedable_apps()
    assert first["shared.users"][0] == 10 and first["shared.audit_logs"][0] == 50
    assert all(count > 0 for count, _ in first.values()), first
    out = capsys.readouterr().out
    assert "Seeded shared" in out
    call_command("seed")
    assert _table_digests() == first
    assert " 0 new rows" in capsys.readouterr().out


def test_the_seed_is_deterministic_and_reset_keeps_real_accounts(db):
    create_user(email="admin@tekup.dk", name="Admin", is_staff=True)
    run_seed(size="small", random_seed=7)
    first = _table_digests()
    run_seed(size="small", random_seed=7, reset=True)
    assert _table_digests() == first
    assert User.objects.filter(email="admin@tekup.dk").exists()
    run_seed(size="small", random_seed=8, reset=True)
    assert _table_digests()["shared.users"] != first["shared.users"]
    assert User.objects.filter(email="admin@tekup.dk").exists()


def test_seeded_relations_are_consistent(db):
    run_seed(size="small", apps=["shared"])
    assert not AuditLog.objects.filter(user__isnull=True).exists()
    assert User.objects.filter(email__endswith="@demo.tekup.dk", is_staff=True).exists()


def test_seed_refuses_unknown_apps_and_sizes(db):
    with pytest.raises(CommandError, match="Cannot seed nope"):
        call_command("seed", "--apps", "nope")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("seed", "--size", "huge")


@pytest.mark.django_db(transaction=True)
def test_seed_as_a_process_is_fast_and_idempotent(manage):
    result = manage("seed", "--size", "small")
    assert result.returncode == 0, result.stderr
    assert "Seeded" in result.stdout
    first = _table_digests()
    result = manage("seed", "--size", "small")
    assert result.returncode == 0 and " 0 new rows" in result.stdout
    assert _table_digests() == first
