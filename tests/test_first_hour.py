"""A new user's first hour (issue 16): each rough edge through the real CLI, each of these
failing before its fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE, SAMPLES, run_cli

SPEECH = ("My fellow Americans, this day has brought terrible news and great sadness to our country. "
          "At nine this morning, Mission Control in Houston lost contact with our Space Shuttle Columbia. "
          "A short time later, debris was seen falling from the skies above Texas.")


def whisper_transcript(path: Path, text: str = SPEECH, seconds_per_word: float = 0.4) -> Path:
    """A transcript JSON as faster-whisper writes it: every word with its leading space."""
    words, t = [], 0.0
    for w in text.split():
        words.append({"start": round(t, 2), "end": round(t + 0.3, 2), "text": " " + w, "probability": 0.9})
        t += seconds_per_word
    data = {"version": 1, "language": "en", "duration": t + 0.5, "model": "base", "source": {"file": "bush.ogg"},
            "segments": [{"start": 0.0, "end": t, "text": text, "words": words}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_first_word_stays_in_the_first_sentence(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = run_cli("chapters", transcript, "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    sentences = json.loads((tmp_path / "bush.json").read_text(encoding="utf-8"))["sentences"]
    assert sentences[0]["text"].startswith("My fellow Americans, this day"), sentences[:2]
    assert all(len(s["text"].split()) > 1 for s in sentences)


def test_the_format_follows_the_suffix_of_o(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = run_cli("chapters", transcript, "-o", tmp_path / "subs.srt", "-q")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "subs.srt").read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> ")
    assert not (tmp_path / "subs.md").exists()
    result = run_cli("chapters", transcript, "-o", tmp_path / "notes.youtube.txt", "-q")
    assert result.returncode == 0 and (tmp_path / "notes.youtube.txt").read_text().startswith("00:00 ")


def test_a_format_that_contradicts_the_suffix_is_refused(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = run_cli("chapters", transcript, "-o", tmp_path / "n.md", "-f", "srt")
    assert result.returncode == 2
    assert "-o" in result.stderr and "srt" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "n.md").exists() and not (tmp_path / "n.srt").exists()


def test_o_dash_writes_to_standard_output(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = run_cli("chapters", transcript, "-o", "-", "-f", "json", "-f", "srt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["chapters"]
    assert not (tmp_path / "-").exists()
    assert (tmp_path / "bush.srt").is_file()  # the other formats beside the transcript
    assert "standard output" in result.stderr


def test_a_file_named_chapters_does_not_hide_the_subcommand(tmp_path):
    whisper_transcript(tmp_path / "bush.transcript.json")
    (tmp_path / "chapters").write_bytes(b"not media")
    result = run_cli("chapters", "bush.transcript.json", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bush.md").is_file()


def test_a_bad_device_is_refused_before_a_saved_transcript_is_used(tmp_path):
    media = tmp_path / "talk.mp4"
    shutil.copy(SAMPLE, media)
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "talk.transcript.json")
    result = run_cli(media, "--device", "tpu")
    assert result.returncode == 2 and "--device tpu" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "talk.md").exists()


def test_youtube_advice_that_cannot_work_is_not_given(tmp_path):
    transcript = whisper_transcript(tmp_path / "short.transcript.json")  # 16 s: room for one chapter
    result = run_cli("chapters", transcript, "-f", "youtube", "--chapters", "3")
    assert result.returncode == 0, result.stderr
    assert "YouTube shows chapters only" in result.stderr and "too short" in result.stderr
    assert "try --chapters" not in result.stderr


def test_counts_are_worded_in_the_singular(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = run_cli("chapters", transcript)
    assert result.returncode == 0, result.stderr
    assert "Read 1 segment from" in result.stderr and "1 segments" not in result.stderr


@pytest.mark.parametrize("url", ["https://www.youtube.com/watch?v=abc", "http://example.org/talk.mp3"])
def test_a_url_is_not_taken_for_a_file(url, tmp_path):
    result = run_cli(url, cwd=tmp_path)
    assert result.returncode == 2 and f"{url}: URLs are not supported" in result.stderr
    assert "download" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_bundled_ffmpeg_decodes_whatever_ffmpeg_is_on_path(speech_clip, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ffmpeg").write_text("#!/bin/sh\necho 'not this ffmpeg' >&2\nexit 1\n")
    (fake / "ffmpeg").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("TRANSCRIBE_FFMPEG", None)
    result = subprocess.run([sys.executable, "-m", "transcribe", str(speech_clip), "-q"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "wood" in speech_clip.with_suffix(".md").read_text(encoding="utf-8").lower()


def _srt(path: Path, cues: list[tuple[float, str]]) -> Path:
    def t(s: float) -> str:
        return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{int(s % 60):02d},{int(round(s % 1 * 1000)):03d}"
    path.write_text("".join(f"{i}\n{t(s)} --> {t(s + 4)}\n{text}\n\n" for i, (s, text) in enumerate(cues, 1)),
                    encoding="utf-8")
    return path


def test_subtitle_cues_follow_the_rule_for_times_that_step_back(tmp_path):
    far = _srt(tmp_path / "far.srt", [(300, "Five minutes in."), (60, "One minute in."), (360, "Six minutes in.")])
    result = run_cli("chapters", far, "-q")
    assert result.returncode == 1 and "cue 2 starts 240 s earlier" in result.stderr
    assert not (tmp_path / "far.md").exists()
    near = _srt(tmp_path / "near.srt", [(300, "Five minutes in."), (290, "A bit earlier."), (310, "Later on.")])
    result = run_cli("chapters", near, "-f", "json", "-q")
    assert result.returncode == 0 and result.stderr.count("warning:") == 1 and "cue 2" in result.stderr
    starts = [s["start"] for s in json.loads((tmp_path / "near.json").read_text())["sentences"]]
    assert starts == sorted(starts)


def test_a_stamp_that_is_not_a_time_is_refused(tmp_path):
    text = tmp_path / "bad.txt"
    text.write_text("[00:00:10] A fine line.\n[00:61:00] Minutes past sixty.\n", encoding="utf-8")
    result = run_cli("chapters", text)
    assert result.returncode == 1 and "line 2: [00:61:00] is not a time" in result.stderr


def test_chapters_n_that_cannot_be_met_is_said_by_the_chapters_command_too(tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = run_cli("chapters", transcript, "--chapters", "5", "-q")
    assert result.returncode == 0 and "--chapters 5: only 1 chapter of at least 30 s fits" in result.stderr


@pytest.mark.parametrize("args, env, message", [
    (["--llm", "http://"], {}, "--llm http://: give the server's base URL"),
    ([], {"TRANSCRIBE_LLM_URL": "notaurl"}, "TRANSCRIBE_LLM_URL=notaurl: give"),
    (["--llm", "http://127.0.0.1:9/v1"], {"TRANSCRIBE_LLM_TIMEOUT": "-3"}, "TRANSCRIBE_LLM_TIMEOUT=-3: must be"),
])
def test_llm_settings_are_checked_and_named_as_given(args, env, message, tmp_path):
    transcript = whisper_transcript(tmp_path / "bush.transcript.json")
    result = subprocess.run([sys.executable, "-m", "transcribe", "chapters", str(transcript), "-q", *args],
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "bush.md").exists()


def test_a_chapter_of_short_lines_still_has_a_summary(tmp_path):
    text = tmp_path / "short.txt"
    text.write_text("[1:00:00] Hello there.\n[1:00:10] Fine day.\n", encoding="utf-8")
    result = run_cli("chapters", text, "-f", "json", "-q")
    assert result.returncode == 0, result.stderr
    chapters = json.loads((tmp_path / "short.json").read_text(encoding="utf-8"))["chapters"]
    assert chapters and all(c["summary"].strip() for c in chapters)


def test_a_file_url_is_answered_with_its_path(tmp_path):
    result = run_cli(f"file://{tmp_path}/talk.mp4")
    assert result.returncode == 2 and f"({tmp_path}/talk.mp4)" in result.stderr
