import numpy as np
import pytest
from django.urls import reverse

from vault.embedders import OfflineEmbedder
from vault.factories import DocumentFactory, EmbeddingFactory, SyncStatusFactory
from vault.models import Document, SyncStatus
from vault.services import create_embedding, embed_documents, update_sync_status, upsert_document


@pytest.fixture
def documents(db):
    fresh = DocumentFactory(
        repository="tekup/alpha", path="docs/invoice.md", content="Billy invoice creation"
    )
    stale = DocumentFactory(repository="tekup/beta", path="src/leads.py", content="lead scoring v1")
    missing = DocumentFactory(repository="tekup/beta", path="src/missing.py", content="no vector yet")
    embedder = OfflineEmbedder()
    for document in (fresh, stale):
        create_embedding(
            document=document, embedding=embedder.embed([document.content])[0], model=embedder.model
        )
    upsert_document(
        source=stale.source, repository=stale.repository, path=stale.path, content="lead scoring v2"
    )
    return {"fresh": fresh, "stale": stale, "missing": missing}


def test_document_changelist_shows_the_embedding_state(admin_client, documents):
    response = admin_client.get(reverse("admin:vault_document_changelist"))

    assert response.status_code == 200
    rows = {row.path: row.embedding_state for row in response.context["cl"].result_list}
    assert rows == {"docs/invoice.md": "fresh", "src/leads.py": "stale", "src/missing.py": "missing"}
    assert reverse("admin:vault_document_search") in response.content.decode()


def test_document_changelist_does_not_load_contents_and_counts_its_queries(
    admin_client, documents, django_assert_max_num_queries
):
    DocumentFactory.create_batch(20)
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:vault_document_changelist"))
    assert all("content" in row.get_deferred_fields() for row in response.context["cl"].result_list)


@pytest.mark.parametrize(("state", "path"), [("fresh", "docs/invoice.md"), ("stale", "src/leads.py")])
def test_document_changelist_filters_by_embedding_state(admin_client, documents, state, path):
    response = admin_client.get(reverse("admin:vault_document_changelist"), {"embedding": state})

    assert [row.path for row in response.context["cl"].result_list] == [path]


def test_document_changelist_searches_repository_and_path(admin_client, documents):
    url = reverse("admin:vault_document_changelist")

    by_repository = admin_client.get(url, {"q": "beta"}).context["cl"].result_list
    by_path = admin_client.get(url, {"q": "invoice"}).context["cl"].result_list

    assert {row.path for row in by_repository} == {"src/leads.py", "src/missing.py"}
    assert [row.path for row in by_path] == ["docs/invoice.md"]


def test_document_change_page_summarises_the_embedding_and_links_similar(admin_client, documents):
    document = documents["fresh"]

    response = admin_client.get(reverse("admin:vault_document_change", args=[document.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "1536 dimensions, norm 1.0000, model offline-hash-1536, fresh" in body
    assert reverse("admin:vault_document_similar", args=[document.pk]) in body
    assert body.count("0.0") < 200  # no raw vector on the page


def test_document_change_page_of_a_stale_and_of_a_missing_embedding(admin_client, documents):
    stale = admin_client.get(reverse("admin:vault_document_change", args=[documents["stale"].pk]))
    missing = admin_client.get(reverse("admin:vault_document_change", args=[documents["missing"].pk]))

    assert ", stale (made" in stale.content.decode()
    assert "missing" in missing.content.decode()


def test_document_add_and_change_through_the_admin(admin_client, db):
    url = reverse("admin:vault_document_add")
    data = {
        "source": "local",
        "repository": "r",
        "path": "notes.txt",
        "content": "hej",
        "metadata": "{}",
        "sha": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    document = Document.objects.get(path="notes.txt")
    response = admin_client.post(
        reverse("admin:vault_document_change", args=[document.pk]), {**data, "content": "farvel"}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.content == "farvel" and document.content_hash is not None


def test_similar_documents_page_ranks_other_documents_by_the_embedding(admin_client, db):
    base = DocumentFactory(content="invoice billing Billy customer")
    near = DocumentFactory(content="invoice billing Billy")
    far = DocumentFactory(content="window cleaning Tuesday")
    embed_documents(embedder=OfflineEmbedder())

    response = admin_client.get(reverse("admin:vault_document_similar", args=[base.pk]))

    assert response.status_code == 200
    results = response.context["results"]
    assert [r.document for r in results] == [near, far]
    assert results[0].similarity > results[1].similarity
    assert reverse("admin:vault_document_change", args=[near.pk]) in response.content.decode()


def test_similar_documents_page_of_a_document_without_embedding(admin_client, documents):
    response = admin_client.get(reverse("admin:vault_document_similar", args=[documents["missing"].pk]))

    assert response.status_code == 200
    assert "has no embedding yet" in response.content.decode()


def test_text_search_page_runs_search_text(admin_client, documents):
    embed_documents(embedder=OfflineEmbedder())

    response = admin_client.get(reverse("admin:vault_document_search"), {"query": "Billy invoice"})

    assert response.status_code == 200
    results = response.context["results"]
    assert results[0].document == documents["fresh"]
    assert "docs/invoice.md" in response.content.decode()


def test_text_search_page_without_a_query_shows_the_form(admin_client, db):
    response = admin_client.get(reverse("admin:vault_document_search"))

    assert response.status_code == 200 and response.context["results"] is None
    assert 'name="query"' in response.content.decode()


def test_text_search_page_shows_bad_input_as_form_errors(admin_client, db):
    response = admin_client.get(reverse("admin:vault_document_search"), {"query": "x", "threshold": "3"})

    assert response.status_code == 200 and response.context["results"] is None
    assert "threshold" in response.context["form"].errors


def test_text_search_page_reports_an_embedder_failure(admin_client, db, settings):
    settings.VAULT_EMBEDDER = "openai"
    settings.VAULT_EMBEDDING_API_KEY = ""

    response = admin_client.get(reverse("admin:vault_document_search"), {"query": "x"})

    assert response.status_code == 200
    assert "could not be embedded" in response.content.decode()


def test_vault_pages_need_a_staff_login(client, documents):
    for url in (
        reverse("admin:vault_document_search"),
        reverse("admin:vault_document_similar", args=[documents["fresh"].pk]),
    ):
        assert client.get(url).status_code == 302


def test_embedding_admin_shows_dimensions_norm_and_model_never_the_vector(admin_client, db):
    embedding = EmbeddingFactory(embedding=(2 * np.ones(1536) / np.sqrt(1536)).tolist(), model="m-1")

    changelist = admin_client.get(reverse("admin:vault_embedding_changelist"))
    change = admin_client.get(reverse("admin:vault_embedding_change", args=[embedding.pk]))

    assert changelist.status_code == 200 and change.status_code == 200
    for body in (changelist.content.decode(), change.content.decode()):
        assert "1536" in body and "2.0000" in body and "m-1" in body
        assert "0.0510" not in body and "0.05103" not in body  # a component of the vector
    assert admin_client.get(reverse("admin:vault_embedding_add")).status_code == 403


def test_sync_status_admin_pages(admin_client, db):
    status = SyncStatusFactory(repository="tekup/x")

    assert admin_client.get(reverse("admin:vault_syncstatus_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:vault_syncstatus_changelist"), {"q": "tekup"}).status_code == 200
    assert admin_client.get(reverse("admin:vault_syncstatus_add")).status_code == 200
    assert admin_client.get(reverse("admin:vault_syncstatus_change", args=[status.pk])).status_code == 200


def test_sync_status_mark_for_resync_action(admin_client, db):
    failed = update_sync_status(source="github", repository="a", status="error", error_message="boom")
    done = update_sync_status(source="github", repository="b", status="success")

    response = admin_client.post(
        reverse("admin:vault_syncstatus_changelist"),
        {"action": "mark_for_resync", "_selected_action": [str(failed.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 marked for resync" in response.content.decode()
    assert SyncStatus.objects.get(pk=failed.pk).status == "pending"
    assert SyncStatus.objects.get(pk=failed.pk).error_message is None
    assert SyncStatus.objects.get(pk=done.pk).status == "success"
