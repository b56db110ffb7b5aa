"""Re-create this app's foreign keys with ON DELETE actions matching their fields' on_delete.

Plain-SQL deletes by the other services rely on them (as they did on the Prisma database).
"""

from django.apps import apps as global_apps
from django.db import migrations

import tekupdb.db.operations


class Migration(migrations.Migration):
    dependencies = [
        ("shared", "0003_audit_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    # The admin's log entries point at shared.users too; a sibling project may not install the admin
    # (tests/sibling), and then this migration must still load.
    if global_apps.is_installed("django.contrib.admin"):
        dependencies.append(("admin", "0003_logentry_add_action_flag_choices"))

    operations = [
        tekupdb.db.operations.SyncForeignKeyActions(app_labels=["shared", "admin", "auth"]),
    ]
