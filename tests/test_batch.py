"""``transcribe batch``: many files, local workers and Ray, the manifest, re-runs, a dying worker.

Six short real files are cut from the sample talk at test time (5 clips of 9-14 s of speech
in nested folders, and random bytes named ``.mp3``). The Ray tests start their own Ray head
(2 CPUs) inside a network namespace of their own that has only loopback (``unshare -n``):
Ray binds to the machine's network address otherwise, even when told 127.0.0.1. They skip
where Ray is not installed (``pip install '.[ray]'``) or no namespace can be made.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SAMPLE, ffmpeg, run_cli

from transcribe.batch import WORKER_MEMORY_MB, choose_workers
from transcribe.batch_inputs import expand, plan
from transcribe.cli_options import ray_flag

CLIPS = {"a/one.mp3": (0, 9), "a/b/two.m4a": (60, 12), "c/three.wav": (150, 10), "c/four.mp3": (240, 14),
         "five.ogg": (330, 11)}
BROKEN = "c/broken.mp3"
KILLED = "two.m4a"
"""The file whose first worker the test hook kills (``TRANSCRIBE_BATCH_TEST_DIE_ON``)."""


@pytest.fixture(scope="module")
def talks(tmp_path_factory) -> Path:
    """A folder of five real clips in nested folders and one broken file."""
    root = tmp_path_factory.mktemp("batch") / "talks"
    for name, (start, length) in CLIPS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        ffmpeg("-ss", str(start), "-t", str(length), "-i", str(SAMPLE), "-vn", "-ac", "1", "-ar", "16000",
               str(root / name))
    (root / BROKEN).write_bytes(bytes(range(256)) * 120)
    return root


def _batch(*args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return run_cli("batch", *args, timeout=timeout) if env is None else subprocess.run(
        [sys.executable, "-m", "transcribe", "batch", *map(str, args)], capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **env})


def _latest(out: Path, manifest: Path | None = None) -> dict[str, dict]:
    """Each input's last manifest line (every line must parse)."""
    lines = (manifest or out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return {Path(d["input"]).name: d for d in map(json.loads, lines)}


def _check_first_run(out: Path, talks: Path, proc: subprocess.CompletedProcess,
                     manifest: Path | None = None) -> None:
    """``manifest``: the manifest as the first run left it (default: OUTDIR's)."""
    assert proc.returncode == 1, proc.stderr  # one file failed
    manifest = manifest or out / "manifest.jsonl"
    latest = _latest(out, manifest)
    assert len(latest) == 6 and len(manifest.read_text().splitlines()) == 6
    assert sorted(d["status"] for d in latest.values()) == ["failed"] + ["ok"] * 5
    broken = latest["broken.mp3"]
    assert "not a media file" in broken["error"] and broken["input"] == str(talks / BROKEN)
    assert latest[KILLED]["attempts"] == 2  # its first worker died; another did it
    for name in CLIPS:
        entry = latest[Path(name).name]
        assert entry["outputs"] == [str(out / f"{name}.md"), str(out / f"{name}.transcript.json")]
        assert entry["duration_s"] > 8 and entry["rtf"] > 0 and entry["key"]
    assert "Done: 5 ok, 1 failed, 0 skipped" in proc.stderr and "[6/6]" in proc.stderr
    assert "ETA" in proc.stderr and "Traceback" not in proc.stderr


def _check_rerun(out: Path, proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Skipping 5 files" in proc.stderr
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()[6:]]
    assert sorted(d["status"] for d in lines) == ["failed"] + ["skipped"] * 5
    assert "Done: 0 ok, 1 failed, 5 skipped" in proc.stderr


@pytest.fixture(scope="module")
def local_run(talks, tmp_path_factory):
    """``--workers 2`` over the six files, the first worker on two.m4a killed."""
    out = tmp_path_factory.mktemp("local") / "notes"
    proc = _batch(talks, "-o", out, "--workers", "2", env={"TRANSCRIBE_BATCH_TEST_DIE_ON": KILLED})
    return out, proc


def test_local_workers_do_every_file_and_retry_the_killed_one(talks, local_run):
    out, proc = local_run
    _check_first_run(out, talks, proc)
    assert "2 workers of 1 thread" in proc.stderr


def test_outputs_are_those_of_a_single_file_run(talks, local_run, tmp_path):
    out, _ = local_run
    clip = tmp_path / KILLED
    shutil.copy(talks / "a/b" / KILLED, clip)
    single = run_cli(clip, "-o", tmp_path / "single.md", "-q")
    assert single.returncode == 0, single.stderr
    assert (out / "a/b/two.m4a.md").read_text(encoding="utf-8") == (tmp_path / "single.md").read_text(encoding="utf-8")
    ours = json.loads((out / "a/b/two.m4a.transcript.json").read_text())
    theirs = json.loads((tmp_path / "single.transcript.json").read_text())
    assert ours == theirs


def test_a_rerun_skips_what_is_done_and_retries_the_failed(talks, local_run):
    out, _ = local_run
    _check_rerun(out, _batch(talks, "-o", out, "--workers", "2"))


def test_ctrl_c_stops_cleanly_and_the_same_command_continues(talks, tmp_path):
    out = tmp_path / "notes"
    cmd = [sys.executable, "-m", "transcribe", "batch", str(talks), "-o", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True,  # SIGINT as from a terminal, even when
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # run in the background
    for line in proc.stderr:
        if line.startswith("[1/6]"):
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert "interrupted: 1 of 6 files finished" in rest and "run the same command again to continue" in rest
    assert "Traceback" not in rest
    assert len(_latest(out)) >= 1  # a valid prefix: every line parses
    again = _batch(talks, "-o", out, "--workers", "2")
    assert again.returncode == 1 and "Skipping 1 file" in again.stderr, again.stderr
    assert sorted(d["status"] for d in _latest(out).values()) == ["failed"] + ["ok"] * 4 + ["skipped"]


def _namespace_ok() -> str | None:
    """Why the Ray tests cannot run here, or None."""
    if importlib.util.find_spec("ray") is None:
        return "Ray is not installed (pip install '.[ray]')"
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "needs unshare and ip (util-linux, iproute2) for a loopback-only network namespace"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot make a network namespace (unshare -n: {probe.stderr.strip()[:100]}); needs root"
    return None


def test_ray_cluster_runs_the_same_batch(talks, local_run, tmp_path):
    """A Ray head with 2 CPUs on 127.0.0.1 in a namespace of our own: the batch with the killed
    worker, the outputs of the local run, then a re-run with a bare --ray (a local instance)."""
    why = _namespace_ok()
    if why:
        pytest.skip(why)
    out, ray_bin = tmp_path / "notes", Path(sys.executable).with_name("ray")
    transcribe = f"{sys.executable} -m transcribe batch {talks} -o {out}"
    script = textwrap.dedent(f"""\
        set -u
        ip link set lo up
        export RAY_AUTH_MODE=disabled RAY_USAGE_STATS_ENABLED=0
        trap '{ray_bin} stop --force >/dev/null 2>&1' EXIT
        {ray_bin} start --head --num-cpus 2 --node-ip-address 127.0.0.1 --port 6399 \\
            --include-dashboard false --disable-usage-stats >/dev/null 2>&1 || exit 90
        TRANSCRIBE_BATCH_TEST_DIE_ON={KILLED} {transcribe} --ray 127.0.0.1:6399 --workers 2 2>{tmp_path}/first.err
        echo "RC first $?"
        cp {out}/manifest.jsonl {tmp_path}/first.jsonl
        {ray_bin} stop --force >/dev/null 2>&1
        {transcribe} --ray 2>{tmp_path}/again.err
        echo "RC again $?"
        """)
    proc = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=400)
    assert proc.returncode != 90, "ray start failed inside the namespace"
    codes = dict(line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("RC "))
    assert set(codes) == {"first", "again"}, proc.stdout + proc.stderr
    first, again = (subprocess.CompletedProcess([], int(codes[name]), "", (tmp_path / f"{name}.err").read_text())
                    for name in ("first", "again"))
    _check_first_run(out, talks, first, tmp_path / "first.jsonl")
    assert "on the Ray cluster at 127.0.0.1:6399" in first.stderr
    assert all(d["worker"].startswith("ray:") for d in _latest(out, tmp_path / "first.jsonl").values())
    local_out, _ = local_run
    for name in CLIPS:
        assert (out / f"{name}.md").read_bytes() == (local_out / f"{name}.md").read_bytes(), name
    _check_rerun(out, again)
    assert "on a local Ray instance" in again.stderr


def test_an_unreachable_ray_cluster_falls_back_to_local_workers(talks, tmp_path):
    proc = _batch(talks / BROKEN, "-o", tmp_path / "notes", "--ray", "127.0.0.1:1")
    assert "--ray 127.0.0.1:1: cannot reach the Ray cluster" in proc.stderr
    assert "running on local workers instead" in proc.stderr and "on this machine" in proc.stderr
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_ray_flag_without_ray_says_how_to_install(talks, tmp_path):
    code = ("import sys; sys.modules['ray'] = None; from transcribe.cli import main; "
            f"main(['batch', {str(talks / BROKEN)!r}, '-o', {str(tmp_path / 'n')!r}, '--ray'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == ("transcribe: error: --ray needs Ray, which is not installed: "
                                                   "pip install '.[ray]' (in the project folder)")


@pytest.mark.parametrize("args, message, status", [
    (["missing-folder"], "missing-folder: no such file or folder", 1),
    (["*.nothing-matches"], "no file matches", 1),
    (["--workers", "-1"], "--workers -1: must be 1 or more", 2),
    (["--format", "pdf"], "--format pdf: unknown format", 2),
    (["--chapters", "0"], "--chapters 0: must be 1 or more", 2),
])
def test_bad_inputs_and_options_are_one_line(talks, tmp_path, args, message, status):
    inputs = args if not args[0].startswith("-") else [str(talks), *args]
    proc = _batch(*inputs, "-o", tmp_path / "n")
    assert proc.returncode == status, proc.stderr  # 1: a bad input, as for one file; 2: a bad option
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "n" / "manifest.jsonl").exists()


def test_inputs_folders_globs_and_lists(tmp_path):
    for name in ("x/a.mp4", "x/y/b.MP3", "x/.hidden.mp3", "x/notes.md", "z/c.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"\0")
    (tmp_path / "list.txt").write_text("# lectures\nz/c.wav\n\nx/a.mp4\n")
    files, root = expand(["x", str(tmp_path / "z" / "*.wav"), "list.txt"], cwd=tmp_path)
    assert files == [tmp_path / "x/a.mp4", tmp_path / "x/y/b.MP3", tmp_path / "z/c.wav"]  # each once
    assert root == tmp_path
    notes = [p.notes for p in plan(files, root, tmp_path / "out", ".md")]
    assert notes == [tmp_path / "out/x/a.mp4.md", tmp_path / "out/x/y/b.MP3.md", tmp_path / "out/z/c.wav.md"]
    # talk.mp4 and talk.mp3 side by side: their outputs cannot clash
    assert len({p.notes for p in plan([tmp_path / "t.mp4", tmp_path / "t.mp3"], tmp_path, tmp_path, ".md")}) == 2


def test_default_workers_fit_cores_memory_and_files():
    assert choose_workers(0, 0, 10, 2, 20000).workers == 2 and choose_workers(0, 0, 10, 2, 20000).threads == 1
    assert choose_workers(0, 0, 10, 16, 3 * WORKER_MEMORY_MB).workers == 3  # memory-bound
    assert choose_workers(0, 0, 1, 8, 20000).threads == 8  # one file: one worker, every core
    plan_ = choose_workers(0, 0, 10, 4, 20000)
    assert plan_.workers * plan_.threads <= 4 and "4 cores" in plan_.why
    assert choose_workers(3, 0, 10, 2, None).workers == 3 and "as asked" in choose_workers(3, 0, 10, 2, None).why


def test_ray_takes_an_optional_address():
    assert ray_flag(["talks", "-o", "out", "--ray"]) == ["talks", "-o", "out", "--ray=local"]
    assert ray_flag(["--ray", "talks", "-o", "o"]) == ["--ray=local", "talks", "-o", "o"]
    assert ray_flag(["--ray", "10.0.0.5:6379", "talks"]) == ["--ray", "10.0.0.5:6379", "talks"]
    assert ray_flag(["--ray", "ray://head:10001"]) == ["--ray", "ray://head:10001"]
    assert ray_flag(["--ray", "auto", "t"]) == ["--ray", "auto", "t"]
