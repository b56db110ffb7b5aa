"""Re-create this app's foreign keys with ON DELETE actions matching their fields' on_delete.

Plain-SQL deletes by the other services rely on them (as they did on the Prisma database).
"""

from django.db import migrations

import tekupdb.db.operations


class Migration(migrations.Migration):
    dependencies = [
        ("renos", "0004_invoice_kept_with_customer_and_booking"),
    ]

    operations = [
        tekupdb.db.operations.SyncForeignKeyActions(),
    ]
