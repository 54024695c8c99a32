"""A small progress bar on stderr (no dependency): redrawn in place on a terminal, a few lines otherwise."""
from __future__ import annotations

import sys
import time
from typing import IO


class ProgressBar:
    def __init__(self, label: str = "Exporting", stream: IO[str] | None = None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_quarter = -1

    def __call__(self, done: int, total: int) -> None:
        share = 1.0 if total == 0 else done / total
        finished = done >= total
        if self.tty:
            now = time.monotonic()
            if not finished and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            filled = int(self.width * share)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done:,}/{total:,} use cases ({share:.0%})")
            if finished:
                self.stream.write("\n")
        else:
            quarter = 4 if finished else int(share * 4)
            if quarter == self._last_quarter:
                return
            self._last_quarter = quarter
            self.stream.write(f"{self.label}: {done:,}/{total:,} use cases ({share:.0%})\n")
        self.stream.flush()
