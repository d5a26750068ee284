"""Shared helpers: make small media files with the bundled ffmpeg, run the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SAMPLE = SAMPLES / "talk.mp4"
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg quietly; raises on failure."""
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *args], check=True)


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m transcribe ARGS`` as a user would run it; returns the finished process."""
    return subprocess.run([sys.executable, "-m", "transcribe", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def sample_truth() -> dict:
    return json.loads((SAMPLES / "talk.chapters.json").read_text())


@pytest.fixture
def speech_clip(tmp_path: Path) -> Path:
    """The sample's first 20 s (English speech about printing), as 16 kHz WAV."""
    out = tmp_path / "clip.wav"
    ffmpeg("-i", str(SAMPLE), "-t", "20", "-vn", "-ac", "1", "-ar", "16000", str(out))
    return out
