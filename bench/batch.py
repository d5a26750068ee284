"""Throughput of ``transcribe batch``: local workers against Ray, on the same real recordings.

Runs the real CLI over six real English recordings from ../shared/eval (Bush's Columbia address
and five dialogue and newsreader clips of *Night of the Living Dead*: 9.3 minutes in all, 45 s to
199 s each), each configuration into a fresh OUTDIR:

* ``loop``: ``transcribe FILE`` once per file, one after the other (what a shell loop does today:
  each run loads the models again);
* ``local-1``: ``transcribe batch --workers 1`` (one process, 2 ASR threads on 2 cores);
* ``local-2``: ``transcribe batch --workers 2`` (two processes of 1 thread);
* ``ray-2``: ``transcribe batch --ray --workers 2``: a local Ray instance started for the run
  (inside ``unshare -n`` with only loopback, as the tests run Ray), two actors of 1 CPU.

and prints per configuration: wall time (what the user waits, Ray's start and stop
included), files per hour, audio hours per wall hour, and the peak RSS of the largest process
(a worker; ``ru_maxrss`` from ``wait4``, which covers the reaped children), and the CPU time
that processes outside the run used meanwhile (``NOT CLEAN`` above 3 % of the machine: the
machine was shared); then Ray's overhead against ``local-2``. Writes bench/results/batch.json.

Tried and dropped: the Apollo 11 radio recording (89 s, noisy 8 kHz) in the set. Its time
varied from 12 s to 55 s between runs of the same command (the temperature fallback of
Whisper on its chunks; its transcript differed between runs too), which swamped the
differences between the configurations.

    python bench/batch.py                 # all four, about 5 minutes on 2 cores
    python bench/batch.py --configs local-1,local-2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval" / "speech_en"
NIGHT = EVAL / "night_of_the_living_dead_1968"
RECORDINGS = [EVAL / "gwbush_columbia_address" / "George_W_Bush_Columbia_FINAL.ogg",
              NIGHT / "119s_theres_supposed_to_be_another_broadcast.wav",
              NIGHT / "89s_ill_come_back_down_as_soon_as.wav",
              NIGHT / "60s_i_dont_want_anyones_life_on_my_hands.wav",
              NIGHT / "45s_dont_be_afraid_of_me.wav",
              NIGHT / "45s_right_through_the_billboard.wav"]
CONFIGS = ("loop", "local-1", "local-2", "ray-2")
OTHERS_LIMIT = 0.03
"""A configuration's figures are flagged when other processes used more than this share of the
machine's CPU time meanwhile."""


def _cpu_by_process() -> dict[int, tuple[int, float]]:
    """pid -> (session id, CPU seconds so far), for every process now."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                rest = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[int(entry.name)] = (int(rest[3]), (int(rest[11]) + int(rest[12])) / tick)
    return out


class OthersLoad:
    """CPU seconds used, while a command runs, by processes outside its session (the command is
    started in a session of its own): anything else on the machine that would skew the timing."""

    def __init__(self, session: int) -> None:
        self.session, self.cpu_s = session, 0.0
        self._seen = _cpu_by_process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            now = _cpu_by_process()
            for pid, (sid, cpu) in now.items():
                if sid != self.session and pid != os.getpid():
                    self.cpu_s += max(0.0, cpu - self._seen.get(pid, (sid, 0.0))[1])
            self._seen = now

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.cpu_s


def measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, str, float]:
    """``(wall seconds, peak RSS MB of the largest process, stderr, CPU seconds of other
    processes meanwhile)``; exits on failure."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        began = time.monotonic()
        proc = subprocess.Popen(cmd, stderr=err, stdout=subprocess.DEVNULL, env=env, start_new_session=True)
        others = OthersLoad(proc.pid)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - began
        other_cpu = others.stop()
        err.seek(0)
        text = err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[:6])} ... failed:\n{text[-2000:]}")
    return wall, usage.ru_maxrss / 1024, text, other_cpu


def run_config(name: str, files: list[Path], out: Path) -> dict:
    transcribe = [sys.executable, "-m", "transcribe"]
    if name == "loop":
        wall, peak, others = 0.0, 0.0, 0.0
        for f in files:
            w, p, _, o = measured(transcribe + [str(f), "-o", str(out / f"{f.name}.md"), "-q"])
            wall, peak, others = wall + w, max(peak, p), others + o
        return {"config": name, "wall_s": wall, "peak_rss_mb": peak, "others_cpu_s": others}
    batch = transcribe + ["batch", *map(str, files), "-o", str(out)]
    if name.startswith("local-"):
        wall, peak, err, others = measured(batch + ["--workers", name.split("-")[1]])
    else:
        inner = " ".join(f"'{a}'" for a in batch + ["--ray", "--workers", "2"])
        env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
        wall, peak, err, others = measured(["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {inner}"], env)
    done = [line for line in err.splitlines() if line.startswith("Done:")]
    chosen = [line for line in err.splitlines() if "files to do" in line]
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    first: dict[str, float] = {}
    for line in lines:  # in the order they finished: a worker's first line is its first file
        first.setdefault(line["worker"], line["wall_s"])
    return {"config": name, "wall_s": wall, "peak_rss_mb": peak, "others_cpu_s": others,
            "summary": done[-1] if done else None,
            "workers": chosen[0].split("; ", 1)[-1] if chosen else None,
            "work_s": sum(line["wall_s"] for line in lines), "first_file_s": first,
            "files": {Path(line["input"]).name: line["wall_s"] for line in lines}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "batch.json")
    args = ap.parse_args()
    missing = [f for f in RECORDINGS if not f.is_file()]
    if missing:
        raise SystemExit(f"{missing[0]}: not found (the evaluation data lives in ../shared/eval)")
    from transcribe.media import probe

    audio_s = sum(probe(f).duration for f in RECORDINGS)
    print(f"{len(RECORDINGS)} recordings, {audio_s:.0f} s of audio, {os.cpu_count()} cores", flush=True)
    results = []
    for name in args.configs.split(","):
        if name not in CONFIGS:
            raise SystemExit(f"{name}: not one of {', '.join(CONFIGS)}")
        out = Path(tempfile.mkdtemp(prefix=f"batch-{name}-"))
        try:
            r = run_config(name, RECORDINGS, out)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        hours = r["wall_s"] / 3600
        r.update(files_per_hour=len(RECORDINGS) / hours, audio_hours_per_hour=audio_s / 3600 / hours,
                 rtf=r["wall_s"] / audio_s)
        results.append(r)
        print(f"{name:8s} wall {r['wall_s']:6.1f} s  {r['files_per_hour']:6.0f} files/h  "
              f"{r['audio_hours_per_hour']:5.1f} audio h/h  RTF {r['rtf']:.3f}  peak RSS {r['peak_rss_mb']:5.0f} MB"
              + (f"  ({r['workers']})" if r.get("workers") else ""), flush=True)
        if r["others_cpu_s"] > OTHERS_LIMIT * r["wall_s"] * (os.cpu_count() or 1):
            print(f"{'':8s} NOT CLEAN: other processes used {r['others_cpu_s']:.1f} CPU seconds meanwhile", flush=True)
        if "work_s" in r:
            print(f"{'':8s} time in the workers {r['work_s']:.1f} s; each worker's first file (models loaded): "
                  + ", ".join(f"{v:.1f} s" for v in r["first_file_s"].values()), flush=True)
    summary = {"recordings": [str(f.relative_to(EVAL)) for f in RECORDINGS], "audio_s": audio_s,
               "cores": os.cpu_count(), "runs": results}
    by = {r["config"]: r for r in results}
    if {"local-2", "ray-2"} <= set(by):
        extra = by["ray-2"]["wall_s"] - by["local-2"]["wall_s"]
        summary["ray_overhead_s"] = extra
        summary["ray_overhead_pct"] = 100 * extra / by["local-2"]["wall_s"]
        print(f"Ray against local workers (2 each): {extra:+.1f} s ({summary['ray_overhead_pct']:+.0f} %)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
