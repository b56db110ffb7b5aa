"""Retention: delete the history tables' old rows (usage, rate-limit windows, the tool audit).

The monthly partitioned tables (usage metrics, the tool audit) lose whole months before the cutoff's as
dropped partitions (`tekupdb.db.partitions`) and only the cutoff's month row by row; the rate-limit
windows, a small table, are a DELETE. A prune that removed something leaves one entry in the shared
audit (action "prune").
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shared import validation as v
from shared.audit import record_prune, table_key
from tekupdb.db import partitions

from ..models import RateLimit, ToolAuditLog, UsageMetric
from .usage import _usage_slot
from .validation import _positive_timedelta


def prune_history(*, older_than: timedelta, dry_run: bool = False) -> dict[str, int]:
    """Delete rate-limit windows that ended, and usage hours that ended, more than `older_than` ago.

    A window still open is never deleted, whatever its length (that would reset its count).
    Usage metrics are partitioned by month (billy migration 0006): whole months before the cutoff's
    month are dropped as partitions (constant time; a big one's count is the planner's estimate), and
    only the rows of the cutoff's month (and of the DEFAULT partition) are deleted row by row. The
    rate-limit windows are a small table and stay a DELETE. A prune that removed something leaves
    one entry in the shared audit (action "prune").
    Returns {"rate_limits": n, "usage_metrics": n} (what would be deleted, with dry_run).

    Raises ValidationError keyed by the argument: older_than not from 1 µs to ten years, dry_run not a bool.
    """
    older_than = _positive_timedelta("older_than", older_than)
    dry_run = v.boolean(dry_run, name="dry_run")
    cutoff = timezone.now() - older_than
    day, hour = _usage_slot(cutoff)
    windows = RateLimit.objects.filter(window_start__lt=cutoff).filter(
        Q(window_end__isnull=True) | Q(window_end__lte=cutoff)
    )
    # Hour h of a day ends at h+1:00, so it ended by the cutoff when h < the cutoff's hour.
    usage = UsageMetric.objects.filter(Q(date__lt=day) | Q(date=day, hour__lt=hour))
    if dry_run:
        pruned = partitions.prune(
            table=table_key(UsageMetric), column="date", before=day, queryset=usage, dry_run=True
        )
        return {"rate_limits": windows.count(), "usage_metrics": pruned.rows}
    with transaction.atomic():
        counts = {"rate_limits": windows.delete()[0]}
        pruned = partitions.prune(table=table_key(UsageMetric), column="date", before=day, queryset=usage)
        counts["usage_metrics"] = pruned.rows
        record_prune(
            table=table_key(UsageMetric), older_than=older_than, cutoff=cutoff, pruned=pruned, **counts
        )
    return counts


def prune_tool_audit(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete the tool audit entries (billy.audit_logs) created more than `older_than` ago: whole
    months as dropped partitions, the cutoff's month row by row. Returns the number of entries
    (would be) deleted; a prune that removed something leaves one entry in the shared audit.

    Raises ValidationError keyed by the argument: older_than not from 1 µs to ten years, dry_run not a bool.
    """
    older_than = _positive_timedelta("older_than", older_than)
    dry_run = v.boolean(dry_run, name="dry_run")
    cutoff = timezone.now() - older_than
    entries = ToolAuditLog.objects.filter(created_at__lt=cutoff)
    with transaction.atomic():
        pruned = partitions.prune(
            table=table_key(ToolAuditLog),
            column="created_at",
            before=cutoff,
            queryset=entries,
            dry_run=dry_run,
        )
        if not dry_run:
            record_prune(table=table_key(ToolAuditLog), older_than=older_than, cutoff=cutoff, pruned=pruned)
    return pruned.rows
