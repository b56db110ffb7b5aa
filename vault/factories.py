"""factory-boy factories of the vault models, for tests and the demo data (`vault.demo`, through
`shared.seeding.built`).

`EmbeddingFactory` records the hash of the content its vector was made from, as the services do
(`vault.services.content_hash`): its document's content, or `content="..."` when the document is given
by id (not a model field).
"""

import factory
import numpy as np

from . import services
from .models import DEFAULT_EMBEDDING_MODEL, EMBEDDING_DIMENSIONS, Document, Embedding, Source, SyncStatus


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

    class Params:
        content = factory.SelfAttribute("document.content")

    document = factory.SubFactory(DocumentFactory)
    embedding = factory.Sequence(random_unit_vector)
    model = DEFAULT_EMBEDDING_MODEL
    content_hash = factory.LazyAttribute(lambda o: services.content_hash(content=o.content))


class SyncStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncStatus

    source = Source.GITHUB
    repository = factory.Sequence(lambda n: f"tekup/repo-{n}")
