# Rebuilds the HNSW index with ef_construction 200 (see Embedding.Meta): with 128 the randomised build
# sometimes left recall@10 just under 0.99 on the 100,000-row benchmark (0.9895 to 0.9995 over six
# builds); 200 gave 1.0 for ~1.2x the build time. On a large table this takes a while (100,000 rows:
# ~80 s on 2 cores) and holds a lock that blocks writes to vault.embeddings.

import pgvector.django.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0005_foreign_key_on_delete_actions"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="embedding",
            name="embeddings_embedding_hnsw",
        ),
        migrations.AddIndex(
            model_name="embedding",
            index=pgvector.django.indexes.HnswIndex(
                ef_construction=200,
                fields=["embedding"],
                m=16,
                name="embeddings_embedding_hnsw",
                opclasses=["vector_cosine_ops"],
            ),
        ),
    ]
