"""Shared by the benchmarks: run a command and measure it."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd``; returns ``(wall seconds, peak RSS in MB, stderr)`` of the process
    (peak RSS: ``ru_maxrss`` from ``wait4``).

    Raises:
        SystemExit: the command fails (its stderr is the message).
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stderr=errors, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        errors.seek(0)
        err = errors.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[3:5])} failed: {err.strip()}")
    return wall, usage.ru_maxrss / 1024, err


def asr_seconds(stderr: str, duration_s: float) -> float | None:
    """Seconds the CLI spent decoding and transcribing, from the speed on its last progress
    line (``Transcribing: ... 24.3× real time``; printed when stderr is not a terminal and
    ``-q`` is not given): ``duration_s / speed``. ``None`` without such a line."""
    speeds = re.findall(r"^Transcribing: .*?([0-9.]+)× real time", stderr, flags=re.M)
    return duration_s / float(speeds[-1]) if speeds and float(speeds[-1]) > 0 else None
