"""Key rotation over every encrypted column (`shared.fields.encrypted_fields()`).

After a new key is prepended to TEKUPDB_ENCRYPTION_KEY, `rotate_encryption_keys()` re-seals every
secret that is not under the newest key yet, column by column, so that the old key can be dropped
without losing one secret. Each row is rewritten in its own short transaction (locked, re-read,
decrypted, re-encrypted, written): an interrupted run has lost nothing and left nothing half-done,
a second run picks up what the first left, and a concurrent write of a new secret is never undone
(the re-read under the lock sees it and skips the row, which is then already under the newest key).

Rows are found in batches by primary key (keyset pagination), so a run over a large table holds no
long transaction and no long lock. The plaintext exists only in `_rotate_row`'s locals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.db import connection, models, transaction
from django.db.backends.utils import split_identifier
from django.views.decorators.debug import sensitive_variables

from shared import crypto
from shared.fields import EncryptedTextField, encrypted_fields

DEFAULT_BATCH_SIZE = 500

# progress(column label, rows handled in this column, rows to handle in this column)
Progress = Callable[[str, int, int], None]


def column_label(model: type[models.Model], field: EncryptedTextField) -> str:
    """`schema.table.column`: how reports, health and backups name an encrypted column."""
    schema, table = split_identifier(model._meta.db_table)
    return f"{schema or 'public'}.{table}.{field.column}"


@dataclass
class ColumnRotation:
    column: str
    stale: int = 0  # rows under an older key when the run started
    reencrypted: int = 0  # rewritten under the newest key (with --dry-run: would be)
    undecryptable: int = 0  # no configured key opens them: they stay as they are
    remaining: int = 0  # still under an older key after the run


@dataclass
class RotationReport:
    key_id: str
    dry_run: bool
    columns: list[ColumnRotation] = dataclass_field(default_factory=list)

    @property
    def reencrypted(self) -> int:
        return sum(column.reencrypted for column in self.columns)

    @property
    def remaining(self) -> int:
        return sum(column.remaining for column in self.columns)

    @property
    def undecryptable(self) -> int:
        return sum(column.undecryptable for column in self.columns)


def _stale_rows(model: type[models.Model], field: EncryptedTextField, newest_prefix: str) -> models.QuerySet:
    return model._default_manager.filter(field.condition()).exclude(
        **{f"{field.attname}__startswith": newest_prefix}
    )


@sensitive_variables("plaintext")
def _rotate_row(model, field: EncryptedTextField, pk, newest_prefix: str, dry_run: bool) -> str:
    """Re-seal one row in its own transaction: "reencrypted", "undecryptable" or "skipped"."""
    with transaction.atomic():
        if not dry_run:
            # No wait for the WAL flush at each of these tiny commits (it dominates their cost): a commit
            # lost in a crash leaves that row under the old key, which still decrypts, and the rerun
            # (or health's key-ring warning) finds it. Safe only because the old key is still configured.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        rows = model._default_manager.filter(field.condition(), pk=pk)
        if not dry_run:
            rows = rows.select_for_update()
        token = rows.values_list(field.attname, flat=True).first()
        if token is None or token.startswith(newest_prefix):
            return "skipped"  # changed since the batch was read: a writer sealed it with the newest key
        try:
            plaintext = crypto.decrypt(token)
        except crypto.DecryptionError:
            return "undecryptable"
        if not dry_run:
            model._default_manager.filter(pk=pk).update(**{field.attname: crypto.encrypt(plaintext)})
        return "reencrypted"


def rotate_encryption_keys(
    *, dry_run: bool = False, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> RotationReport:
    """Re-encrypt every registered secret that is not under the newest key; report per column.

    With `dry_run`, every stale row is still decrypted (so the report shows which rows no key opens:
    the ones that would be lost by dropping a key) but nothing is written. Raises ImproperlyConfigured
    when no key is configured.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}.")
    key_id = crypto.current_key_id()
    newest_prefix = f"{crypto.PREFIX}:{key_id}:"
    report = RotationReport(key_id=key_id, dry_run=dry_run)
    for model, field in encrypted_fields():
        label = column_label(model, field)
        stale = _stale_rows(model, field, newest_prefix)
        column = ColumnRotation(column=label, stale=stale.count())
        report.columns.append(column)
        handled, last_pk = 0, None
        while column.stale:
            page = stale.order_by("pk")
            if last_pk is not None:
                page = page.filter(pk__gt=last_pk)
            pks = list(page.values_list("pk", flat=True)[:batch_size])
            if not pks:
                break
            last_pk = pks[-1]
            for pk in pks:
                outcome = _rotate_row(model, field, pk, newest_prefix, dry_run)
                if outcome == "reencrypted":
                    column.reencrypted += 1
                elif outcome == "undecryptable":
                    column.undecryptable += 1
                handled += 1
                if progress is not None:
                    progress(label, handled, column.stale)
        column.remaining = column.stale - column.reencrypted if dry_run else stale.count()
    return report


def stale_counts() -> dict[str, int]:
    """Per encrypted column, how many values are not under the newest key (0 everywhere: safe to drop)."""
    newest_prefix = f"{crypto.PREFIX}:{crypto.current_key_id()}:"
    return {
        column_label(model, field): _stale_rows(model, field, newest_prefix).count()
        for model, field in encrypted_fields()
    }
