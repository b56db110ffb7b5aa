"""Several writers of the same key at once, each on its own connection (threads, real transactions)."""

import threading
from collections import Counter

import pytest
from django.db import connections

from vault.models import Document
from vault.services import bulk_upsert_documents, upsert_document

WRITERS = 8


def run_at_once(target, count=WRITERS):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(n):
        try:
            barrier.wait(timeout=30)
            results.append(target(n))
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_one_key_with_the_same_content_make_one_row():
    results, errors = run_at_once(
        lambda n: upsert_document(source="github", repository="r", path="same.md", content="same")
    )

    assert errors == []
    assert Counter(outcome for _, outcome in results) == {"created": 1, "unchanged": WRITERS - 1}
    assert len({document.pk for document, _ in results}) == 1
    assert Document.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_one_key_with_different_content_make_one_row():
    results, errors = run_at_once(
        lambda n: upsert_document(source="github", repository="r", path="p.md", content=f"writer {n}")
    )

    assert errors == []
    outcomes = Counter(outcome for _, outcome in results)
    assert outcomes["created"] == 1 and outcomes["created"] + outcomes["updated"] == WRITERS
    document = Document.objects.get()
    assert document.content in {f"writer {n}" for n in range(WRITERS)}


@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_upserts_of_overlapping_keys_neither_fail_nor_duplicate():
    def import_all(n):
        rows = [
            {"source": "local", "repository": "r", "path": f"f{(i * (n + 1)) % 40}", "content": "c"}
            for i in range(40)
        ]
        return bulk_upsert_documents(rows=rows, batch_size=15)

    results, errors = run_at_once(import_all, count=4)

    assert errors == []
    assert Document.objects.count() == 40
    assert sum(counts.created for counts in results) == 40
