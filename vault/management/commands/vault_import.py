"""Import a folder of text files, or a JSONL file, into the vault's documents.

Why: the sync jobs and developers load whole repositories or exports at once; this streams them through
`bulk_upsert_documents` (binary COPY, idempotent on source, repository and path), so re-running an import
only rewrites what changed and keeps the embeddings of unchanged documents. Binary files (a NUL byte in
their first 8 KiB, or not UTF-8) and files over --max-bytes are skipped and counted. A JSONL file holds
one object per line with `path` and `content`, optionally `metadata`, `sha`, `embedding` and `model`.
The sync status of (source, repository) records the outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shared.progress import ProgressBar
from vault import services
from vault.models import Source, SyncState

BINARY_SNIFF_BYTES = 8192


class Command(BaseCommand):
    help = (
        "Import a folder of text files or a JSONL file into vault documents (idempotent: unchanged "
        "documents keep their embeddings; binary and oversized files are skipped and counted). Exit codes: "
        "0 imported; 1 nothing imported (the path does not exist, a line or row that is not valid); 2 usage "
        "error."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a folder of text files, or a .jsonl file")
        parser.add_argument("--source", required=True, choices=Source.values, help="one of %(choices)s")
        parser.add_argument("--repository", required=True, help="e.g. tekup/renos-backend")
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per COPY batch (default 1000)")
        parser.add_argument(
            "--max-bytes", type=int, default=1_000_000, help="skip files larger than this (default 1 MB)"
        )
        parser.add_argument(
            "--include-hidden", action="store_true", help="also import dot-files and dot-folders (.git ...)"
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        source, repository = options["source"], options["repository"]
        self.skipped = {"binary": 0, "too large": 0}
        if path.is_dir():
            files = self._text_files(path, include_hidden=options["include_hidden"])
            rows = self._file_rows(path, files, source, repository, options["max_bytes"])
            total = len(files)
        else:
            rows, total = self._jsonl_rows(path, source, repository), None
        bar = ProgressBar(self.stdout, total=total, label="Importing", enabled=options["verbosity"] > 0)
        try:
            counts = services.bulk_upsert_documents(
                rows=rows,
                batch_size=options["batch_size"],
                # Files read so far, skipped ones included: the bar's total counts every candidate file.
                progress=lambda done: bar.update(done + sum(self.skipped.values())),
            )
        except ValidationError as exc:
            bar.finish()
            message = "; ".join(exc.messages)
            services.update_sync_status(
                source=source, repository=repository, status=SyncState.ERROR, error_message=message
            )
            raise CommandError(f"Nothing imported: {message}") from None
        bar.finish()
        services.update_sync_status(source=source, repository=repository, status=SyncState.SUCCESS)
        skipped = ", ".join(f"{n} {why}" for why, n in self.skipped.items() if n) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {counts.created + counts.updated + counts.unchanged} documents into "
                f"{source}:{repository}: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged; {counts.embeddings_written} embeddings written; "
                f"skipped: {skipped}."
            )
        )

    @staticmethod
    def _text_files(root: Path, *, include_hidden: bool) -> list[Path]:
        found = []
        for folder, dirs, files in os.walk(root):
            if not include_hidden:
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                files = [f for f in files if not f.startswith(".")]
            dirs.sort()
            found.extend(Path(folder) / name for name in sorted(files))
        return [f for f in found if f.is_file()]

    def _file_rows(self, root: Path, files: list[Path], source: str, repository: str, max_bytes: int):
        for file in files:
            if file.stat().st_size > max_bytes:
                self.skipped["too large"] += 1
                continue
            data = file.read_bytes()
            try:
                if b"\x00" in data[:BINARY_SNIFF_BYTES]:
                    raise UnicodeDecodeError("utf-8", b"", 0, 1, "NUL byte")
                content = data.decode("utf-8")
            except UnicodeDecodeError:
                self.skipped["binary"] += 1
                continue
            yield {
                "source": source,
                "repository": repository,
                "path": file.relative_to(root).as_posix(),
                "content": content,
                "metadata": {"bytes": len(data)},
                # The git blob id, as GitHub reports it for the same file.
                "sha": hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest(),
            }

    @staticmethod
    def _jsonl_rows(path: Path, source: str, repository: str):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValidationError(f"{path.name} line {number} is not JSON ({exc.msg}).") from None
                if not isinstance(record, dict):
                    raise ValidationError(f"{path.name} line {number} is not a JSON object.")
                yield {"source": source, "repository": repository, **record}
