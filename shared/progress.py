"""A small text progress bar for long commands (vault import and embed, backup, restore, seed).

On a terminal it redraws one line; elsewhere (logs, tests) it writes a line every 10 % (or every
second when the total is unknown), so a log of a long run stays readable.
"""

from __future__ import annotations

import time


class ProgressBar:
    def __init__(self, stream, total: int | None, label: str = "", *, width: int = 30, enabled: bool = True):
        self.stream = stream
        self.total = max(total, 1) if total is not None else None
        self.label = label
        self.width = width
        self.enabled = enabled
        self.done = 0
        self.started = time.monotonic()
        self._last_step: float = -1
        self._tty = hasattr(stream, "isatty") and stream.isatty()

    def _line(self, note: str) -> str:
        if self.total is None:
            return f"{self.label} {self.done} {note}".rstrip()
        filled = int(self.done / self.total * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total} {note}".rstrip()

    def update(self, done: int, note: str = "") -> None:
        self.done = min(done, self.total) if self.total is not None else done
        if not self.enabled:
            return
        if self._tty:
            self.stream.write("\r" + self._line(note).ljust(100), ending="")
            self.stream.flush()
            return
        # Not a terminal: one line per tenth of the work (per second when the total is unknown).
        step = int(self.done / self.total * 10) if self.total else int(time.monotonic() - self.started)
        if step != self._last_step:
            self._last_step = step
            self.stream.write(self._line(note))

    def advance(self, step: int = 1, note: str = "") -> None:
        self.update(self.done + step, note)

    def finish(self, note: str = "") -> None:
        self.update(
            self.total if self.total is not None else self.done,
            note or f"{time.monotonic() - self.started:.1f} s",
        )
        if self._tty and self.enabled:
            self.stream.write("")
