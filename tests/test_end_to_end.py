"""The main job, for real: the installed CLI on the sample video with the bundled model."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLE, sample_truth


def _seconds(hms: str) -> int:
    h, m, s = map(int, hms.split(":"))
    return h * 3600 + m * 60 + s


def test_sample_talk_to_chapter_notes(tmp_path):
    exe = Path(sys.executable).with_name("transcribe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("transcribe") or "transcribe"]
    video = tmp_path / "talk.mp4"  # a copy without the committed transcript beside it: ASR really runs
    shutil.copy(SAMPLE, video)
    out = tmp_path / "talk notes.md"
    proc = subprocess.run(cmd + [str(video), "-o", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "Transcribing" in proc.stderr and "Wrote" in proc.stderr  # progress was shown
    md = out.read_text(encoding="utf-8")
    truth = sample_truth()

    starts = [_seconds(t) for t in re.findall(r"^## (\d\d:\d\d:\d\d) – .+$", md, re.M)]
    assert starts and starts[0] == 0
    assert starts == sorted(set(starts))
    assert all(0 <= s < truth["duration"] for s in starts)
    for topic in truth["chapters"]:
        assert min(abs(s - topic["start"]) for s in starts) <= 20, (topic["title"], starts)
    assert "- **Language:** en" in md and "- **Duration:** 00:11:0" in md

    transcript = tmp_path / "talk notes.transcript.json"
    assert transcript.is_file()
    # A second run re-chapters from the saved transcript without running ASR again.
    again = subprocess.run(cmd + [str(video), "-o", str(out), "--force", "--chapters", "3"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "Reusing the transcript" in again.stderr and "Transcribing" not in again.stderr
    assert len(re.findall(r"^## \d\d:\d\d:\d\d – ", out.read_text(encoding="utf-8"), re.M)) == 3


def test_rechaptering_elsewhere_reuses_the_transcript_beside_the_input(tmp_path):
    import shutil

    from conftest import SAMPLES, run_cli

    shutil.copy(SAMPLE, tmp_path / "talk.mp4")
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "talk.transcript.json")
    (tmp_path / "out").mkdir()
    proc = run_cli(tmp_path / "talk.mp4", "--chapters", "4", "-o", tmp_path / "out" / "four.md")
    assert proc.returncode == 0, proc.stderr
    assert "Reusing the transcript" in proc.stderr and "Transcribing" not in proc.stderr
    md = (tmp_path / "out" / "four.md").read_text(encoding="utf-8")
    starts = [_seconds(t) for t in re.findall(r"^## (\d\d:\d\d:\d\d) – ", md, re.M)]
    assert len(starts) == 4
    truth = [c["start"] for c in sample_truth()["chapters"]]
    assert all(min(abs(s - g) for s in starts) <= 20 for g in truth)
    # asking for more chapters than 30 s minimums allow: as many as fit, and a warning
    proc = run_cli(tmp_path / "talk.mp4", "--chapters", "50", "-o", tmp_path / "out" / "many.md")
    assert proc.returncode == 0, proc.stderr
    assert "--chapters 50: only" in proc.stderr
    many = [_seconds(t) for t in re.findall(r"^## (\d\d:\d\d:\d\d) – ", (tmp_path / "out" / "many.md").read_text(), re.M)]
    assert 15 <= len(many) < 50
    assert all(b - a >= 29 for a, b in zip(many, many[1:]))
