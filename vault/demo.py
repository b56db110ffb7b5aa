"""Seed the vault schema: documents of Tekup's repositories with their embeddings from the offline
embedder (no network), and one sync status per (source, repository). `large`: 100,000 documents.

Embeddings are computed from the content, so a document and its embedding always agree; the
embedding's `content_hash` is the md5 of the content, as the document's generated column is.
"""

from __future__ import annotations

import hashlib

from shared.seeding import (
    SeedContext,
    indexes_built_after,
    load,
    stable_id,
    truncate_app,
)
from vault import models

REPOSITORIES = {
    models.Source.GITHUB: [
        "tekup-billy",
        "renos-backend",
        "renos-frontend",
        "tekup-vault",
        "tekup-flow",
        "tekup-crm",
    ],
    models.Source.SUPABASE: ["renos-production"],
    models.Source.RENDER: ["tekup-services"],
    models.Source.COPILOT: ["tekup-prompts"],
    models.Source.LOCAL: ["notes"],
}
TOPICS = [
    ("rengøring", "booking af rengøring med tidsregistrering og pauser"),
    ("faktura", "fakturaer med moms 25 % og linjer i kroner"),
    ("kunde", "kundedata, leads og opfølgning på e-mail"),
    ("billy", "synkronisering af fakturaer og kontakter med Billy.dk"),
    ("workflow", "automatiske workflows med tidsplaner og webhooks"),
    ("søgning", "semantisk søgning over dokumenter med pgvector"),
]
EXTENSIONS = ["md", "py", "ts", "sql", "json"]
CHUNK = 5_000  # documents loaded per round (their embeddings with them)


def _embedder():
    try:
        from vault.embedders import OfflineEmbedder

        return OfflineEmbedder()
    except ImportError:  # pragma: no cover - the vault app names its embedder differently
        from vault import services

        return services.get_embedder()


def _documents(ctx: SeedContext, count: int):
    pairs = [(source, repo) for source, repos in REPOSITORIES.items() for repo in repos]
    for index in range(count):
        source, repository = pairs[index % len(pairs)]
        topic, summary = TOPICS[ctx.rng.randrange(len(TOPICS))]
        extension = EXTENSIONS[index % len(EXTENSIONS)]
        path = f"{topic}/{ctx.faker.word()}-{index:06d}.{extension}"
        content = f"# {topic.capitalize()}: {ctx.faker.catch_phrase()}\n\n{summary}.\n\n" + "\n".join(
            ctx.faker.paragraphs(nb=ctx.rng.randrange(1, 4))
        )
        yield {
            "id": stable_id("vault.documents", source, repository, path),
            "source": source,
            "repository": repository,
            "path": path,
            "content": content,
            "metadata": {"language": extension, "topic": topic, "lines": content.count("\n") + 1},
            "sha": hashlib.sha1(content.encode()).hexdigest(),
        }


def seed(ctx: SeedContext) -> None:
    count = ctx.pick(50, 2_000, 100_000)
    embedder = _embedder()
    embeddings: list[dict] = []

    def documents_with_embeddings():
        batch = []
        for document in _documents(ctx, count):
            batch.append(document)
            if len(batch) == 64:
                _embed(batch)
                yield from batch
                batch = []
        if batch:
            _embed(batch)
            yield from batch

    def _embed(batch):
        vectors = embedder.embed([document["content"] for document in batch])
        for document, vector in zip(batch, vectors, strict=True):
            embeddings.append(
                {
                    "id": stable_id("vault.embeddings", document["id"]),
                    "document": document["id"],
                    "embedding": vector,
                    "model": embedder.model,
                    "content_hash": hashlib.md5(document["content"].encode()).hexdigest(),
                }
            )

    # Documents and embeddings go in chunks so that 100,000 vectors never sit in memory at once.
    documents = documents_with_embeddings()
    # Rebuilding the HNSW index beats inserting into it only for a big load: a repeat run, whose rows
    # all exist already, keeps the index.
    missing = count - models.Embedding.objects.count()
    with indexes_built_after(models.Embedding, enabled=missing >= 10_000):
        done = 0
        while done < count:
            chunk = []
            for document in documents:
                chunk.append(document)
                if len(chunk) == CHUNK:
                    break
            load(ctx, models.Document, chunk, total=count)
            # Embeddings are made 64 documents at a time, so some may belong to the next chunk's documents.
            in_chunk = {document["id"] for document in chunk}
            ready = [row for row in embeddings if row["document"] in in_chunk]
            embeddings[:] = [row for row in embeddings if row["document"] not in in_chunk]
            load(ctx, models.Embedding, ready, total=count)
            done += len(chunk)
            if not chunk:
                break

    statuses = [
        {
            "id": stable_id("vault.sync_status", source, repository),
            "source": source,
            "repository": repository,
            "status": models.SyncStatus.Status.SUCCESS,
            "last_sync_at": ctx.moment(days_back=2),
            "error_message": None,
        }
        for source, repos in REPOSITORIES.items()
        for repository in repos
    ]
    load(ctx, models.SyncStatus, statuses, total=len(statuses))


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
