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
    out = tmp_path / "talk notes.md"
    proc = subprocess.run(cmd + [str(SAMPLE), "-o", str(out)], capture_output=True, text=True, timeout=900)
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
    again = subprocess.run(cmd + [str(SAMPLE), "-o", str(out), "--force", "--chapters", "3"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "Reusing the transcript" in again.stderr and "Transcribing" not in again.stderr
    assert len(re.findall(r"^## \d\d:\d\d:\d\d – ", out.read_text(encoding="utf-8"), re.M)) == 3
