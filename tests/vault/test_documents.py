import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from vault.factories import DocumentFactory, random_unit_vector
from vault.models import Document, Embedding
from vault.services import (
    content_hash,
    create_document,
    create_embedding,
    find_documents,
    upsert_document,
)


def _embed(document):
    return create_embedding(document=document, embedding=random_unit_vector(1))


def _state(document):
    return Document.objects.with_embedding_state().get(pk=document.pk).embedding_state


def test_create_document_stores_every_field_and_the_content_hash(db):
    document = create_document(
        source="github",
        repository="tekup/vault",
        path="README.md",
        content="hej",
        metadata={"a": 1},
        sha="abc",
    )

    stored = Document.objects.get(pk=document.pk)
    assert (stored.source, stored.repository, stored.path, stored.content) == (
        "github",
        "tekup/vault",
        "README.md",
        "hej",
    )
    assert stored.metadata == {"a": 1} and stored.sha == "abc"
    assert stored.content_hash == content_hash(content="hej") == document.content_hash


def test_create_document_refuses_an_existing_key(db):
    create_document(source="github", repository="r", path="p", content="one")

    with pytest.raises(ValidationError, match="already exists"):
        create_document(source="github", repository="r", path="p", content="two")
    assert Document.objects.get().content == "one"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("source", "gitlab", "'gitlab' is not a source"),
        ("repository", "", "repository must be a non-empty string"),
        ("repository", "x" * 256, "at most 255 characters \\(it has 256\\)"),
        ("path", " ", "path must be a non-empty string"),
        ("content", None, "content must be a string, not NoneType"),
        ("content", "a\x00b", "NUL character"),
        ("metadata", ["a"], "metadata must be a dict"),
        ("metadata", {"when": dt.date(2024, 1, 1)}, "not JSON-serialisable"),
        ("sha", 42, "sha must be a non-empty string"),
    ],
)
def test_create_and_upsert_refuse_bad_input_and_write_nothing(db, field, value, message):
    arguments = {"source": "github", "repository": "r", "path": "p", "content": "c", field: value}

    for function in (create_document, upsert_document):
        with pytest.raises(ValidationError, match=message) as caught:
            function(**arguments)
        assert field in caught.value.message_dict
    assert not Document.objects.exists()


def test_upsert_document_creates_then_reports_unchanged_then_updated(db):
    first, outcome = upsert_document(source="local", repository="r", path="a.txt", content="one")
    assert outcome == "created"

    again, outcome = upsert_document(source="local", repository="r", path="a.txt", content="one")
    assert outcome == "unchanged" and again.pk == first.pk
    assert again.updated_at == first.updated_at

    changed, outcome = upsert_document(source="local", repository="r", path="a.txt", content="two", sha="s2")
    assert outcome == "updated" and changed.pk == first.pk
    assert (changed.content, changed.sha, changed.content_hash) == ("two", "s2", content_hash(content="two"))
    assert changed.updated_at > first.updated_at
    assert Document.objects.count() == 1


def test_upsert_with_unchanged_content_keeps_the_embedding_fresh(db):
    document, _ = upsert_document(source="github", repository="r", path="p", content="same")
    embedding = _embed(document)

    _, outcome = upsert_document(source="github", repository="r", path="p", content="same")

    assert outcome == "unchanged"
    assert _state(document) == "fresh"
    assert Embedding.objects.get().updated_at == embedding.updated_at


def test_upsert_with_new_metadata_only_updates_but_keeps_the_embedding_fresh(db):
    document, _ = upsert_document(source="github", repository="r", path="p", content="same")
    _embed(document)

    _, outcome = upsert_document(source="github", repository="r", path="p", content="same", metadata={"k": 1})

    assert outcome == "updated" and _state(document) == "fresh"


def test_upsert_with_changed_content_marks_the_embedding_stale(db):
    document, _ = upsert_document(source="github", repository="r", path="p", content="old")
    _embed(document)

    _, outcome = upsert_document(source="github", repository="r", path="p", content="new")

    assert outcome == "updated" and _state(document) == "stale"
    assert Document.objects.needing_embedding().get().pk == document.pk


def test_a_plain_sql_insert_of_the_listed_columns_works_and_gets_a_hash(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO "vault"."documents" (source, repository, path, content)
               VALUES ('render', 'svc', 'log.txt', 'hello')"""
        )

    document = Document.objects.get(path="log.txt")
    assert document.content_hash == content_hash(content="hello")
    assert document.metadata == {} and document.id is not None
    assert _state(document) == "missing"


def test_a_plain_sql_content_change_makes_the_embedding_stale(db):
    document = DocumentFactory(content="before")
    _embed(document)

    with connection.cursor() as cursor:
        cursor.execute("""UPDATE "vault"."documents" SET content = 'after' WHERE id = %s""", [document.pk])

    assert _state(document) == "stale"


def test_find_documents_filters_and_orders_by_most_recent_update(db):
    old = DocumentFactory(source="github", repository="a")
    other_repo = DocumentFactory(source="github", repository="b")
    other_source = DocumentFactory(source="local", repository="a")
    Document.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    recent = DocumentFactory(source="github", repository="a")

    assert find_documents(source="github", repository="a") == [recent, old]
    assert set(find_documents(repository="a")) == {recent, old, other_source}
    assert set(find_documents(source="github")) == {recent, old, other_repo}
    assert len(find_documents(limit=2)) == 2


@pytest.mark.parametrize("limit", [0, -1, 10001, "5", True])
def test_find_documents_refuses_a_bad_limit(db, limit):
    with pytest.raises(ValidationError, match="limit must be an integer from 1 to 10000"):
        find_documents(limit=limit)


def test_find_documents_refuses_an_unknown_source(db):
    with pytest.raises(ValidationError, match="'svn' is not a source"):
        find_documents(source="svn")


def test_find_documents_runs_one_query(db, django_assert_num_queries):
    DocumentFactory.create_batch(3)

    with django_assert_num_queries(1):
        assert len(find_documents()) == 3
