"""What every Tekup service shares: the user identity and the audit log; and the base model.

Every table of the project follows the conventions of DATA_MODEL.md through `TekupModel`: a UUID
primary key and `created_at`/`updated_at`, each with a database default as well as a Python one, so
that the services that still insert rows with plain SQL get an id and timestamps too.
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils import timezone


class TekupModel(models.Model):
    """Abstract base: UUID id and timestamps, defaulted in Python and in the database."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), editable=False)

    class Meta:
        abstract = True


def choices_check(table: str, field: str, choices) -> models.CheckConstraint:
    """A check constraint that keeps `field` within `choices` (a TextChoices class or a list)."""
    values = [value for value, _ in choices.choices] if hasattr(choices, "choices") else list(choices)
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": values}), name=f"{table}_{field}_valid"
    )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """The identity all services share, and the staff of the admin (login by email)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    email = models.EmailField(unique=True, max_length=254)
    name = models.CharField(max_length=255, blank=True, default="", db_default="")
    # A plain SQL insert of (email, name) gives '!': Django's mark of an unusable password.
    password = models.CharField("password", max_length=128, db_default="!")
    is_staff = models.BooleanField(default=False, db_default=False)
    is_active = models.BooleanField(default=True, db_default=True)
    is_superuser = models.BooleanField(
        "superuser status",
        default=False,
        db_default=False,
        help_text="Has every permission without them being assigned.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = 'shared"."users'
        ordering = ["email"]
        constraints = [
            # The services store emails in lower case; the database holds plain-SQL writers to it too.
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email


class AuditLog(TekupModel):
    """One audited write (by the triggers of shared.audit) or one event (`shared.services.log_event`).

    Trigger entries: `action` is insert, update or delete; `schema_name`.`table_name` and `resource_id`
    name the row; `changes` is `{column: [before, after]}`. The actor's email (or `sql:<role>`) is stored
    on the entry itself, and its id without a foreign key: deleting the user keeps both.
    """

    # Column `user_id` as in the original schema (a uuid without a foreign key).
    actor_id = models.UUIDField(null=True, blank=True, db_column="user_id")
    actor = models.CharField(max_length=255, blank=True, default="", db_default="")
    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=100)
    resource_id = models.CharField(max_length=255)
    schema_name = models.CharField(max_length=63, blank=True, default="", db_default="")
    table_name = models.CharField(max_length=63, blank=True, default="", db_default="")
    changes = models.JSONField(default=dict, db_default={}, blank=True)
    metadata = models.JSONField(default=dict, db_default={}, blank=True)

    class Meta:
        db_table = 'shared"."audit_logs'
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="shared_audit_created_idx"),
            models.Index(fields=["resource_id", "-created_at"], name="shared_audit_resource_idx"),
        ]
        # The dashboard's figures (sizes, versions, backups) are shown to holders of this permission only.
        permissions = [("view_dashboard", "Can view the database dashboard")]

    def __str__(self):
        return f"{self.action} {self.resource_type} {self.resource_id}"

    @property
    def at(self):
        """When it happened (an aware datetime)."""
        return self.created_at
