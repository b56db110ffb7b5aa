"""Seed the vault schema: documents of Tekup's repositories with their embeddings from the offline
embedder (no network), and one sync status per (source, repository). `large`: 100,000 documents.

Embeddings are computed from the content, so a document and its embedding always agree; the
embedding's `content_hash` is `vault.services.content_hash` of the content, as the document's generated
column is (`vault.factories.EmbeddingFactory`'s rule). Documents, embeddings and sync statuses are made
by the app's factories, through `shared.seeding.built`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from shared.seeding import (
    SeedContext,
    built,
    indexes_built_after,
    load,
    stable_id,
    truncate_app,
)
from vault import factories, models
from vault.embedders import OfflineEmbedder

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
EMBED_BATCH = 64  # documents embedded per call of the embedder


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
        yield built(
            factories.DocumentFactory,
            id=stable_id("vault.documents", source, repository, path),
            source=source,
            repository=repository,
            path=path,
            content=content,
            metadata={"language": extension, "topic": topic, "lines": content.count("\n") + 1},
            sha=hashlib.sha1(content.encode()).hexdigest(),
        )


def seed(ctx: SeedContext) -> None:
    _load_documents(ctx, ctx.pick(50, 2_000, 100_000))
    statuses = [
        built(
            factories.SyncStatusFactory,
            id=stable_id("vault.sync_status", source, repository),
            source=source,
            repository=repository,
            status=models.SyncStatus.Status.SUCCESS,
            last_sync_at=ctx.moment(days_back=2),
        )
        for source, repos in REPOSITORIES.items()
        for repository in repos
    ]
    load(ctx, models.SyncStatus, statuses, total=len(statuses))


def _load_documents(ctx: SeedContext, count: int) -> None:
    """`count` documents and their embeddings, in chunks so that 100,000 vectors never sit in memory at
    once."""
    embedder = OfflineEmbedder()
    embeddings: list[dict] = []
    documents = _embedded(_documents(ctx, count), embedder, embeddings)
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


def _embedded(documents: Iterator[dict], embedder: OfflineEmbedder, embeddings: list[dict]) -> Iterator[dict]:
    """The documents, unchanged; their embedding rows join `embeddings` 64 documents at a time, before
    those documents are yielded."""
    batch = []
    for document in documents:
        batch.append(document)
        if len(batch) == EMBED_BATCH:
            embeddings.extend(_embedding_rows(batch, embedder))
            yield from batch
            batch = []
    if batch:
        embeddings.extend(_embedding_rows(batch, embedder))
        yield from batch


def _embedding_rows(batch: list[dict], embedder: OfflineEmbedder) -> list[dict]:
    vectors = embedder.embed([document["content"] for document in batch])
    return [
        built(
            factories.EmbeddingFactory,
            id=stable_id("vault.embeddings", document["id"]),
            document_id=document["id"],
            content=document["content"],  # the factory hashes it as the services do
            embedding=vector,
            model=embedder.model,
        )
        for document, vector in zip(batch, vectors, strict=True)
    ]


def reset(ctx: SeedContext) -> None:
    truncate_app(ctx)
