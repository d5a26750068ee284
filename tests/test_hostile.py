"""Hostile and broken inputs through the real CLI (issue 6's table, row by row).

Every input is made here with ffmpeg (or espeak-ng) from the sample; nothing
binary is stored. Each error must be one line on stderr naming the file, exit
status 1 for input problems and 2 for usage problems, with no traceback and no
output written.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE, SAMPLES, ffmpeg, run_cli
from transcribe import media
from transcribe.errors import TranscribeError

NO_SPEECH = "No speech was found in this recording."


def _one_line_error(proc, *needles: str, code: int = 1) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("transcribe: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _chapter_titles(md: str) -> list[str]:
    return re.findall(r"^## \d\d:\d\d:\d\d – (.+)$", md, re.M)


def _speech(tmp_path: Path, seconds: float = 20.0, start: float = 0.0, name: str = "speech.wav") -> Path:
    out = tmp_path / name
    ffmpeg("-ss", str(start), "-t", str(seconds), "-i", str(SAMPLE), "-vn", "-ac", "1", "-ar", "16000", str(out))
    return out


# -- paths ---------------------------------------------------------------------------------

def test_missing_path_and_directory(tmp_path):
    _one_line_error(run_cli(tmp_path / "nope.mp4"), "nope.mp4", "no such file")
    _one_line_error(run_cli(tmp_path), str(tmp_path), "is a directory")


def _unprivileged(*args) -> subprocess.CompletedProcess:
    """Run the CLI so that file permissions apply: as root, without the capabilities
    that bypass them (util-linux ``setpriv``)."""
    cmd = [sys.executable, "-m", "transcribe", *map(str, args)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_unreadable_file(tmp_path):
    f = _speech(tmp_path, 2.0)
    f.chmod(0)
    _one_line_error(_unprivileged(f), "speech.wav", "permission denied")
    assert not (tmp_path / "speech.md").exists()


# -- not media -----------------------------------------------------------------------------

def test_text_and_image_named_mp4(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("Meeting notes\n" * 40)
    _one_line_error(run_cli(text), "notes.mp4", "not a media file")
    png = tmp_path / "frame.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48", "-frames:v", "1", str(png))
    image = png.rename(tmp_path / "holiday.mp4")
    _one_line_error(run_cli(image), "holiday.mp4", "not a media file")
    assert not list(tmp_path.glob("*.md"))


def test_video_without_audio_lists_its_streams(tmp_path):
    f = tmp_path / "screen.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48:d=2", "-f", "lavfi", "-i", "testsrc=s=32x24:d=2",
           "-map", "0", "-map", "1", "-c:v", "libx264", str(f))
    _one_line_error(run_cli(f), "screen.mkv", "no audio stream", "video h264, video h264")


# -- streams and clocks --------------------------------------------------------------------

def test_two_audio_tracks(tmp_path):
    """Track 0 is silent, track 1 holds the speech: the default uses track 0, --audio-track 1 the other."""
    speech = _speech(tmp_path, 20.0)
    f = tmp_path / "dual.mkv"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-i", str(speech), "-t", "20",
           "-map", "0:a", "-map", "1:a", "-c:a", "flac", str(f))
    proc = run_cli(f, "-q")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "dual.md").read_text()
    assert NO_SPEECH in md and "- **Audio track:** 0 of 2" in md
    proc = run_cli(f, "-q", "--audio-track", "1", "-o", tmp_path / "dual1.md")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "dual1.md").read_text()
    assert "- **Audio track:** 1 of 2" in md and NO_SPEECH not in md
    assert "printing" in (tmp_path / "dual1.transcript.json").read_text().lower()
    _one_line_error(run_cli(f, "--audio-track", "2", "-o", tmp_path / "x.md"), "--audio-track 2", code=2)


def test_audio_starting_late_keeps_the_players_clock(tmp_path):
    """Audio stream 4 s after the video: the first word ("Printing", at 0.0 s in the sample) is at ~4 s."""
    f = tmp_path / "late.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=5:d=20", "-itsoffset", "4", "-t", "14",
           "-i", str(SAMPLE), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-c:a", "aac", str(f))
    proc = run_cli(f, "-q")
    assert proc.returncode == 0, proc.stderr
    transcript = json.loads((tmp_path / "late.transcript.json").read_text())
    first = transcript["segments"][0]["words"][0]
    assert first["text"].strip().lower().startswith("printing")
    assert 3.8 <= first["start"] <= 4.6


def test_truncated_file_is_transcribed_as_far_as_it_goes(tmp_path):
    whole = tmp_path / "whole.mp4"
    ffmpeg("-t", "60", "-i", str(SAMPLE), "-c", "copy", "-movflags", "+faststart", str(whole))
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    proc = run_cli(cut)
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "cut.mp4" in warning[0] and "could be decoded" in warning[0]
    decodable = re.search(r"only (\d\d):(\d\d):(\d\d) of 00:01:0\d", warning[0])
    assert decodable and 30 <= int(decodable[2]) * 60 + int(decodable[3]) <= 50
    assert "printing" in (tmp_path / "cut.md").read_text().lower()


def test_random_bytes_before_an_mp3(tmp_path):
    mp3 = tmp_path / "clean.mp3"
    ffmpeg("-t", "15", "-i", str(SAMPLE), "-vn", "-c:a", "libmp3lame", "-b:a", "32k", str(mp3))
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(random.Random(6).randbytes(4096) + mp3.read_bytes())
    proc = run_cli(junk, "-q", timeout=120)  # never hangs
    if proc.returncode == 0:
        assert "printing" in (tmp_path / "junk.md").read_text().lower()
    else:
        _one_line_error(proc, "junk.mp3")


# -- nothing to transcribe -----------------------------------------------------------------

@pytest.mark.parametrize("name, make", [
    ("blip.wav", lambda d: _speech(d, 0.3, name="blip.wav")),
    ("silence.flac", lambda d: ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "600",
                                      str(d / "silence.flac"))),
    ("tones.ogg", lambda d: ffmpeg(
        "-f", "lavfi", "-i", "sine=f=261.6:d=180", "-f", "lavfi", "-i", "sine=f=329.6:d=180",
        "-f", "lavfi", "-i", "sine=f=392:d=180",
        "-filter_complex", "[0][1][2]amix=inputs=3,volume=3,tremolo=f=2:d=0.7,aecho=0.8:0.8:60:0.4",
        "-c:a", "libvorbis", str(d / "tones.ogg"))),
])
def test_no_speech_gives_a_note_and_no_invented_text(tmp_path, name, make):
    make(tmp_path)
    proc = run_cli(tmp_path / name, "-q")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / name).with_suffix(".md").read_text()
    assert NO_SPEECH in md and "## " not in md
    body = md.split("- **Audio track:**")[1].splitlines()[1:]
    assert [line for line in body if line.strip()] == [f"_{NO_SPEECH}_"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (installed by .ci/run)")
def test_language_comes_from_the_speech_not_the_opening_tones(tmp_path):
    spanish = tmp_path / "es.wav"
    subprocess.run(["espeak-ng", "-v", "es", "-w", str(spanish),
                    "Buenos días a todos. Hoy vamos a hablar de la historia de la imprenta en Europa, "
                    "y de cómo cambió la manera en que la gente leía los libros."], check=True)
    f = tmp_path / "intro.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=40,volume=2", "-i", str(spanish), "-filter_complex",
           "[0]aresample=16000[a];[1]aresample=16000[b];[a][b]concat=n=2:v=0:a=1", "-c:a", "aac", str(f))
    proc = run_cli(f, "-q")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "intro.md").read_text()
    assert "- **Language:** es" in md
    titles = _chapter_titles(md)
    assert len(titles) == 1 and re.search(r"^## 00:00:[0-4]\d – ", md, re.M)


# -- names and places ----------------------------------------------------------------------

def test_long_spaced_non_ascii_names(tmp_path):
    stem = ("讲座 café talk " * 30)
    while len((stem + ".wav").encode()) > 255:
        stem = stem[:-1]
    f = _speech(tmp_path, 12.0, name=stem + ".wav")
    proc = run_cli(f.name, "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    md = tmp_path / (stem + ".md")
    assert md.is_file() and "printing" in md.read_text(encoding="utf-8").lower()
    assert len(list(tmp_path.glob("*.transcript.json"))) == 1


def test_read_only_output_folder(tmp_path):
    f = _speech(tmp_path, 3.0)
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        _one_line_error(_unprivileged(f, "-o", folder / "notes.md"), str(folder), "not writable")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_existing_output_refused_then_replaced_with_force(tmp_path):
    f = _speech(tmp_path, 3.0)
    out = tmp_path / "speech.md"
    out.write_text("precious\n")
    _one_line_error(run_cli(f), "speech.md", "already exists", "--force")
    assert out.read_text() == "precious\n"
    assert run_cli(f, "--force", "-q").returncode == 0
    assert out.read_text() != "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_killed_while_writing_leaves_old_or_new_never_half(tmp_path):
    """kill -9 at many moments of a (transcript-reusing) run: the notes are the old file or the whole new one."""
    work = tmp_path / "talk"
    work.mkdir()
    shutil.copy(SAMPLE, work / "talk.mp4")
    shutil.copy(SAMPLES / "talk.asr.json", work / "talk.transcript.json")
    out = work / "talk.md"
    assert run_cli(work / "talk.mp4", "-q").returncode == 0  # reuses the transcript
    complete = out.read_text(encoding="utf-8")
    old = "old notes\n"
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0):
        out.write_text(old)
        proc = subprocess.Popen([sys.executable, "-m", "transcribe", str(work / "talk.mp4"), "--force", "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert out.read_text(encoding="utf-8") in (old, complete)


# -- options -------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle, code", [
    (["--language", "xx"], "--language xx", 2),
    (["--chapters", "0"], "--chapters 0", 2),
    (["--chapters", "many"], "--chapters", 2),
    (["--model", "/no/such/model"], "--model /no/such/model", 1),
])
def test_bad_options(tmp_path, args, needle, code):
    f = _speech(tmp_path, 2.0)
    _one_line_error(run_cli(f, *args), needle, code=code)
    assert not (tmp_path / "speech.md").exists()


def test_corrupt_model_directory(tmp_path):
    f = _speech(tmp_path, 2.0)
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.bin").write_bytes(random.Random(1).randbytes(10000))
    (model / "config.json").write_text("{}")
    _one_line_error(run_cli(f, "--model", model, "-q"), "cannot load the model")
    unreadable = run_cli(f, "--model", model / "config.json")
    _one_line_error(unreadable, "not a model directory")


def test_debug_shows_the_traceback(tmp_path):
    proc = run_cli(tmp_path / "nope.wav", "--debug")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "no such file" in proc.stderr


# -- fuzz ----------------------------------------------------------------------------------

def test_fuzz_decoder_never_hangs_or_crashes(tmp_path):
    """50 random byte strings and 20 random cuts of the sample: decoded, or one TranscribeError."""
    rng = random.Random(2026)
    data = SAMPLE.read_bytes()
    blobs = [rng.randbytes(rng.choice([1, 16, 300, 5000, 70000])) for _ in range(50)]
    for _ in range(20):
        a = rng.randrange(len(data))
        blobs.append(data[a:a + rng.randrange(1, 400000)])
    for i, blob in enumerate(blobs):
        f = tmp_path / f"fuzz{i}.mp4"
        f.write_bytes(blob)
        started = time.monotonic()
        try:
            info = media.probe(f)
            audio = media.decode(info)
            assert audio.samples.ndim == 1
        except TranscribeError as exc:
            assert "\n" not in exc.message and str(f) in exc.message
        assert time.monotonic() - started < 60
