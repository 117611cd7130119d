"""A progress bar on stderr for long ingests: one line per file, redrawn in place on a terminal (tqdm)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from tqdm import tqdm


class ProgressBar:
    """Byte progress of the file being ingested; silent when the stream is not a terminal (logs, CI).

    The ingest runner's Progress protocol: start(name, total) per file, advance(nbytes) as bytes are read
    (the total is never exceeded), finish() to clear the line before the file's status line is printed.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 28, force: bool = False, min_interval: float = 0.2):
        stream = sys.stderr if stream is None else stream  # at call time: a default bound at import goes stale
        self.stream, self.width, self.min_interval = stream, width, min_interval
        self.enabled = force or (hasattr(stream, "isatty") and stream.isatty())
        self.name, self.total, self.done, self.started = "", 0, 0, 0.0
        self._bar: tqdm | None = None

    @property
    def _format(self) -> str:
        return f"  {{percentage:3.0f}}% |{{bar:{self.width}}}| {{n_fmt}}B/{{total_fmt}}B {{rate_fmt}} {{desc}}"

    def start(self, name: str, total: int) -> None:
        self._close()
        self.name, self.total, self.done = Path(name).name, max(total, 1), 0
        self.started = time.perf_counter()
        if self.enabled:
            self._bar = tqdm(total=self.total, desc=self.name, file=self.stream, unit="B", unit_scale=True,
                             unit_divisor=1000, mininterval=self.min_interval, miniters=1, leave=False,
                             dynamic_ncols=False, bar_format=self._format)

    def advance(self, nbytes: int) -> None:
        step = min(self.total, self.done + nbytes) - self.done
        self.done += step
        if self._bar is not None and step > 0:
            self._bar.update(step)
            if self.done == self.total and self._bar.last_print_n < self.done:  # always show the file's end
                self._bar.refresh()

    def finish(self) -> None:
        """Clear the line so the per-file status line that follows starts clean."""
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()  # leave=False: tqdm erases its line
            self._bar = None

    def render(self, now: float | None = None) -> str:
        """The line as drawn (also when drawing is off)."""
        elapsed = max((now or time.perf_counter()) - self.started, 1e-9)
        return tqdm.format_meter(self.done, self.total, elapsed, prefix=self.name, unit="B", unit_scale=True,
                                 unit_divisor=1000, bar_format=self._format)
