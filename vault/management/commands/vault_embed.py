"""Fill missing or stale embeddings of vault documents.

Why: documents arrive without vectors (imports, plain-SQL writers) and keep a vector only while their
content is unchanged; this embeds every document whose embedding is missing or was made from other
content, in batches, with the embedder the settings choose (VAULT_EMBEDDER). Each batch is committed,
so an interrupted run resumes where it stopped.
"""

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared.progress import ProgressBar
from vault import services
from vault.embedders import EmbeddingError, get_embedder
from vault.models import Source


class Command(BaseCommand):
    help = (
        "Fill missing or stale embeddings of vault documents, in batches, with the embedder VAULT_EMBEDDER "
        "chooses; an interrupted run resumes. Exit codes: 0 done (or nothing to do); 1 the embedder failed "
        "or is not configured (VAULT_EMBEDDER, VAULT_EMBEDDING_API_KEY), or bad input; 2 usage error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", choices=Source.values, help="only this source: %(choices)s")
        parser.add_argument("--repository", help="only this repository")
        parser.add_argument(
            "--batch-size", type=int, help="texts per embedder call (VAULT_EMBEDDING_BATCH_SIZE)"
        )
        parser.add_argument("--limit", type=int, help="embed at most this many documents")

    def handle(self, *args, **options):
        try:
            embedder = get_embedder()
            pending = services.count_documents_needing_embedding(
                source=options["source"], repository=options["repository"]
            )
            if options["limit"] is not None:
                pending = min(pending, options["limit"])
            bar = ProgressBar(self.stdout, total=pending, label="Embedding", enabled=options["verbosity"] > 0)
            done = services.embed_documents(
                source=options["source"],
                repository=options["repository"],
                embedder=embedder,
                batch_size=options["batch_size"],
                limit=options["limit"],
                progress=bar.update,
            )
        except (EmbeddingError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        bar.finish()
        if done == 0:
            self.stdout.write("Every embedding is present and fresh; nothing to do.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Embedded {done} documents with model {embedder.model}."))
