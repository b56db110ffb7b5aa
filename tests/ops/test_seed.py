import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from operations.seeding import run_seed, seedable_apps
from shared.models import AuditLog, User
from shared.seeding import table_of
from shared.services import create_user
from tests.support.constraints import check_deferred_foreign_keys


def _table_digests() -> dict[str, tuple[int, str]]:
    """Row count and content digest of every seedable app's tables (encrypted secrets left out: their
    random nonces differ on every run, by design)."""
    from django.apps import apps

    digests = {}
    with connection.cursor() as cursor:
        for label in seedable_apps():
            for model in apps.get_app_config(label).get_models():
                schema, table = table_of(model)
                row = "(to_jsonb(t) - 'billy_api_key' - 'secret')"
                if (schema, table) == ("flow", "variables"):
                    row = f"(CASE WHEN t.is_secret THEN {row} - 'value' ELSE {row} END)"
                # The audit's own entries (of the seed's statements) are not seeded rows.
                seeded = " WHERE t.metadata @> '{\"seed\": true}'" if model is AuditLog else ""
                cursor.execute(
                    f"SELECT count(*), md5(coalesce(string_agg({row}::text, '|' ORDER BY t.id), '')) "
                    f'FROM "{schema}"."{table}" t{seeded}'
                )
                digests[f"{schema}.{table}"] = cursor.fetchone()
    return digests


# One moment for the tests that compare two runs (the default, the current hour, could turn between them).
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def test_small_seed_fills_every_seedable_app(db, capsys):
    """(A second seed adds nothing: test_seed_as_a_process_is_fast_and_idempotent, as operators run it.)"""
    call_command("seed", "--now", NOW.isoformat())
    first = _table_digests()
    assert "shared" in seedable_apps()
    assert first["shared.users"][0] == 10 and first["shared.audit_logs"][0] == 50
    assert all(count > 0 for count, _ in first.values()), first
    out = capsys.readouterr().out
    assert "Seeded shared" in out
    # The seed's writes are audited one entry per statement, not one per seeded row.
    summaries = AuditLog.objects.filter(metadata__bulk="seed").count()
    assert 0 < summaries < sum(count for count, _ in first.values()) / 10


def test_the_seed_is_deterministic_and_reset_keeps_real_accounts(db):
    create_user(email="admin@tekup.dk", name="Admin", is_staff=True)
    run_seed(size="small", now=NOW, random_seed=7)
    first = _table_digests()
    run_seed(size="small", now=NOW, random_seed=7, reset=True)
    assert _table_digests() == first
    assert User.objects.filter(email="admin@tekup.dk").exists()
    run_seed(size="small", now=NOW, random_seed=8, reset=True)
    assert _table_digests()["shared.users"] != first["shared.users"]
    assert User.objects.filter(email="admin@tekup.dk").exists()


def test_seed_refuses_unknown_apps_and_sizes(db):
    with pytest.raises(CommandError, match="Cannot seed nope"):
        call_command("seed", "--apps", "nope")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("seed", "--size", "huge")


@pytest.mark.django_db(transaction=True)
def test_seed_as_a_process_is_fast_and_idempotent(manage):
    result = manage("seed", "--size", "small", "--now", NOW.isoformat())
    assert result.returncode == 0, result.stderr
    assert "Seeded" in result.stdout
    first = _table_digests()
    result = manage("seed", "--size", "small", "--now", NOW.isoformat())
    assert result.returncode == 0 and " 0 new rows" in result.stdout
    assert _table_digests() == first


# --- renos, crm and flow ---------------------------------------------------------------------------

APPS = ["renos", "crm", "flow"]


def test_renos_crm_flow_seed_is_deterministic_and_twice_adds_nothing(db):
    first_run = run_seed(size="small", apps=APPS, now=NOW, random_seed=11)
    # shared's dependants in INSTALLED_APPS order (AppConfig decides; no app's demo data needs another's)
    assert [result.app for result in first_run] == ["renos", "crm", "flow"]
    assert all(sum(result.inserted.values()) > 0 for result in first_run)
    first = {key: value for key, value in _table_digests().items() if key.split(".")[0] in APPS}
    assert all(count > 0 for count, _ in first.values()), first

    second_run = run_seed(size="small", apps=APPS, now=NOW, random_seed=11)
    assert {result.app: sum(result.inserted.values()) for result in second_run} == dict.fromkeys(APPS, 0)
    assert {key: value for key, value in _table_digests().items() if key in first} == first

    # The same seed into emptied tables gives the same content; another seed gives other content.
    run_seed(size="small", apps=APPS, now=NOW, random_seed=11, reset=True)
    assert {key: value for key, value in _table_digests().items() if key in first} == first
    run_seed(size="small", apps=APPS, now=NOW, random_seed=12, reset=True)
    other = _table_digests()
    assert other["renos.customers"] != first["renos.customers"]
    assert other["crm.contacts"] != first["crm.contacts"]
    assert other["flow.executions"] != first["flow.executions"]
    check_deferred_foreign_keys()


def test_create_invoice_continues_after_the_seeded_numbers(db, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from renos import services
    from renos.models import Customer, Invoice, InvoiceCounter

    # A real invoice already holds number 2025-0001 when the seed comes.
    clock = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: clock)
    real_customer = Customer.objects.create(name="Rigtig Kunde", email="rigtig@example.dk")
    real = services.create_invoice(
        customer=real_customer, lines=[{"description": "Fast rengøring", "unit_price": Decimal("349.00")}]
    )
    assert real.invoice_number == "2025-0001"

    run_seed(size="small", apps=["renos"], random_seed=5)
    check_deferred_foreign_keys()
    real.refresh_from_db()
    assert real.customer_id == real_customer.pk and real.lines.count() == 1  # untouched
    numbers = list(Invoice.objects.filter(issue_date__year=2025).values_list("invoice_number", flat=True))
    assert len(numbers) == len(set(numbers)) > 1
    top = max(int(number.split("-")[1]) for number in numbers)
    assert InvoiceCounter.objects.get(year=2025).last_number == top

    # The next invoice of 2025 follows the seeded ones; seeding again lowers nothing and adds nothing.
    customer = Customer.objects.filter(email__endswith="@kunde.example.com").first()
    following = services.create_invoice(
        customer=customer, lines=[{"description": "Vinduespudsning", "quantity": 2, "unit_price": "299.00"}]
    )
    assert following.invoice_number == f"2025-{top + 1:04d}"
    assert following.total == following.subtotal + following.vat_amount == Decimal("747.50")
    results = run_seed(size="small", apps=["renos"], random_seed=5)
    assert sum(results[0].inserted.values()) == 0
    assert InvoiceCounter.objects.get(year=2025).last_number == top + 1
    assert Invoice.objects.filter(invoice_number=following.invoice_number).count() == 1


def test_vault_seed_in_chunks_smaller_than_an_embedding_batch_keeps_every_embedding(db, monkeypatch):
    # `large` loads 5,000 documents per round while embedding 64 at a time: a round can end inside a
    # batch, and the embeddings of the next round's documents must wait for them.
    from vault import demo as vault_seeder
    from vault.models import Document, Embedding

    monkeypatch.setattr(vault_seeder, "CHUNK", 30)

    run_seed(size="small", apps=["vault"])

    assert Document.objects.count() == Embedding.objects.count() == 50


# --- demo data around the day it is seeded ---------------------------------------------------------


def test_seed_refuses_a_moment_that_is_no_date(db):
    with pytest.raises(CommandError, match="not an ISO date and time"):
        call_command("seed", "--now", "tomorrow")


def test_demo_staff_edits_of_the_last_day_have_the_trigger_audit_shape(db, admin_user):
    """The dashboard's "changes by staff" chart counts trigger-shaped entries made by people."""
    from operations.console import dashboard

    run_seed(size="small", apps=["shared"])
    day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
    staff_edits = AuditLog.objects.filter(
        action__in=["insert", "update", "delete"], created_at__gte=day_ago, metadata__seed=True
    ).exclude(actor__startswith="sql:")
    assert staff_edits.exists()
    assert not staff_edits.filter(table_name="").exists()
    board = dashboard.build_dashboard(user=admin_user)
    assert "admin_edits" in board.charts
    assert ">max 0<" not in str(board.charts["admin_edits"])  # the chart's scale: some edits to show


def test_each_app_owns_its_demo_data_and_imports_no_other_apps_demo_module():
    """`<app>/demo.py` builds on `shared.seeding` and its own app; a link to another app's rows goes
    through ids or e-mails, never through that app's demo module (or any other schema app)."""
    import ast
    import importlib

    from shared.apps_base import schema_apps

    labels = [config.label for config in schema_apps()]
    assert seedable_apps() == labels  # every schema app has demo data, shared first
    for label in labels:
        module = importlib.import_module(f"{label}.demo")
        path = Path(module.__file__)
        # renos, crm and flow: a package
        files = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
        nodes = [node for file in files for node in ast.walk(ast.parse(file.read_text()))]
        imported = {
            (node.module or "").split(".")[0]
            for node in nodes
            if isinstance(node, ast.ImportFrom) and node.level == 0
        } | {
            alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names
        }
        others = (set(labels) - {label, "shared"}) & imported
        assert not others, f"{label}.demo imports {sorted(others)}"
        assert "operations" not in imported, f"{label}.demo imports the operations app"
