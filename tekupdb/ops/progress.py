"""A small text progress bar for long commands (backup, restore, seed)."""

from __future__ import annotations

import time


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (logs, tests) writes a line every 10 %."""

    def __init__(self, stream, total: int, label: str = "", width: int = 30):
        self.stream = stream
        self.total = max(total, 1)
        self.label = label
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self._last_decile = -1
        self._tty = hasattr(stream, "isatty") and stream.isatty()

    def update(self, done: int, note: str = "") -> None:
        self.done = min(done, self.total)
        fraction = self.done / self.total
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total} {note}".rstrip()
        if self._tty:
            self.stream.write("\r" + line.ljust(100), ending="")
            self.stream.flush()
        elif int(fraction * 10) != self._last_decile:
            self._last_decile = int(fraction * 10)
            self.stream.write(line)

    def advance(self, step: int = 1, note: str = "") -> None:
        self.update(self.done + step, note)

    def finish(self, note: str = "") -> None:
        self.update(self.total, note or f"{time.monotonic() - self.started:.1f} s")
        if self._tty:
            self.stream.write("")
