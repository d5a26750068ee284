"""What a run writes is safe (issue 16, bugs 5, 6, 13 and 14), through the real CLI: a full
disk is named as such with the file that could not be written, two runs never write the same
files at once, and a transcript is never replaced by another input's run. Each of these
failed before its fix."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE, SAMPLES, ffmpeg, run_cli
from test_first_hour import whisper_transcript

SMALL_DISK = r'''
size=$1 disk=$2; shift 2
mount -t tmpfs -o "size=$size" tmpfs "$disk" || exit 99
if [ -n "$FILL" ]; then head -c 10000000 /dev/zero > "$disk/filler" 2>/dev/null; fi
"$@"; rc=$?
echo "LEFT:"; ls -A "$disk"
exit $rc
'''
"""Runs a command with a tmpfs of ``size`` mounted on ``disk``, in a mount namespace of its
own (so nothing outside sees it, and it goes when the command ends), then lists what is left
on it."""


@functools.lru_cache(maxsize=None)
def _no_small_disk() -> str | None:
    """Why a small disk cannot be made here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None:
        return "a full disk is simulated with a tmpfs in a private mount namespace: needs root and unshare(1)"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a private mount namespace here ({probe.stderr.strip()[:100]})"
    return None


def run_on_small_disk(disk: Path, size: str, *args, fill: bool = False, cwd: Path | None = None):
    """``transcribe ARGS`` with a ``size`` tmpfs on ``disk`` (``fill``: full before the run starts).

    Returns ``(process, left)``: the finished process (stdout without the listing) and the names
    left on the disk when the run ended."""
    reason = _no_small_disk()
    if reason:
        pytest.skip(reason)
    disk.mkdir(exist_ok=True)
    env = {**os.environ, "FILL": "1" if fill else ""}
    proc = subprocess.run(["unshare", "-m", "sh", "-c", SMALL_DISK, "sh", size, str(disk),
                           sys.executable, "-m", "transcribe", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    assert proc.returncode != 99, proc.stderr
    out, _, listing = proc.stdout.rpartition("LEFT:\n")
    proc.stdout = out
    return proc, [name for name in listing.splitlines() if name != "filler"]


def one_line_error(proc, *needles: str, code: int = 1) -> str:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("transcribe: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _talk(tmp_path: Path) -> Path:
    """The sample talk with its saved transcript beside it (notes in seconds, no ASR)."""
    media = tmp_path / "talk.mp4"
    shutil.copy(SAMPLE, media)
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "talk.transcript.json")
    return media


# Bug 5: --embed-chapters


def test_a_full_disk_while_embedding_says_so_and_names_the_copy(tmp_path):
    media = _talk(tmp_path)
    disk = tmp_path / "disk"
    proc, left = run_on_small_disk(disk, "64k", media, "-q", "--embed-chapters", disk / "talk.mp4")
    line = one_line_error(proc, f"{disk / 'talk.mp4'}: cannot write", "the disk is full")
    assert "try a .mkv" not in line and "ffmpeg" not in line
    assert left == []  # neither the partial copy nor the chapter file stays
    assert not (tmp_path / "talk.md").exists()  # the copy is made first: no notes either


def test_an_unsupported_container_is_said_before_an_existing_notes_file(tmp_path):
    f = tmp_path / "bush.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(f))
    (tmp_path / "bush.md").write_text("mine")
    line = one_line_error(run_cli(f, "--embed-chapters", tmp_path / "x.avi"), "--embed-chapters",
                          "chapters can be embedded in", code=2)
    assert "already exists" not in line


def test_h264_into_webm_is_refused_in_one_clear_line_before_any_work(tmp_path):
    media = _talk(tmp_path)
    proc = run_cli(media, "--embed-chapters", tmp_path / "talk.webm")
    line = one_line_error(proc, "talk.webm", "VP8, VP9 or AV1", "Opus or Vorbis", "h264", ".mkv", code=2)
    assert "Could not write header" not in line
    assert "Splitting sentences" not in proc.stderr  # refused before the notes were made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4", "talk.transcript.json"]


# Bug 6: a full disk while transcribing


@pytest.fixture
def clip(tmp_path) -> Path:
    """20 s of the sample's speech, outside the small disk."""
    out = tmp_path / "clip.wav"
    ffmpeg("-i", str(SAMPLE), "-t", "20", "-vn", "-ac", "1", "-ar", "16000", str(out))
    return out


def test_a_disk_full_before_the_run_is_said_before_transcribing(tmp_path, clip):
    disk = tmp_path / "disk"
    proc, left = run_on_small_disk(disk, "64k", clip, "-o", disk / "clip.md", fill=True)
    one_line_error(proc, f"{disk / 'clip.md'}: cannot write", "the disk is full", "free some space")
    assert "Loading the ASR model" not in proc.stderr  # no minutes of work lost to it
    assert left == []


@pytest.mark.parametrize("size", ["8k", "12k"])
def test_a_disk_that_fills_while_transcribing_names_the_file_it_could_not_write(tmp_path, clip, size):
    disk = tmp_path / "disk"
    # 8k: room for the lock and the journal's first line, not for its first window (whose
    # failed flush was once re-raised as a bare OSError); 12k: not for the transcript too.
    proc, left = run_on_small_disk(disk, size, clip, "-q", "-o", disk / "clip.md")
    line = one_line_error(proc, "the disk is full")
    named = line.removeprefix("transcribe: error: ").split(": ")[0]
    assert named in (str(disk / "clip.transcript.json"), str(disk / "clip.transcript.partial.jsonl")), line
    assert "OSError" not in line and "Errno" not in line and not line.startswith(f"transcribe: error: {clip}")
    assert not [name for name in left if name.startswith(".transcribe-")]  # no temporary file stays
    assert "clip.md" not in left and "clip.transcript.json" not in left


def test_a_full_disk_while_writing_notes_names_the_notes_file(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    disk = tmp_path / "disk"
    proc, left = run_on_small_disk(disk, "8k", "chapters", transcript, "-q", "-o", disk / "notes.md",
                                   "-f", "md", "-f", "srt", "-f", "json")
    line = one_line_error(proc, "the disk is full")
    named = Path(line.removeprefix("transcribe: error: ").split(": ")[0])
    assert named in (disk / "notes.md", disk / "notes.srt", disk / "notes.json"), line
    assert named.name not in left and not [name for name in left if name.startswith(".transcribe-")]


# Bug 13: two runs at once


def test_a_second_run_on_the_same_files_refuses_while_the_first_runs(tmp_path):
    talk = tmp_path / "long.wav"
    ffmpeg("-i", str(SAMPLE), "-t", "120", "-vn", "-ac", "1", "-ar", "16000", str(talk))
    other = whisper_transcript(tmp_path / "other.transcript.json")
    first = subprocess.Popen([sys.executable, "-m", "transcribe", str(talk)], stderr=subprocess.PIPE, text=True)
    try:
        for line in first.stderr:  # the lock is taken before the model loads
            if line.startswith("Loading the ASR model"):
                break
        assert first.poll() is None, "the first run ended early"
        second = run_cli(talk, timeout=120)
        one_line_error(second, f"{talk}: is being transcribed by another run (pid {first.pid})", "wait for it")
        second = run_cli(talk, "--force", "-f", "srt", timeout=120)  # it would write long.transcript.json too
        one_line_error(second, f"is being transcribed by another run (pid {first.pid})")
        notes = run_cli("chapters", other, "-o", tmp_path / "long.md", timeout=120)
        one_line_error(notes, f"is being transcribed by another run (pid {first.pid})")
        assert not (tmp_path / "long.md").exists()
    finally:
        first.kill()  # kill -9: its lock must go with it
        first.wait()
        first.stderr.close()
    after = run_cli("chapters", other, "-o", tmp_path / "long.md", "-q", timeout=120)
    assert after.returncode == 0, after.stderr
    assert (tmp_path / "long.md").is_file()
    assert not list(tmp_path.glob(".*transcribe-lock"))  # the one kill -9 left is gone too


# Bug 14: a transcript belongs to its input


def test_force_never_replaces_another_inputs_transcript(tmp_path):
    mp3 = tmp_path / "bush.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(mp3))
    theirs = whisper_transcript(tmp_path / "bush.transcript.json")  # made from bush.ogg
    before = theirs.read_bytes()
    for args in ([], ["--force"]):
        line = one_line_error(run_cli(mp3, *args), f"{theirs}: is the transcript of bush.ogg, not of bush.mp3",
                              "--force", f"-o {tmp_path / 'bush-mp3.md'}")
        assert "already exist" not in line
    assert theirs.read_bytes() == before and not (tmp_path / "bush.md").exists()
    proc = run_cli(mp3, "-q", "-o", tmp_path / "bush-mp3.md")  # what the message says to do
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "bush-mp3.transcript.json").is_file() and theirs.read_bytes() == before


def test_another_inputs_unfinished_transcription_is_kept(tmp_path):
    mp3 = tmp_path / "bush.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(mp3))
    journal = tmp_path / "bush.transcript.partial.jsonl"
    journal.write_text(json.dumps({"journal": 1, "source": {"file": "bush.ogg", "size": 5}}) + "\n")
    one_line_error(run_cli(mp3, "--force"), f"{journal}: is the unfinished transcription of bush.ogg",
                   "bush-mp3.md")
    assert journal.read_text().startswith('{"journal": 1')


def test_a_refusal_names_every_file_the_run_would_replace(tmp_path):
    mp3 = tmp_path / "bush.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(mp3))
    from transcribe import media, pipeline

    ours = whisper_transcript(tmp_path / "bush.transcript.json")  # this input's, by another model
    data = json.loads(ours.read_text())
    data.update(model="small", source=pipeline.source_fingerprint(media.probe(mp3), 0))
    ours.write_text(json.dumps(data))
    for name in ("bush.md", "bush.srt", "bush.mkv"):
        (tmp_path / name).write_text("mine")
    proc = run_cli(mp3, "-f", "md", "-f", "srt", "--embed-chapters", tmp_path / "bush.mkv")
    line = one_line_error(proc, "already exist", "--force")
    for name in ("bush.md", "bush.srt", "bush.transcript.json", "bush.mkv"):
        assert str(tmp_path / name) in line, line
    assert "Loading the ASR model" not in proc.stderr
