from django.db import migrations

from tekupdb.db.operations import CreateExtension, CreateSchema


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    # pgvector: checked first, so that a server without it gets a message naming it.
    operations = [CreateSchema("vault"), CreateExtension("vector")]
