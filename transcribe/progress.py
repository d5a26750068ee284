"""Progress shown to the user on stderr.

A rich progress bar (audio time done / total, speed as × real time, ETA) when
stderr is a terminal; plain log lines at most every :data:`LOG_EVERY_S` seconds
otherwise; nothing with ``quiet``.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

from transcribe.render import hms

LOG_EVERY_S = 15.0


class Reporter:
    """Prints stage messages and audio progress to ``stream`` (stderr by default)."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr

    @property
    def interactive(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def step(self, message: str) -> None:
        """One line about the stage now running."""
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def warn(self, message: str) -> None:
        """A warning line; shown even with ``quiet``."""
        print(f"warning: {message}", file=self.stream, flush=True)

    @contextmanager
    def audio(self, label: str, total_s: float, start: float = 0.0) -> Iterator[Callable[[float], None]]:
        """Context yielding ``update(done_s)`` for work measured in seconds of audio.

        ``start``: seconds already done before (a resumed run); speed and ETA count from there.
        """
        if self.quiet:
            yield lambda done: None
            return
        if self.interactive:
            from rich.console import Console
            from rich.progress import (BarColumn, Progress, TextColumn, TimeRemainingColumn)

            columns = [TextColumn("{task.description}"), BarColumn(),
                       TextColumn("{task.fields[done]} / {task.fields[length]}"),
                       TextColumn("{task.fields[speed]}"), TimeRemainingColumn()]
            began, first = time.monotonic(), start
            with Progress(*columns, console=Console(file=self.stream), transient=False) as bar:
                task = bar.add_task(label, total=max(total_s, 1e-6), completed=first, done=hms(first),
                                    length=hms(total_s), speed="")

                def update(done: float) -> None:
                    elapsed = max(time.monotonic() - began, 1e-6)
                    bar.update(task, completed=done, done=hms(done),
                               speed=f"{(done - first) / elapsed:.1f}× real time")
                yield update
            return
        began = last = time.monotonic()
        first = latest = printed = start
        finished = False

        def line(done: float, total: float, now: float) -> None:
            speed = (done - first) / max(now - began, 1e-6)
            eta = (total - done) / speed if speed > 0 else 0.0
            pct = 100.0 * done / total if total > 0 else 100.0
            print(f"{label}: {hms(done)} / {hms(total)} ({pct:.0f}%), {speed:.1f}× real time, "
                  f"ETA {hms(eta)}", file=self.stream, flush=True)

        def log(done: float) -> None:
            nonlocal last, finished, latest, printed
            latest = done
            now = time.monotonic()
            if finished or (now - last < LOG_EVERY_S and done < total_s):
                return
            last, finished, printed = now, done >= total_s, done
            line(done, total_s, now)
        yield log
        if not finished and latest > printed:  # the audio ended before the container's duration said
            line(latest, latest, time.monotonic())
