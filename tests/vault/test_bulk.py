import numpy as np
import pytest
from django.core.exceptions import ValidationError

from vault.factories import random_unit_vector
from vault.models import Document, Embedding
from vault.services import BulkUpsertCounts, bulk_upsert_documents, content_hash, upsert_document


def rows(count, *, content="text {i}", with_embeddings=False, start=0):
    for i in range(start, start + count):
        row = {
            "source": "github",
            "repository": "tekup/bulk",
            "path": f"f{i}.md",
            "content": content.format(i=i),
        }
        if with_embeddings:
            row["embedding"] = random_unit_vector(i)
        yield row


def states():
    return dict(Document.objects.with_embedding_state().values_list("path", "embedding_state"))


def test_bulk_upsert_creates_documents_and_embeddings_in_batches(db):
    seen = []

    counts = bulk_upsert_documents(rows=rows(25, with_embeddings=True), batch_size=10, progress=seen.append)

    assert counts == BulkUpsertCounts(created=25, updated=0, unchanged=0, embeddings_written=25)
    assert seen == [10, 20, 25]
    assert Document.objects.count() == 25 and Embedding.objects.count() == 25
    assert set(states().values()) == {"fresh"}
    stored = Embedding.objects.get(document__path="f3.md")
    np.testing.assert_allclose(stored.embedding, random_unit_vector(3), rtol=1e-6)
    assert Document.objects.get(path="f3.md").content_hash == content_hash(content="text 3")


def test_bulk_upsert_is_idempotent(db):
    bulk_upsert_documents(rows=rows(12, with_embeddings=True), batch_size=5)
    first = dict(Embedding.objects.values_list("id", "updated_at"))

    counts = bulk_upsert_documents(rows=rows(12, with_embeddings=True), batch_size=5)

    assert counts == BulkUpsertCounts(unchanged=12)
    assert dict(Embedding.objects.values_list("id", "updated_at")) == first  # not rewritten


def test_bulk_upsert_counts_created_updated_and_unchanged(db):
    bulk_upsert_documents(rows=rows(10, with_embeddings=True))
    changed = list(rows(4, content="new {i}"))  # f0..f3 change, without new embeddings
    unchanged = list(rows(4, start=4))  # f4..f7 as they were
    new = list(rows(3, start=10))  # f10..f12

    counts = bulk_upsert_documents(rows=changed + unchanged + new, batch_size=4)

    assert counts == BulkUpsertCounts(created=3, updated=4, unchanged=4)
    state = states()
    assert [state[f"f{i}.md"] for i in range(4)] == ["stale"] * 4
    assert [state[f"f{i}.md"] for i in range(4, 10)] == ["fresh"] * 6
    assert [state[f"f{i}.md"] for i in range(10, 13)] == ["missing"] * 3


def test_bulk_upsert_with_new_content_and_its_embedding_is_fresh(db):
    bulk_upsert_documents(rows=rows(2, with_embeddings=True))

    counts = bulk_upsert_documents(rows=rows(2, content="v2 {i}", with_embeddings=True))

    assert counts == BulkUpsertCounts(updated=2, embeddings_written=2)
    assert set(states().values()) == {"fresh"}


def test_bulk_upsert_of_a_batch_mixing_new_and_existing_documents_with_embeddings(db):
    bulk_upsert_documents(rows=rows(4, with_embeddings=True))
    before = dict(Embedding.objects.values_list("document__path", "id"))
    mixed = [*rows(2, content="v2 {i}", with_embeddings=True), *rows(2, start=2, with_embeddings=True)]
    mixed += rows(3, start=4, content="new {i}", with_embeddings=True)  # f4..f6 are new

    counts = bulk_upsert_documents(rows=mixed)

    assert counts == BulkUpsertCounts(created=3, updated=2, unchanged=2, embeddings_written=5)
    assert set(states().values()) == {"fresh"} and len(states()) == 7
    after = dict(Embedding.objects.values_list("document__path", "id"))
    assert all(after[path] == pk for path, pk in before.items())  # upserted in place, not replaced
    stored = Embedding.objects.get(document__path="f5.md")
    np.testing.assert_allclose(stored.embedding, random_unit_vector(5), rtol=1e-6)
    assert stored.content_hash == content_hash(content="new 5")


def test_bulk_upsert_names_the_first_row_whose_vector_is_not_finite(db):
    data = list(rows(6, with_embeddings=True))
    for i in (2, 4):
        data[i]["embedding"] = np.array(random_unit_vector(i), dtype=np.float32)
        data[i]["embedding"][7] = np.nan
    data[5]["source"] = "cvs"

    with pytest.raises(ValidationError, match="row 2: embedding contains non-finite values"):
        bulk_upsert_documents(rows=data)
    assert not Document.objects.exists()


def test_bulk_upsert_keeps_the_last_row_of_a_repeated_key(db):
    data = [
        {"source": "local", "repository": "r", "path": "p", "content": "first"},
        {"source": "local", "repository": "r", "path": "p", "content": "last", "metadata": {"v": 2}},
    ]

    counts = bulk_upsert_documents(rows=data)

    assert counts == BulkUpsertCounts(created=1)
    document = Document.objects.get()
    assert (document.content, document.metadata) == ("last", {"v": 2})


def test_bulk_upsert_stores_metadata_sha_and_model(db):
    data = [
        {
            "source": "supabase",
            "repository": "db",
            "path": "t/1",
            "content": "c",
            "metadata": {"tags": ["a", "b"], "n": 1.5},
            "sha": "deadbeef",
            "embedding": np.array(random_unit_vector(1)),
            "model": "m-x",
        }
    ]

    bulk_upsert_documents(rows=data)

    document = Document.objects.select_related("embedding").get()
    assert (document.metadata, document.sha) == ({"tags": ["a", "b"], "n": 1.5}, "deadbeef")
    assert document.embedding.model == "m-x"


def test_bulk_upsert_and_upsert_document_agree_on_unchanged(db):
    bulk_upsert_documents(
        rows=[{"source": "local", "repository": "r", "path": "p", "content": "c", "sha": "1"}]
    )

    _, outcome = upsert_document(source="local", repository="r", path="p", content="c", sha="1")

    assert outcome == "unchanged"


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ({"source": "cvs"}, "row 7: 'cvs' is not a source"),
        ({"path": ""}, "row 7: path must be a non-empty string"),
        ({"content": b"bytes"}, "row 7: content must be a string, not bytes"),
        ({"embedding": [0.5] * 12}, "row 7: embedding has 12 dimensions; expected 1536"),
        ({"colour": "red"}, "row 7: unknown fields colour"),
    ],
)
def test_a_bad_row_names_itself_and_nothing_is_written(db, bad_row, message):
    data = list(rows(10))
    data[7] = {**data[7], **bad_row}

    with pytest.raises(ValidationError, match=message):
        bulk_upsert_documents(rows=data, batch_size=3)  # rows 0-5 were already copied in earlier batches
    assert not Document.objects.exists()


def test_a_row_missing_a_field_is_named(db):
    with pytest.raises(ValidationError, match="row 0: missing content"):
        bulk_upsert_documents(rows=[{"source": "local", "repository": "r", "path": "p"}])


def test_bulk_upsert_refuses_a_bad_batch_size(db):
    with pytest.raises(ValidationError, match="batch_size must be an integer"):
        bulk_upsert_documents(rows=[], batch_size=0)


@pytest.mark.parametrize("progress", [lambda: None, lambda done, total: None, "print"])
def test_a_progress_that_cannot_take_the_count_is_refused_before_anything_is_written(db, progress):
    with pytest.raises(ValidationError, match="progress must be a callable taking the number of rows done"):
        bulk_upsert_documents(rows=rows(3), progress=progress)
    assert not Document.objects.exists()


def test_bulk_upsert_of_nothing_counts_nothing(db):
    assert bulk_upsert_documents(rows=[]) == BulkUpsertCounts()
