from django.apps import AppConfig


class SharedConfig(AppConfig):
    name = "shared"
    schema = "shared"
    verbose_name = "Shared — users and audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.apps import apps
        from django.db.backends.signals import connection_created

        from . import audit

        # The lockout receiver needs django-axes, which this project installs for its admin login; a
        # sibling service that installs `shared` without it has no lockouts to record.
        if apps.is_installed("axes"):
            from . import signals

            signals.connect_lockout_audit()

        # Framework hooks (see shared.audit): the audit triggers join every model's migrations, and
        # every database connection carries the acting user to them.
        audit.register_audit_triggers()
        connection_created.connect(audit.install_actor_wrapper, dispatch_uid="tekup-audit-actor")

        from django.core import checks

        from shared.fields import check_admin_hides_secrets

        # Only where there is an admin: a sibling service may install `shared` without it.
        if apps.is_installed("django.contrib.admin"):
            checks.register(check_admin_hides_secrets, checks.Tags.admin)

        # Registered here, not by the project: sibling services install `shared` but not `tekupdb`.
        from . import checks  # noqa: F401
