"""A text progress bar for long commands, written through the command's own stdout."""

from __future__ import annotations

import time


class ProgressBar:
    """`update(done)` redraws the bar in place (at most ten times a second); `finish()` ends the line."""

    width = 30

    def __init__(self, stdout, *, total: int | None, label: str, enabled: bool = True):
        self.stdout = stdout
        self.total = total
        self.label = label
        self.enabled = enabled
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last_draw < 0.1 and done != self.total):
            return
        self._last_draw = now
        if self.total:
            filled = min(self.width, self.width * done // self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"\r{self.label} [{bar}] {done}/{self.total}"
        else:
            line = f"\r{self.label} {done}"
        self.stdout.write(line, ending="")
        self.stdout.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stdout.write("")
