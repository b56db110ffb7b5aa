"""Models of the billy schema: the database behind the Billy.dk accounting MCP server.

Every table is `db_table = 'billy"."<table>'`. The schema `shared` also has tables named `users` and
`audit_logs`; the classes here are named `OrganizationUser` and `ToolAuditLog` to keep them apart, and
every index and constraint name starts with `billy_`.

Writes go through `billy.services`; several of them are single SQL statements (upserts), so every
column that the project adds beyond DATA_MODEL.md has a database default or is nullable.
"""

import datetime

from django.db import models
from django.db.models.functions import Now
from django.db.models.manager import ManagerDescriptor
from django.utils import timezone

from shared.fields import EncryptedTextField, token_constraint
from shared.models import TekupModel, choices_check


class Organization(TekupModel):
    """A Billy.dk organization and the (encrypted) API key the MCP server uses for it.

    `billy_api_key` holds a `shared.crypto` token, never the plaintext: set it with
    `billy.services.create_organization` / `set_api_key`, read it with `billy.services.get_api_key`.
    It is not editable in forms and never rendered.
    """

    name = models.CharField(max_length=255)
    billy_api_key = EncryptedTextField(
        editable=False, help_text="AES-GCM token; the plaintext is never stored."
    )
    billy_organization_id = models.CharField(max_length=255)
    settings = models.JSONField(default=dict, db_default={}, blank=True)
    is_active = models.BooleanField(default=True, db_default=True)
    api_key_rotated_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)

    class Meta:
        db_table = 'billy"."organizations'
        ordering = ["name"]
        constraints = [
            # A named constraint rather than unique=True: no extra varchar_pattern_ops index.
            models.UniqueConstraint(
                fields=["billy_organization_id"], name="billy_organizations_billy_id_uniq"
            ),
            token_constraint("billy_api_key", name="billy_organizations_api_key_encrypted"),
        ]
        indexes = [models.Index(fields=["is_active"], name="billy_organizations_active_idx")]

    def __str__(self):
        return self.name

    def __repr__(self):
        # Spelled out so that no later change to __str__ can put the key token in a repr.
        return f"<Organization {self.billy_organization_id}: {self.name}>"


class UserRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    USER = "user", "User"
    READONLY = "readonly", "Read-only"


class OrganizationUser(TekupModel):
    """A person of an organization as the MCP server knows them (not a login of this project)."""

    Role = UserRole

    email = models.EmailField(max_length=254)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, db_index=False, related_name="users"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER, db_default=Role.USER)
    last_login_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True, db_default=True)
    metadata = models.JSONField(default=dict, db_default={}, blank=True)

    class Meta:
        db_table = 'billy"."users'
        ordering = ["email"]
        verbose_name = "organization user"
        constraints = [
            models.UniqueConstraint(fields=["email", "organization"], name="billy_users_email_org_uniq"),
            choices_check("billy_users", "role", UserRole),
        ]
        indexes = [models.Index(fields=["organization"], name="billy_users_org_idx")]

    def __str__(self):
        return self.email


def is_expired(expires_at: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    """The cache's one expiry rule: a row is expired from the moment `expires_at` is reached (≤ now)."""
    return expires_at <= (now or timezone.now())


def expired_q(now: datetime.datetime | None = None) -> models.Q:
    """`is_expired` as a filter: `expires_at <= now`."""
    return models.Q(expires_at__lte=now or timezone.now())


def live_q(now: datetime.datetime | None = None) -> models.Q:
    """The complement of `expired_q`: `expires_at > now`."""
    return models.Q(expires_at__gt=now or timezone.now())


class CachedEntryQuerySet(models.QuerySet):
    def expired(self, now: datetime.datetime | None = None) -> models.QuerySet:
        """Rows whose `expires_at` is reached (`is_expired`)."""
        return self.filter(expired_q(now))

    def live(self, now: datetime.datetime | None = None) -> models.QuerySet:
        return self.filter(live_q(now))


class EveryCache:
    """`CachedEntry.objects`: the three cache tables at once, keyed by name ("invoices", …).

    CachedEntry is abstract (one table per cached kind, no parent table), so Django gives it no manager
    of its own; this stands in for one. `CachedEntry.objects.expired()` is {name: queryset of that table's
    expired rows}; `CachedInvoice.objects.expired()` is one table's queryset, as usual.
    """

    def expired(self, now: datetime.datetime | None = None) -> dict[str, models.QuerySet]:
        now = now or timezone.now()
        return {name: model.objects.expired(now) for name, model in CACHE_MODELS.items()}

    def live(self, now: datetime.datetime | None = None) -> dict[str, models.QuerySet]:
        now = now or timezone.now()
        return {name: model.objects.live(now) for name, model in CACHE_MODELS.items()}


class _CachedEntryManagerDescriptor(ManagerDescriptor):
    # Django's descriptor refuses access on an abstract model; on CachedEntry itself answer for every
    # cache table, on the concrete caches behave as Django does.
    def __get__(self, instance, cls=None):
        if cls is not None and cls._meta.abstract:
            return EveryCache()
        return super().__get__(instance, cls)


class CachedEntryManager(models.Manager.from_queryset(CachedEntryQuerySet)):  # type: ignore[misc]
    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        setattr(cls, name, _CachedEntryManagerDescriptor(self))


class CachedEntry(TekupModel):
    """A Billy.dk object cached as JSON until `expires_at`; one row per (organization, billy_id)."""

    # The unique (organization, billy_id) index serves lookups by organization: no separate FK index.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False, related_name="+")
    billy_id = models.CharField(max_length=255)
    data = models.JSONField()
    cached_at = models.DateTimeField(default=timezone.now, db_default=Now())
    expires_at = models.DateTimeField()

    objects = CachedEntryManager()

    class Meta:
        abstract = True
        ordering = ["-cached_at"]

    def __str__(self):
        return self.billy_id

    @property
    def is_expired(self) -> bool:
        return is_expired(self.expires_at)


def _cache_meta(table: str, label: str, short: str):
    class Meta(CachedEntry.Meta):
        db_table = f'billy"."{table}'
        verbose_name = label
        verbose_name_plural = f"{label}s"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "billy_id"], name=f"billy_{table}_org_billy_id_uniq"
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name=f"billy_{short}_expires_idx")]

    return Meta


class CachedInvoice(CachedEntry):
    Meta = _cache_meta("cached_invoices", "cached invoice", "cache_inv")


class CachedCustomer(CachedEntry):
    Meta = _cache_meta("cached_customers", "cached customer", "cache_cust")


class CachedProduct(CachedEntry):
    Meta = _cache_meta("cached_products", "cached product", "cache_prod")


# The cache tables by the name the services and the commands report them under.
CACHE_MODELS: dict[str, type[CachedEntry]] = {
    "invoices": CachedInvoice,
    "customers": CachedCustomer,
    "products": CachedProduct,
}


class ToolAuditLog(TekupModel):
    """One call of an MCP tool: who, for which organization, with what input, and how it went."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    user = models.ForeignKey(
        OrganizationUser, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    tool_name = models.CharField(max_length=255)
    action = models.CharField(max_length=255)
    resource_type = models.CharField(max_length=255, null=True, blank=True)
    resource_id = models.CharField(max_length=255, null=True, blank=True)
    input_params = models.JSONField(null=True, blank=True)
    output_data = models.JSONField(null=True, blank=True)
    success = models.BooleanField()
    error_message = models.TextField(null=True, blank=True)
    duration_ms = models.IntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)

    class Meta:
        db_table = 'billy"."audit_logs'
        ordering = ["-created_at"]
        verbose_name = "tool audit log"
        indexes = [
            # (organization, created_at) serves "an organization's logs, newest first" and any
            # lookup by organization alone.
            models.Index(fields=["organization", "-created_at"], name="billy_audit_logs_org_idx"),
            models.Index(fields=["user"], name="billy_audit_logs_user_idx"),
            models.Index(fields=["tool_name"], name="billy_audit_logs_tool_idx"),
            models.Index(fields=["created_at"], name="billy_audit_logs_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_ms__gte=0) | models.Q(duration_ms__isnull=True),
                name="billy_audit_logs_duration_nonneg",
            )
        ]

    def __str__(self):
        return f"{self.tool_name} {self.action}"


class UsageMetric(TekupModel):
    """Calls of one tool for one organization in one hour; `date` and `hour` are in UTC.

    The running sums (`duration_sum_ms`, `duration_count`, `cache_hits`, `cache_lookups`) are what
    keep `avg_duration_ms` and `cache_hit_rate` (a percentage, 0–100) true: each call adds to them
    in the same atomic upsert that recomputes the two derived columns.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False, related_name="+")
    date = models.DateField(help_text="UTC date")
    hour = models.SmallIntegerField(help_text="UTC hour, 0–23")
    tool_name = models.CharField(max_length=255)
    call_count = models.IntegerField(default=0, db_default=0)
    success_count = models.IntegerField(default=0, db_default=0)
    error_count = models.IntegerField(default=0, db_default=0)
    avg_duration_ms = models.FloatField(null=True, blank=True)
    cache_hit_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Percentage of cache lookups that hit",
    )
    duration_sum_ms = models.FloatField(default=0, db_default=0)
    duration_count = models.IntegerField(default=0, db_default=0)
    cache_hits = models.IntegerField(default=0, db_default=0)
    cache_lookups = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = 'billy"."usage_metrics'
        ordering = ["-date", "-hour", "tool_name"]
        verbose_name = "usage metric"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date", "hour", "tool_name"], name="billy_usage_metrics_slot_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(hour__gte=0, hour__lte=23), name="billy_usage_metrics_hour_valid"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="billy_usage_metrics_date_idx")]

    def __str__(self):
        return f"{self.tool_name} {self.date} {self.hour:02d}:00 UTC"


class RateLimit(TekupModel):
    """Requests counted in one aligned fixed window of one (organization, endpoint).

    `window_end` (nullable, beyond DATA_MODEL.md) lets the prune keep a window that is still open
    whatever its length.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False, related_name="+")
    endpoint = models.CharField(max_length=255)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(null=True, blank=True)
    request_count = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = 'billy"."rate_limits'
        ordering = ["-window_start"]
        verbose_name = "rate limit window"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "endpoint", "window_start"], name="billy_rate_limits_window_uniq"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="billy_rate_limits_start_idx")]

    def __str__(self):
        return f"{self.endpoint} @ {timezone.localtime(self.window_start):%Y-%m-%d %H:%M}"
