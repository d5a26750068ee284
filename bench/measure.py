"""Shared by the benchmarks: run a command and measure it."""

from __future__ import annotations

import os
import subprocess
import time


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; returns ``(wall seconds, peak RSS in MB)`` of the process (``ru_maxrss``).

    Raises:
        SystemExit: the command fails (its stderr is the message).
    """
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[3:5])} failed: {err.strip()}")
    return wall, usage.ru_maxrss / 1024
