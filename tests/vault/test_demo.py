"""vault's demo data (vault.demo) is made by vault's factories, and their rules hold in the seeded rows."""

import datetime as dt
import hashlib

from operations.seeding import run_seed
from tests.support.built import models_built_by
from vault import demo
from vault.embedders import OfflineEmbedder
from vault.factories import DocumentFactory, EmbeddingFactory
from vault.models import Document, Embedding, SyncStatus

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def test_documents_embeddings_and_sync_statuses_are_made_by_their_factories(db, monkeypatch):
    built_models = models_built_by(monkeypatch, demo)
    run_seed(size="small", apps=["vault"], now=NOW)

    assert built_models == [Document, Embedding, SyncStatus]


def test_the_factories_rules_hold_in_the_seeded_rows(db):
    run_seed(size="small", apps=["vault"], now=NOW)

    assert Embedding.objects.count() == Document.objects.count() == 50
    # The factory hashes the content as the services do: every seeded vector is fresh.
    assert not Document.objects.needing_embedding().exists()
    assert set(Embedding.objects.values_list("model", flat=True)) == {OfflineEmbedder.model}
    assert set(SyncStatus.objects.values_list("status", flat=True)) == {SyncStatus.Status.SUCCESS}


def test_an_embedding_built_for_a_document_given_by_id_hashes_the_content_given():
    document = DocumentFactory.build(content="faktura")

    by_document = EmbeddingFactory.build(document=document)
    by_id = EmbeddingFactory.build(document=None, document_id=document.pk, content="faktura")

    assert by_document.content_hash == by_id.content_hash == hashlib.md5(b"faktura").hexdigest()
