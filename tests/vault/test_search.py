import math

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from vault.factories import DocumentFactory
from vault.services import create_embedding, semantic_search

from .conftest import clustered_vectors, ef_search, exact_top, indexes, load, near, unit


@pytest.fixture
def small_set(db):
    vectors = clustered_vectors(120, clusters=4, seed=3)
    repositories = ["tekup/a" if i % 3 == 0 else "tekup/b" for i in range(len(vectors))]
    load(vectors, repositories)
    return vectors, np.array(repositories)


def test_semantic_search_returns_the_nearest_documents_best_first_with_cosine_similarity(small_set):
    vectors, _ = small_set
    query = near(vectors, 5)

    results = semantic_search(embedding=query, limit=10, threshold=-1)

    assert indexes(results) == exact_top(vectors, query, 10)
    for result in results:
        expected = float(
            vectors[int(result.document.path)] @ query / np.linalg.norm(vectors[int(result.document.path)])
        )
        assert result.similarity == pytest.approx(expected, abs=1e-5)
    assert [r.similarity for r in results] == sorted((r.similarity for r in results), reverse=True)
    assert results[0].document.content == "document 5"


def test_semantic_search_keeps_only_results_above_the_threshold(small_set):
    vectors, _ = small_set
    query = near(vectors, 5)
    everything = semantic_search(embedding=query, limit=50, threshold=-1)
    cut = (everything[2].similarity + everything[3].similarity) / 2

    results = semantic_search(embedding=query, limit=50, threshold=cut)

    assert indexes(results) == indexes(everything)[:3]
    assert all(result.similarity > cut for result in results)


def test_semantic_search_with_a_threshold_above_every_similarity_returns_nothing(small_set):
    vectors, _ = small_set

    assert semantic_search(embedding=near(vectors, 5), threshold=0.9999999) == []


def test_semantic_search_filters_by_source_and_repository(small_set):
    vectors, repositories = small_set
    query = near(vectors, 7)

    results = semantic_search(embedding=query, limit=10, threshold=-1, repository="tekup/a")

    assert indexes(results) == exact_top(vectors, query, 10, mask=repositories == "tekup/a")
    assert semantic_search(embedding=query, threshold=-1, source="render") == []
    assert len(semantic_search(embedding=query, threshold=-1, source="github", repository="tekup/b")) == 10


def test_semantic_search_on_an_empty_vault_returns_nothing(db):
    assert semantic_search(embedding=unit(np.ones(1536))) == []


def test_semantic_search_skips_documents_without_embedding(db):
    document = DocumentFactory()
    create_embedding(document=document, embedding=unit(np.ones(1536)))
    DocumentFactory()

    assert [r.document for r in semantic_search(embedding=unit(np.ones(1536)))] == [document]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"limit": 0}, "limit must be an integer from 1 to 1000"),
        ({"limit": 1001}, "limit must be an integer from 1 to 1000"),
        ({"limit": 2.5}, "limit must be an integer from 1 to 1000"),
        ({"threshold": 1.5}, "threshold must be a number from -1 to 1"),
        ({"threshold": -1.01}, "threshold must be a number from -1 to 1"),
        ({"threshold": math.nan}, "threshold must be a number from -1 to 1"),
        ({"threshold": "0.5"}, "threshold must be a number from -1 to 1"),
        ({"source": "svn"}, "'svn' is not a source"),
        ({"repository": ""}, "repository must be a non-empty string"),
        ({"embedding": [1.0] * 10}, "embedding has 10 dimensions; expected 1536"),
        ({"embedding": [math.nan] * 1536}, "non-finite"),
    ],
)
def test_semantic_search_refuses_bad_arguments(db, arguments, message):
    with pytest.raises(ValidationError, match=message):
        semantic_search(**{"embedding": unit(np.ones(1536)), **arguments})


def test_semantic_search_accepts_the_bounds_of_limit_and_threshold(small_set):
    vectors, _ = small_set

    assert len(semantic_search(embedding=near(vectors, 1), limit=1000, threshold=-1)) == len(vectors)
    assert len(semantic_search(embedding=near(vectors, 1), limit=1, threshold=1)) == 0


def _hnsw_index_scans() -> int:
    """How many times the HNSW index has been scanned, this transaction's pending scans included."""
    index = '"vault"."embeddings_embedding_hnsw"'
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # flushed when the session next goes idle
        cursor.execute(
            "SELECT pg_stat_get_numscans(%s::regclass) + pg_stat_get_xact_numscans(%s::regclass)",
            [index, index],
        )
        return cursor.fetchone()[0]


def test_the_index_plan_answers_unfiltered_searches_and_leaves_ef_search_unchanged(small_set, plans):
    vectors, _ = small_set
    query = near(vectors, 9)
    before = ef_search()
    scans = _hnsw_index_scans()

    results = semantic_search(embedding=query, limit=10, threshold=-1)

    assert plans() == ["HNSW, ef_search 100"]  # and no exact fallback was needed
    # The index was scanned: on 120 rows the planner would scan the table unless the search's settings
    # (ef_search and enable_seqscan, set together) were in force for the query.
    assert _hnsw_index_scans() == scans + 1
    assert len(set(indexes(results)) & set(exact_top(vectors, query, 10))) >= 9
    assert ef_search() == before  # the SET LOCAL was undone with the search's savepoint
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_ef_search_does_not_leak_into_the_pooled_connection_outside_a_transaction(plans):
    vectors = clustered_vectors(50, seed=9)
    load(vectors)
    before = ef_search()
    scans = _hnsw_index_scans()

    results = semantic_search(embedding=near(vectors, 3), limit=5, threshold=-1)

    # The settings were in force for the query (the index was scanned: see the test above) and ended
    # with the implicit transaction of the search's one round trip.
    assert len(results) == 5
    assert plans() == ["HNSW, ef_search 100"]
    assert _hnsw_index_scans() == scans + 1
    assert ef_search() == before
