"""Re-create this app's foreign keys with ON DELETE actions matching their fields' on_delete.

Plain-SQL deletes by the other services rely on them (as they did on the Prisma database).
"""

from django.db import migrations

import tekupdb.db.operations


class Migration(migrations.Migration):
    dependencies = [
        ("shared", "0003_audit_triggers"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        tekupdb.db.operations.SyncForeignKeyActions(app_labels=["shared", "admin", "auth"]),
    ]
