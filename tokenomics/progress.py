"""A progress bar on stderr for long ingests: one line per file, redrawn in place on a terminal."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO


class ProgressBar:
    """Byte progress of the file being ingested; silent when the stream is not a terminal (logs, CI)."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 28, force: bool = False, min_interval: float = 0.2):
        self.stream, self.width, self.min_interval = stream, width, min_interval
        self.enabled = force or (hasattr(stream, "isatty") and stream.isatty())
        self.name, self.total, self.done, self.started, self.drawn_at = "", 0, 0, 0.0, 0.0

    def start(self, name: str, total: int) -> None:
        self.name, self.total, self.done = Path(name).name, max(total, 1), 0
        self.started = self.drawn_at = time.perf_counter()

    def advance(self, nbytes: int) -> None:
        self.done = min(self.total, self.done + nbytes)
        now = time.perf_counter()
        if self.enabled and (now - self.drawn_at >= self.min_interval or self.done == self.total):
            self.drawn_at = now
            self.stream.write("\r" + self.render(now))
            self.stream.flush()

    def finish(self) -> None:
        """Clear the line so the per-file status line that follows starts clean."""
        if self.enabled:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def render(self, now: float | None = None) -> str:
        share = self.done / self.total
        filled = int(share * self.width)
        elapsed = max((now or time.perf_counter()) - self.started, 1e-9)
        rate = self.done / elapsed / 1e6
        return (f"  [{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
                f"{self.done / 1e6:,.0f}/{self.total / 1e6:,.0f} MB {rate:,.1f} MB/s {self.name}")
