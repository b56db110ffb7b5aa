import pytest
from django.core.exceptions import ValidationError

from vault.embedders import OFFLINE_MODEL, OfflineEmbedder
from vault.factories import DocumentFactory
from vault.models import Document, Embedding
from vault.services import (
    count_documents_needing_embedding,
    create_embedding,
    embed_documents,
    search_text,
    upsert_document,
)


def test_embed_documents_fills_missing_and_stale_embeddings_in_batches(db, embedder):
    missing = DocumentFactory.create_batch(5)
    fresh = DocumentFactory(content="fresh")
    create_embedding(document=fresh, embedding=OfflineEmbedder().embed(["fresh"])[0], model=OFFLINE_MODEL)
    stale = DocumentFactory(content="old")
    create_embedding(document=stale, embedding=OfflineEmbedder().embed(["old"])[0], model=OFFLINE_MODEL)
    upsert_document(source=stale.source, repository=stale.repository, path=stale.path, content="new")
    seen = []

    assert count_documents_needing_embedding() == 6
    done = embed_documents(embedder=embedder, batch_size=4, progress=seen.append)

    assert done == 6 and seen == [4, 6]
    assert [len(call) for call in embedder.calls] == [4, 2]
    assert "fresh" not in sum(embedder.calls, [])
    assert count_documents_needing_embedding() == 0
    assert set(Document.objects.with_embedding_state().values_list("embedding_state", flat=True)) == {"fresh"}
    stored = Embedding.objects.get(document=missing[0])
    assert stored.model == OFFLINE_MODEL
    assert stored.embedding == pytest.approx(OfflineEmbedder().embed([missing[0].content])[0], abs=1e-6)


def test_embed_documents_a_second_time_does_nothing(db, embedder):
    DocumentFactory.create_batch(3)
    embed_documents(embedder=embedder)

    assert embed_documents(embedder=embedder) == 0
    assert len(embedder.calls) == 1


def test_embed_documents_respects_filters_and_limit(db, embedder):
    DocumentFactory.create_batch(3, source="github", repository="a")
    DocumentFactory.create_batch(2, source="render", repository="a")

    assert embed_documents(embedder=embedder, source="github", limit=2) == 2
    assert count_documents_needing_embedding(source="github") == 1
    assert count_documents_needing_embedding(source="render", repository="a") == 2


def test_embed_documents_uses_the_embedder_of_the_settings(db, settings):
    settings.VAULT_EMBEDDER = "offline"
    DocumentFactory()

    assert embed_documents() == 1
    assert Embedding.objects.get().model == OFFLINE_MODEL


def test_embed_documents_refuses_a_bad_batch_size(db):
    with pytest.raises(ValidationError, match="batch_size must be an integer from 1 to 2048"):
        embed_documents(batch_size=5000)


def test_search_text_finds_the_document_about_the_query(db, embedder):
    invoice = DocumentFactory(content="How to create an invoice in Billy for a cleaning customer")
    DocumentFactory(content="Gmail thread ingestion and lead matching")
    DocumentFactory(content="Docker compose file for the Render deployment")
    embed_documents(embedder=embedder)

    results = search_text(query="create invoice in Billy", threshold=0.2, embedder=embedder)

    assert results[0].document == invoice
    assert embedder.calls[-1] == ["create invoice in Billy"]


def test_search_text_passes_filters_to_semantic_search(db, embedder):
    DocumentFactory(content="invoice", source="github")
    wanted = DocumentFactory(content="invoice", source="render")
    embed_documents(embedder=embedder)

    results = search_text(query="invoice", source="render", embedder=embedder)

    assert [r.document for r in results] == [wanted]


@pytest.mark.parametrize("query", ["", "   ", None])
def test_search_text_refuses_an_empty_query(db, query):
    with pytest.raises(ValidationError, match="query must be a non-empty string"):
        search_text(query=query)


def test_search_text_validates_the_search_arguments(db):
    with pytest.raises(ValidationError, match="limit must be an integer from 1 to 1000"):
        search_text(query="x", limit=0)
