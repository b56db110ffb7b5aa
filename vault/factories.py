"""factory-boy factories of the vault models, for tests and seeding."""

import factory
import numpy as np

from .models import EMBEDDING_DIMENSIONS, Document, Embedding, Source, SyncStatus


def random_unit_vector(seed: int) -> list[float]:
    """A seeded random direction in 1536-d space (as the OpenAI models give: unit length)."""
    vector = np.random.default_rng(seed).standard_normal(EMBEDDING_DIMENSIONS)
    return (vector / np.linalg.norm(vector)).tolist()


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    source = Source.GITHUB
    repository = factory.Sequence(lambda n: f"tekup/repo-{n % 5}")
    path = factory.Sequence(lambda n: f"src/file_{n}.py")
    content = factory.Faker("paragraph", locale="da_DK")
    metadata = factory.LazyFunction(dict)


class EmbeddingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Embedding

    document = factory.SubFactory(DocumentFactory)
    embedding = factory.Sequence(random_unit_vector)
    model = "text-embedding-3-small"
    content_hash = factory.LazyAttribute(lambda o: o.document.content_hash)


class SyncStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncStatus

    source = Source.GITHUB
    repository = factory.Sequence(lambda n: f"tekup/repo-{n}")
