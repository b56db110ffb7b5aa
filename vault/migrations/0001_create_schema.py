from django.db import migrations
from pgvector.django import VectorExtension

from tekupdb.db.operations import CreateSchema


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [CreateSchema("vault"), VectorExtension()]
