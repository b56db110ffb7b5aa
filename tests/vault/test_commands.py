import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vault.factories import DocumentFactory, random_unit_vector
from vault.models import Document, Embedding, SyncStatus


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hej')\n")
    (tmp_path / "README.md").write_text("# Tekup\nÆblegrød og rengøring\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "latin1.txt").write_bytes("blåbær".encode("latin-1"))
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n")
    return tmp_path


def test_vault_import_of_a_folder_imports_text_files_and_skips_binary_ones(db, folder):
    output = run(
        "vault_import", str(folder), "--source", "local", "--repository", "tekup/demo", "--max-bytes", "1000"
    )

    assert set(Document.objects.values_list("path", flat=True)) == {"README.md", "src/app.py"}
    readme = Document.objects.get(path="README.md")
    assert readme.content == "# Tekup\nÆblegrød og rengøring\n"
    assert readme.metadata == {"bytes": len(readme.content.encode())}
    assert len(readme.sha) == 40
    assert "2 created, 0 updated, 0 unchanged" in output
    assert "skipped: 2 binary, 1 too large" in output
    assert "Importing [" in output and "5/5" in output  # the progress bar counts every candidate file
    status = SyncStatus.objects.get(source="local", repository="tekup/demo")
    assert status.status == "success" and status.last_sync_at is not None


def test_vault_import_twice_reports_unchanged_and_then_updated(db, folder):
    run("vault_import", str(folder), "--source", "local", "--repository", "r")

    assert "0 created, 0 updated, 3 unchanged" in run(
        "vault_import", str(folder), "--source", "local", "--repository", "r"
    )
    (folder / "README.md").write_text("changed")
    assert "0 created, 1 updated, 2 unchanged" in run(
        "vault_import", str(folder), "--source", "local", "--repository", "r"
    )


def test_vault_import_can_include_hidden_files(db, folder):
    run("vault_import", str(folder), "--source", "local", "--repository", "r", "--include-hidden")

    assert Document.objects.filter(path=".git/config").exists()


def test_vault_import_of_a_jsonl_file_with_embeddings(db, tmp_path):
    lines = [
        {"path": "a.md", "content": "alpha", "metadata": {"lang": "en"}, "embedding": random_unit_vector(1)},
        {"path": "b.md", "content": "beta", "sha": "abc"},
    ]
    file = tmp_path / "export.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")

    output = run("vault_import", str(file), "--source", "supabase", "--repository", "tekup/db", verbosity=0)

    assert "2 created" in output and "1 embeddings written" in output
    assert Document.objects.get(path="a.md").metadata == {"lang": "en"}
    assert Embedding.objects.get().document.path == "a.md"
    assert "Importing" not in output  # verbosity 0: no progress bar


def test_vault_import_of_a_bad_jsonl_line_fails_names_it_and_imports_nothing(db, tmp_path):
    file = tmp_path / "export.jsonl"
    file.write_text('{"path": "a", "content": "ok"}\n{not json}\n')

    with pytest.raises(CommandError, match="line 2 is not JSON"):
        run("vault_import", str(file), "--source", "local", "--repository", "r")
    assert not Document.objects.exists()
    status = SyncStatus.objects.get()
    assert status.status == "error" and "line 2" in status.error_message


def test_vault_import_of_a_bad_row_fails_with_a_command_error(db, tmp_path):
    file = tmp_path / "export.jsonl"
    file.write_text('{"path": "a", "content": "ok", "embedding": [1, 2]}\n')

    with pytest.raises(CommandError, match="row 0: embedding has 2 dimensions; expected 1536"):
        run("vault_import", str(file), "--source", "local", "--repository", "r")


def test_vault_import_of_a_missing_path_fails(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("vault_import", str(tmp_path / "nope"), "--source", "local", "--repository", "r")


def test_vault_import_refuses_an_unknown_source(db, folder):
    with pytest.raises(CommandError, match="invalid choice: 'gitlab'"):
        run("vault_import", str(folder), "--source", "gitlab", "--repository", "r")


def test_vault_embed_fills_missing_embeddings_and_says_so(db):
    DocumentFactory.create_batch(3)

    output = run("vault_embed", "--batch-size", "2")

    assert Embedding.objects.count() == 3
    assert "Embedded 3 documents with model offline-hash-1536." in output
    assert "Embedding [" in output and "3/3" in output
    assert "nothing to do" in run("vault_embed")


def test_vault_embed_respects_filters_and_limit(db):
    DocumentFactory.create_batch(3, source="github")
    DocumentFactory(source="render")

    run("vault_embed", "--source", "github", "--limit", "2")

    assert Embedding.objects.filter(document__source="github").count() == 2
    assert not Embedding.objects.filter(document__source="render").exists()


def test_vault_embed_without_an_api_key_fails_with_a_command_error(db, settings):
    settings.VAULT_EMBEDDER = "openai"
    settings.VAULT_EMBEDDING_API_KEY = ""

    with pytest.raises(CommandError, match="VAULT_EMBEDDING_API_KEY is not set"):
        run("vault_embed")


def test_vault_embed_reports_an_api_failure_as_a_command_error(db, settings):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.VAULT_EMBEDDER = "openai"
    settings.VAULT_EMBEDDING_API_KEY = "k"
    settings.VAULT_EMBEDDING_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.VAULT_EMBEDDING_MAX_RETRIES = 0
    DocumentFactory()

    with pytest.raises(CommandError, match="failed after 1 attempts; last: network error"):
        run("vault_embed")
    assert not Embedding.objects.exists()
