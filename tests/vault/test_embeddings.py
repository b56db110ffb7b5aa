import math

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from pgvector import Vector

from vault.factories import DocumentFactory, random_unit_vector
from vault.models import Document, Embedding
from vault.services import content_hash, create_embedding


def test_create_embedding_stores_the_vector_model_and_content_hash(db):
    document = DocumentFactory(content="tekst")
    vector = random_unit_vector(7)

    embedding = create_embedding(document=document, embedding=vector, model="m-1")

    stored = Embedding.objects.get(pk=embedding.pk)
    assert stored.document_id == document.pk and stored.model == "m-1"
    assert stored.content_hash == content_hash(content="tekst") == document.content_hash
    np.testing.assert_allclose(stored.embedding, vector, rtol=1e-6)


def test_create_embedding_defaults_to_text_embedding_3_small(db):
    embedding = create_embedding(document=DocumentFactory(), embedding=random_unit_vector(1))

    assert Embedding.objects.get(pk=embedding.pk).model == "text-embedding-3-small"


def test_create_embedding_replaces_the_one_embedding_of_a_document(db):
    document = DocumentFactory()
    first = create_embedding(document=document, embedding=random_unit_vector(1))

    second = create_embedding(document=document, embedding=np.array(random_unit_vector(2)), model="m-2")

    assert second.pk == first.pk
    stored = Embedding.objects.get()
    assert stored.model == "m-2"
    np.testing.assert_allclose(stored.embedding, random_unit_vector(2), rtol=1e-6)


def test_create_embedding_accepts_a_pgvector_vector(db):
    embedding = create_embedding(document=DocumentFactory(), embedding=Vector(random_unit_vector(3)))

    assert Embedding.objects.filter(pk=embedding.pk).exists()


def test_an_embedding_made_from_older_content_is_stale(db):
    document = DocumentFactory(content="v1")
    Document.objects.filter(pk=document.pk).update(content="v2")

    create_embedding(document=document, embedding=random_unit_vector(1))  # document object still says v1

    assert Document.objects.with_embedding_state().get().embedding_state == "stale"


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([0.1] * 3, "embedding has 3 dimensions; expected 1536"),
        ([0.1] * 1537, "embedding has 1537 dimensions; expected 1536"),
        ([[0.1] * 1536], "embedding has 1x1536 dimensions; expected 1536"),
        ([0.1] * 1535 + [math.nan], "non-finite"),
        ([0.1] * 1535 + [math.inf], "non-finite"),
        ([0.1] * 1535 + [1e39], "non-finite"),  # beyond float32, as PostgreSQL's vector stores
        ([0.0] * 1536, "zero vector"),
        (["a"] * 1536, "must contain only numbers"),
        ("0.1,0.2", "must be a sequence of 1536 numbers"),
        (None, "must be a sequence of 1536 numbers"),
    ],
)
def test_create_embedding_refuses_a_bad_vector_and_writes_nothing(db, vector, message):
    with pytest.raises(ValidationError, match=message) as caught:
        create_embedding(document=DocumentFactory(), embedding=vector)
    assert "embedding" in caught.value.message_dict
    assert not Embedding.objects.exists()


def test_create_embedding_refuses_an_unsaved_or_foreign_document(db):
    with pytest.raises(ValidationError, match="saved Document"):
        create_embedding(document=Document(content="x"), embedding=random_unit_vector(1))
    with pytest.raises(ValidationError, match="saved Document"):
        create_embedding(document="not a document", embedding=random_unit_vector(1))


def test_create_embedding_of_a_deleted_document_names_it(db):
    document = DocumentFactory()
    Document.objects.filter(pk=document.pk).delete()

    with pytest.raises(ValidationError, match=f"document {document.pk} does not exist"):
        create_embedding(document=document, embedding=random_unit_vector(1))
    assert not Embedding.objects.exists()


def test_create_embedding_refuses_an_empty_model(db):
    with pytest.raises(ValidationError, match="model must be a non-empty string"):
        create_embedding(document=DocumentFactory(), embedding=random_unit_vector(1), model="")


def test_deleting_a_document_deletes_its_embedding(db):
    document = DocumentFactory()
    create_embedding(document=document, embedding=random_unit_vector(1))

    document.delete()

    assert not Embedding.objects.exists()
