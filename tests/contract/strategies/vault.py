"""Argument strategies of `vault.services`."""

from __future__ import annotations

from hypothesis import strategies as st

from .base import JSON_OBJECT, PRINTABLE, VECTOR, maybe, slug, spec, words

_SOURCES = st.sampled_from(["github", "supabase", "render", "copilot", "local"])
_DOCUMENT = {
    "source": _SOURCES,
    "repository": slug(),
    "path": slug().map(lambda s: f"src/{s}.py"),
    "content": st.text(PRINTABLE, max_size=200),
    "metadata": maybe(JSON_OBJECT),
    "sha": maybe(st.text("0123456789abcdef", min_size=40, max_size=40)),
}


@spec("vault.services.find_documents")
def _(w):
    return {"source": maybe(_SOURCES), "repository": maybe(slug()), "limit": st.integers(1, 100)}


@spec("vault.services.create_document")
def _(w):
    return dict(_DOCUMENT)


@spec("vault.services.upsert_document")
def _(w):
    return dict(_DOCUMENT)


@spec("vault.services.create_embedding")
def _(w):
    return {"document": st.just(w.document), "embedding": VECTOR, "model": slug()}


@spec("vault.services.get_sync_status")
def _(w):
    return {"source": maybe(_SOURCES), "repository": maybe(slug())}


@spec("vault.services.update_sync_status")
def _(w):
    return {
        "source": _SOURCES,
        "repository": slug(),
        "status": st.sampled_from(["pending", "in_progress", "success", "error"]),
        "error_message": maybe(words()),
    }


@spec("vault.services.request_resync")
def _(w):
    return {"sync_statuses": st.just([w.sync_status])}


_SEARCH = {
    "limit": st.integers(1, 50),
    "threshold": st.floats(-1, 1),
    "source": maybe(_SOURCES),
    "repository": maybe(slug()),
}


@spec("vault.services.semantic_search")
def _(w):
    return {"embedding": VECTOR, **_SEARCH}


@spec("vault.services.search_text")
def _(w):
    from vault.embedders import OfflineEmbedder

    return {"query": words(), "embedder": st.just(OfflineEmbedder()), **_SEARCH}


@spec("vault.services.count_documents_needing_embedding")
def _(w):
    return {"source": maybe(_SOURCES), "repository": maybe(slug())}


@spec("vault.services.embed_documents")
def _(w):
    from vault.embedders import OfflineEmbedder

    return {
        "source": maybe(_SOURCES),
        "repository": maybe(slug()),
        "embedder": st.just(OfflineEmbedder()),
        "batch_size": maybe(st.integers(1, 50)),
        "limit": maybe(st.integers(1, 50)),
        "progress": maybe(st.just(lambda done: None)),
    }


@spec("vault.services.bulk_upsert_documents")
def _(w):
    row = st.fixed_dictionaries(
        {key: _DOCUMENT[key] for key in ("source", "repository", "path", "content")},
        optional={"metadata": _DOCUMENT["metadata"], "sha": _DOCUMENT["sha"], "embedding": VECTOR},
    )
    return {
        "rows": st.lists(row, max_size=3),
        "batch_size": st.integers(1, 10),
        "progress": maybe(st.just(lambda done: None)),
    }


@spec("vault.services.content_hash")
def _(w):
    return {"content": st.text(PRINTABLE, max_size=200)}
