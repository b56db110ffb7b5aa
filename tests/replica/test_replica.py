"""Reads on a real streaming replica (tests/replica/conftest.py), writes and read-your-writes on the
primary, and the fallback when the replica cannot be reached.

`transaction=True`: what the primary writes must be committed for the replica to replay it. Replay is
awaited by LSN, and paused (`pg_wal_replay_pause()`) where a test needs the replica to lag behind.
"""

import logging

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InternalError
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from operations.health import replica_check
from tekupdb.db.replica import COOKIE_NAME, REPLICA_ALIAS, read_alias, reads_from_replica
from vault.embedders import OFFLINE_MODEL, OfflineEmbedder
from vault.models import Document
from vault.services import create_embedding, find_documents, search_text, semantic_search, upsert_document

from .conftest import elsewhere, point_replica_alias_at, replica_alias_settings

# slow: the folder's fixture starts a streaming replica (tests/replica/conftest.py).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_ALIAS]),
]

REPOSITORY = "tekup/replica"
TEXT = "streaming replica search on a hot standby"


@pytest.fixture(autouse=True)
def offline_embedder(settings):
    settings.VAULT_EMBEDDER = "offline"


def write_document(path: str, content: str = TEXT) -> Document:
    """A document with its embedding, written and committed on the primary by someone else."""

    def write():
        document, _ = upsert_document(source="local", repository=REPOSITORY, path=path, content=content)
        vector = OfflineEmbedder().embed([content])[0]
        create_embedding(document=document, embedding=vector, model=OFFLINE_MODEL)
        return document

    return elsewhere(write)


def paths(results) -> list[str]:
    return sorted(result.document.path for result in results)


def test_the_replica_alias_is_a_read_only_standby(replica_alias):
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])


def test_a_document_written_on_the_primary_is_found_by_search_on_the_replica(replica_alias):
    write_document("first.md")
    replica_alias.wait_for_replay()

    found = search_text(query=TEXT, threshold=0.5)

    assert paths(found) == ["first.md"]
    assert found[0].document._state.db == REPLICA_ALIAS

    # The replica answered, not the primary: with its replay paused, a second document is committed on
    # the primary but absent from search until the replica replays it.
    replica_alias.pause_replay()
    write_document("second.md")
    assert Document.objects.using(DEFAULT_DB_ALIAS).filter(path="second.md").exists()
    assert paths(search_text(query=TEXT, threshold=0.5)) == ["first.md"]
    vector = OfflineEmbedder().embed([TEXT])[0]
    assert paths(semantic_search(embedding=vector, threshold=0.5)) == ["first.md"]

    replica_alias.resume_replay()
    replica_alias.wait_for_replay()
    assert paths(semantic_search(embedding=vector, threshold=0.5)) == ["first.md", "second.md"]


def test_find_documents_reads_on_the_replica_and_nothing_else_does(replica_alias):
    write_document("found.md")
    replica_alias.wait_for_replay()

    with (
        CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        found = find_documents(repository=REPOSITORY)
        elsewhere_read = Document.objects.filter(repository=REPOSITORY).count()

    assert [document.path for document in found] == ["found.md"]
    assert found[0]._state.db == REPLICA_ALIAS
    assert len(on_replica) == 1 and "vault" in on_replica[0]["sql"]
    # Outside reads_from_replica() the same read goes to the primary.
    assert elsewhere_read == 1 and len(on_primary) == 1


def test_a_write_never_goes_to_the_replica_and_pins_the_reads_after_it(replica_alias):
    write_document("write.md")
    replica_alias.wait_for_replay()

    with reads_from_replica():
        document = Document.objects.get(path="write.md")
        assert document._state.db == REPLICA_ALIAS
        document.content = "changed on the primary"
        # Django would write an object back where it was read from: the standby refuses that write.
        document.save()
        # Read-your-writes: after the write, reads stay on the primary (the replica may not have it).
        assert read_alias() == DEFAULT_DB_ALIAS
        assert Document.objects.get(path="write.md").content == "changed on the primary"

    assert Document.objects.using(DEFAULT_DB_ALIAS).get(path="write.md").content == "changed on the primary"


def test_the_replica_refuses_a_write_so_a_misrouted_one_would_fail(replica_alias):
    write_document("refused.md")
    replica_alias.wait_for_replay()
    with (
        pytest.raises(InternalError, match="read-only transaction"),
        connections[REPLICA_ALIAS].cursor() as cursor,
    ):
        cursor.execute("UPDATE \"vault\".\"documents\" SET content = 'x' WHERE path = 'refused.md'")


def test_reads_in_a_transaction_on_the_primary_stay_there(replica_alias):
    from django.db import transaction

    write_document("atomic.md")
    replica_alias.wait_for_replay()
    with reads_from_replica():
        assert read_alias() == REPLICA_ALIAS
        with transaction.atomic():
            assert read_alias() == DEFAULT_DB_ALIAS
            assert find_documents(repository=REPOSITORY)[0]._state.db == DEFAULT_DB_ALIAS


def test_the_changelist_after_a_save_shows_the_new_value_while_the_replica_lags(
    replica_alias, django_user_model
):
    staff = elsewhere(
        django_user_model.objects.create_superuser, email="editor@tekup.dk", password="a-long-test-passw0rd"
    )
    document = write_document("before.md", "hej")
    editor, onlooker = Client(), Client()
    elsewhere(editor.force_login, staff)
    elsewhere(onlooker.force_login, staff)
    replica_alias.wait_for_replay()
    changelist = reverse("admin:vault_document_changelist")
    assert "before.md" in onlooker.get(changelist).content.decode()

    replica_alias.pause_replay()
    response = editor.post(
        reverse("admin:vault_document_change", args=[document.pk]),
        {"source": "local", "repository": REPOSITORY, "path": "after.md", "content": "hej", "metadata": "{}"},
        follow=True,
    )

    assert response.status_code == 200 and response.redirect_chain[-1][0].startswith(changelist)
    page = response.content.decode()
    assert "after.md" in page and "before.md" not in page
    assert editor.cookies[COOKIE_NAME].value
    # Without the write behind it, the same changelist is the replica's, which has not replayed the save.
    stale = onlooker.get(changelist).content.decode()
    assert "before.md" in stale and "after.md" not in stale

    replica_alias.resume_replay()
    replica_alias.wait_for_replay()
    assert "after.md" in onlooker.get(changelist).content.decode()


def test_an_unreachable_replica_falls_back_to_the_primary_with_one_warning(
    replica_alias, caplog, tmp_path, admin_client
):
    write_document("fallback.md")
    # A socket directory where no server listens.
    point_replica_alias_at(replica_alias_settings(host=str(tmp_path), port=5999, name=replica_alias.database))

    with caplog.at_level(logging.WARNING, logger="tekupdb.db.replica"):
        found = find_documents(repository=REPOSITORY)
        searched = search_text(query=TEXT, threshold=0.5)
        page = admin_client.get(reverse("admin:vault_document_changelist"))

    assert [document._state.db for document in found] == [DEFAULT_DB_ALIAS]
    assert paths(searched) == ["fallback.md"] and searched[0].document._state.db == DEFAULT_DB_ALIAS
    assert page.status_code == 200 and "fallback.md" in page.content.decode()
    warnings = [record for record in caplog.records if record.name == "tekupdb.db.replica"]
    assert len(warnings) == 1, [record.getMessage() for record in warnings]
    assert "cannot be reached" in warnings[0].getMessage() and warnings[0].levelno == logging.WARNING

    check = replica_check()
    assert not check.ok and check.detail.startswith("unreachable")


def test_a_raw_sql_write_pins_the_reads_too(replica_alias):
    """Services write with raw SQL (one-statement upserts): the primary's execute wrapper notes those
    as well, not only the ORM's writes."""
    write_document("raw.md")
    replica_alias.wait_for_replay()
    with reads_from_replica():
        assert read_alias() == REPLICA_ALIAS
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("UPDATE \"vault\".\"documents\" SET content = 'raw' WHERE path = 'raw.md'")
        assert read_alias() == DEFAULT_DB_ALIAS
        assert find_documents(repository=REPOSITORY)[0].content == "raw"
