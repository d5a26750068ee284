"""Stage 2: the bundled model, really transcribing real speech."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE, ffmpeg
from transcribe import asr, media
from transcribe.errors import TranscribeError, UsageError


@pytest.fixture(scope="module")
def model():
    return asr.load_model(asr.BUNDLED_MODEL, device="cpu")


def test_bundled_model_checksum():
    files = asr.bundled_model_files()
    assert len(files["model.bin"]) == 145_217_532
    assert set(files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}


def test_bundled_model_checksum_mismatch_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(asr.engines, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(TranscribeError, match="corrupt.*reinstall"):
        asr.bundled_model_files()


def test_transcribes_english_with_word_times(model, speech_clip):
    audio = media.decode(media.probe(speech_clip))
    tr = asr.transcribe(audio, model)
    assert tr.language == "en"
    text = " ".join(s.text for s in tr.segments).lower()
    assert "printing" in text and "arts and crafts" in text
    words = [w for s in tr.segments for w in s.words]
    assert len(words) > 30
    assert all(0 <= w.start <= w.end <= tr.duration + 0.5 for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    # round trip through JSON
    again = asr.Transcript.from_dict(json.loads(tr.to_json()))
    assert again == tr


def test_times_follow_the_containers_audio_offset(model, tmp_path):
    """Speech whose audio stream starts 4 s into the file: word times are shifted by 4 s."""
    late = tmp_path / "late.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=5:d=16", "-itsoffset", "4", "-t", "12", "-i",
           str(SAMPLE), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-c:a", "aac", "-shortest", str(late))
    audio = media.decode(media.probe(late))
    assert abs(audio.offset - 4.0) < 0.1
    shifted = asr.transcribe(audio, model, language="en")
    plain = asr.transcribe(media.Audio(samples=audio.samples), model, language="en")  # offset 0
    first_plain = plain.segments[0].words[0]
    first_shift = shifted.segments[0].words[0]
    assert first_shift.text.strip().lower().startswith("printing")
    assert abs((first_shift.start - first_plain.start) - 4.0) < 0.15


def test_silence_gives_no_segments(model, tmp_path):
    f = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "15", str(f))
    tr = asr.transcribe(media.decode(media.probe(f)), model)
    assert tr.segments == [] and not tr.has_speech and tr.language == "und"


def test_language_codes():
    assert asr.check_language("auto") is None
    assert asr.check_language("ZH") == "zh"
    with pytest.raises(UsageError):
        asr.check_language("xx")


def test_unknown_model_name_offline_says_how_to_supply_one(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(TranscribeError, match="--model /path/to/model"):
        asr.load_model("tiny", device="cpu")


def test_model_directory_errors(tmp_path):
    with pytest.raises(TranscribeError, match="not a model directory"):
        asr.load_model(str(tmp_path / "missing"), device="cpu")
    with pytest.raises(TranscribeError, match="no model.bin"):
        asr.load_model(str(tmp_path), device="cpu")
    (tmp_path / "model.bin").write_bytes(b"garbage")
    with pytest.raises(TranscribeError, match="cannot load the model"):
        asr.load_model(str(tmp_path), device="cpu")


def test_hand_edited_transcript_with_bad_values_is_refused(tmp_path):
    good = asr.Transcript([asr.Segment(0.0, 1.0, "hi", [asr.Word(0.0, 1.0, " hi")])], "en", 2.0, "base")
    data = json.loads(good.to_json())
    data["segments"][0]["start"] = "abc"
    f = tmp_path / "x.transcript.json"
    f.write_text(json.dumps(data))
    with pytest.raises(TranscribeError, match="x.transcript.json: not a readable transcript"):
        asr.Transcript.load(f)


def test_malloc_keeps_freed_memory_on_glibc():
    """The faster-whisper path's allocator settings apply on glibc (25 % of ASR time)."""
    import platform
    import subprocess
    import sys

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")
    code = ("from transcribe import allocator; ok = allocator.keep_freed_memory(); "
            "allocator.release_freed_memory(); print(ok)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
