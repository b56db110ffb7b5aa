from django.db import migrations

from tekupdb.db.operations import CreateSchema


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [CreateSchema("billy")]
