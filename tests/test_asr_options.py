"""What the user tells Whisper (--initial-prompt, --hotwords, --language) and what the run says
back when the speech is not what it was told."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SAMPLE, ffmpeg, run_cli
from test_mandarin import SPEECH_ZH
from transcribe.asr import Segment, Word
from transcribe.asr_checks import low_confidence


@pytest.fixture
def gutenberg_clip(tmp_path: Path) -> Path:
    """16 s of the sample in which Whisper base writes "Guttenberg" for Gutenberg."""
    out = tmp_path / "bible.wav"
    ffmpeg("-ss", "38", "-i", str(SAMPLE), "-t", "16", "-vn", "-ac", "1", "-ar", "16000", str(out))
    return out


@pytest.mark.slow
def test_hotwords_reach_whisper_and_a_changed_hint_is_not_served_from_the_old_transcript(gutenberg_clip):
    folder = gutenberg_clip.parent
    plain = run_cli(gutenberg_clip, "-f", "txt", "-q")
    assert plain.returncode == 0, plain.stderr
    assert "Guttenberg" in (folder / "bible.txt").read_text(encoding="utf-8")
    again = run_cli(gutenberg_clip, "-f", "txt", "-q", "--hotwords", "Gutenberg")
    assert again.returncode != 0 and "bible.transcript.json" in again.stderr  # not reused, not replaced silently
    forced = run_cli(gutenberg_clip, "-f", "txt", "-q", "--hotwords", "Gutenberg", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Gutenberg or 42" in (folder / "bible.txt").read_text(encoding="utf-8")
    saved = json.loads((folder / "bible.transcript.json").read_text(encoding="utf-8"))
    assert saved["hints"] == {"hotwords": "Gutenberg"}
    reused = run_cli(gutenberg_clip, "-f", "txt", "--hotwords", "Gutenberg", "--force")
    assert reused.returncode == 0 and "Reusing the transcript" in reused.stderr


@pytest.mark.slow
def test_initial_prompt_reaches_whisper(gutenberg_clip):
    done = run_cli(gutenberg_clip, "-f", "txt", "-q", "--initial-prompt", "The Gutenberg Bible.")
    assert done.returncode == 0, done.stderr
    assert "Gutenberg or 42" in (gutenberg_clip.parent / "bible.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_forced_wrong_language_is_reported(tmp_path):
    """Mandarin forced to English: Whisper writes garbage; the run says the language-ID head
    hears Mandarin, and how to run it instead."""
    clips = sorted((SPEECH_ZH / "thchs30").glob("D4_75*.wav"))[:2]
    if len(clips) < 2:
        pytest.skip("../shared/eval/speech_zh not present")
    out = tmp_path / "zh.wav"
    inputs = [arg for c in clips for arg in ("-i", str(c))]
    ffmpeg(*inputs, "-filter_complex", f"concat=n={len(clips)}:v=0:a=1", str(out))
    done = run_cli(out, "--language", "en", "-f", "json", "-q")
    assert done.returncode == 0, done.stderr
    assert "sounds like 'zh'" in done.stderr and "--language zh" in done.stderr


def test_very_low_word_probabilities_are_reported_and_normal_ones_are_not():
    def segments(p: float, n: int = 40) -> list[Segment]:
        return [Segment(0.0, 10.0, "x", [Word(i * 0.2, i * 0.2 + 0.1, " x", p) for i in range(n)])]
    assert "confidence is very low (mean word probability 0.52)" in low_confidence(segments(0.52))  # Apollo 11 radio
    assert low_confidence(segments(0.74)) is None  # the noisiest film clip measured
    assert low_confidence(segments(0.1, n=10)) is None  # too few words to judge
