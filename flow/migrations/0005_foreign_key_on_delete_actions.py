"""Re-create this app's foreign keys with ON DELETE actions matching their fields' on_delete.

Plain-SQL deletes by the other services rely on them (as they did on the Prisma database).
"""

from django.db import migrations

import tekupdb.db.operations


class Migration(migrations.Migration):
    dependencies = [
        ("flow", "0004_encrypted_secret_columns"),
    ]

    operations = [
        tekupdb.db.operations.SyncForeignKeyActions(),
    ]
