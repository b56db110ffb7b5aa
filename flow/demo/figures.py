"""Daily flow figures, computed from the finished runs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flow import models
from shared.seeding import stable_id, stamped


def metrics(runs: list[dict]) -> list[dict]:
    """Daily figures per workflow and for all (workflow NULL), computed from the finished runs."""
    # Plain rows for `load`: four figures a day for each workflow that ran, 50,000 rows at `large`,
    # where a factory build of each (about 0.15 ms a row) would add seconds for no rule of its own.
    figures: dict[tuple, list] = defaultdict(list)
    for run in runs:
        if run["status"] == models.Execution.Status.RUNNING:
            continue
        day = run["started_at"].date()
        for key in ((day, run["workflow"]), (day, None)):
            figures[key].append(run)
    rows = []
    for (day, workflow_id), day_runs in sorted(
        figures.items(), key=lambda item: (item[0][0], str(item[0][1]))
    ):
        values = {
            "executions": len(day_runs),
            "successes": sum(run["status"] == models.Execution.Status.COMPLETED for run in day_runs),
            "failures": sum(run["status"] == models.Execution.Status.FAILED for run in day_runs),
            "avg_duration_ms": round(sum(run["duration_ms"] for run in day_runs) / len(day_runs), 1),
        }
        for metric, value in values.items():
            rows.append(
                stamped(
                    {
                        "id": stable_id("flow.metrics", day, metric, workflow_id or "all"),
                        "date": day,
                        "metric": metric,
                        "value": float(value),
                        "workflow": workflow_id,
                        "metadata": {"source": "seed"},
                    },
                    dt.datetime.combine(day, dt.time(23, 55), tzinfo=dt.UTC),
                )
            )
    return rows
