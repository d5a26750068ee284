"""Issue 4 behaviour through the real CLI: resume after Ctrl-C and kill -9, journal
invalidation, and no text invented in silence or music in the middle of speech."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE, ffmpeg, run_cli
from transcribe import asr
from transcribe.asr import SAMPLE_RATE, Segment, Window, Word, choose_cut
from transcribe.journal import Journal


def _cli(*args: str) -> subprocess.Popen:
    # SIGINT as a terminal gives it: a runner that starts the tests in the background (a shell's
    # `cmd &`) hands them SIGINT ignored, and Python then raises no KeyboardInterrupt.
    return subprocess.Popen([sys.executable, "-m", "transcribe", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _windows(journal: Path) -> int:
    try:
        return max(0, len(journal.read_text(encoding="utf-8").splitlines()) - 1)
    except FileNotFoundError:
        return 0


def _stop_after_first_window(input: Path, sig: int) -> tuple[int, str, int]:
    """Start the CLI on ``input``, send ``sig`` once the journal holds a window; returns
    (exit status, stderr, windows journaled at the signal)."""
    journal = input.with_name(input.stem + ".transcript.partial.jsonl")
    proc = _cli(input, "-q")
    deadline = time.monotonic() + 300
    while _windows(journal) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "finished before it could be interrupted"
    kept = _windows(journal)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err, kept


def _segments(path: Path) -> list:
    return json.loads(path.read_text(encoding="utf-8"))["segments"]


@pytest.fixture(scope="module")
def five_minutes(tmp_path_factory) -> tuple[Path, list]:
    """The sample's first 280 s (two or more windows) and its uninterrupted transcript's segments."""
    folder = tmp_path_factory.mktemp("reference")
    clip = folder / "talk.m4a"
    ffmpeg("-i", str(SAMPLE), "-t", "280", "-vn", "-c:a", "copy", str(clip))
    proc = run_cli(clip, "-q")
    assert proc.returncode == 0, proc.stderr
    return clip, _segments(folder / "talk.transcript.json")


def _copy(clip: Path, folder: Path) -> Path:
    target = folder / clip.name
    target.write_bytes(clip.read_bytes())
    return target


def test_ctrl_c_exits_cleanly_and_the_rerun_resumes(five_minutes, tmp_path):
    clip, reference = five_minutes
    clip = _copy(clip, tmp_path)
    status, err, kept = _stop_after_first_window(clip, signal.SIGINT)
    assert status == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "run the same command again" in lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "talk.md").exists()
    journal = tmp_path / "talk.transcript.partial.jsonl"
    assert _windows(journal) >= kept >= 1
    again = run_cli(clip)
    assert again.returncode == 0, again.stderr
    assert "Resuming at 00:0" in again.stderr
    assert _segments(tmp_path / "talk.transcript.json") == reference
    assert not journal.exists()  # done: the journal goes


def test_kill_9_loses_at_most_the_window_in_flight(five_minutes, tmp_path):
    clip, reference = five_minutes
    clip = _copy(clip, tmp_path)
    status, _err, kept = _stop_after_first_window(clip, signal.SIGKILL)
    assert status == -signal.SIGKILL
    journal = tmp_path / "talk.transcript.partial.jsonl"
    assert _windows(journal) >= kept >= 1  # every window finished before the kill is there
    again = run_cli(clip)
    assert again.returncode == 0, again.stderr
    assert "Resuming at" in again.stderr
    assert _segments(tmp_path / "talk.transcript.json") == reference


def test_a_changed_input_invalidates_the_journal(five_minutes, tmp_path):
    clip, reference = five_minutes
    clip = _copy(clip, tmp_path)
    _stop_after_first_window(clip, signal.SIGKILL)
    st = clip.stat()
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # edited since
    again = run_cli(clip)
    assert again.returncode == 0, again.stderr
    assert "different source (modification time)" in again.stderr and "afresh" in again.stderr
    assert "Resuming" not in again.stderr
    assert _segments(tmp_path / "talk.transcript.json") == reference


def _window(start: int, end: int, text: str) -> Window:
    return Window(start, end, "en", [Segment(start / 16000, end / 16000, text,
                                             [Word(start / 16000, end / 16000, text)])])


def test_journal_keeps_whole_lines_and_checks_its_header(tmp_path):
    path = tmp_path / "x.transcript.partial.jsonl"
    header = {"source": {"size": 1, "mtime_ns": 2}, "weights": "sha256:abc"}
    journal = Journal(path, header)
    journal.start([])
    journal.append(_window(0, 16000, "one"))
    journal.append(_window(16000, 32000, "two"))
    journal.close()
    with open(path, "a", encoding="utf-8") as fh:  # a kill in the middle of the third line
        fh.write('{"start_sample": 32000, "end_sample": 480')
    windows, why_not = Journal(path, header).load()
    assert why_not is None and [w.segments[0].text for w in windows] == ["one", "two"]
    other_model = Journal(path, {**header, "weights": "sha256:def"})
    assert other_model.load() == ([], "made with a different model weights")
    edited = Journal(path, {**header, "source": {"size": 1, "mtime_ns": 3}})
    assert edited.load()[1] == "made with a different source (modification time)"
    # starting again rewrites it without the torn line
    journal = Journal(path, header)
    journal.start(windows)
    journal.append(_window(32000, 48000, "three"))
    journal.close()
    assert [w.segments[0].text for w in Journal(path, header).load()[0]] == ["one", "two", "three"]
    # a run with other settings replaces the journal only once it has a window of its own
    other = Journal(path, {**header, "beam_size": 5})
    assert other.load()[0] == []
    other.close()
    assert len(Journal(path, header).load()[0]) == 3  # stopped before its first window: nothing lost
    other.append(_window(0, 16000, "new"))
    other.close()
    assert Journal(path, header).load() == ([], "made with a different beam size")


def test_no_text_in_silence_or_music_between_speech(tmp_path):
    """45 s speech, 2 min digital silence, 45 s speech, 1 min of tones (a chord sequence), 45 s speech."""
    gap = tmp_path / "gaps.wav"
    ffmpeg("-i", str(SAMPLE),
           "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:d=120",
           "-f", "lavfi", "-i", "sine=f=220:d=60:r=16000", "-f", "lavfi", "-i", "sine=f=277:d=60:r=16000",
           "-f", "lavfi", "-i", "sine=f=330:d=60:r=16000",
           "-filter_complex",
           "[0:a]aresample=16000,pan=mono|c0=c0,asplit=3[a][b][c];"
           "[a]atrim=0:45,asetpts=N/SR/TB[s1];[b]atrim=200:245,asetpts=N/SR/TB[s2];"
           "[c]atrim=400:445,asetpts=N/SR/TB[s3];"
           "[2][3][4]amix=inputs=3,volume=2,tremolo=f=2:d=0.6[music];"
           "[s1][1][s2][music][s3]concat=n=5:v=0:a=1[out]",
           "-map", "[out]", "-ar", "16000", "-ac", "1", str(gap))
    proc = run_cli(gap, "-q", "--language", "en")
    assert proc.returncode == 0, proc.stderr
    words = [w for s in _segments(tmp_path / "gaps.transcript.json") for w in s["words"]]
    silence, music = (45.0, 165.0), (210.0, 270.0)
    for lo, hi in (silence, music):
        inside = [w["text"] for w in words if w["start"] > lo + 1 and w["end"] < hi - 1]
        assert not inside, (lo, hi, inside)
    after_silence = [w for w in words if silence[1] - 1 <= w["start"] < music[0]]
    after_music = [w for w in words if w["start"] >= music[1] - 1]
    assert len(after_silence) > 50 and len(after_music) > 50  # the speech after each gap is there
    # ... at its true time: the same words as in the sample, shifted by the gaps
    sample = _segments(Path(__file__).resolve().parents[1] / "samples" / "talk.asr.json")
    first = next(w for s in sample for w in s["words"] if w["start"] >= 200.0)
    expected = first["start"] - 200 + silence[1]
    same = [w for w in after_silence if w["text"].strip().lower() == first["text"].strip().lower()]
    assert same, first  # the word is there ...
    moved = min(same, key=lambda w: abs(w["start"] - expected))  # (nearest of its kind: two words 0.3 s
    assert abs(moved["start"] - expected) < 0.5                  # apart can be equally near) ... on time


def test_find_loop_catches_whisper_loops_not_speech():
    def tokens(text):
        return text.split()

    assert asr.find_loop(tokens("thank you " * 6)) is not None
    assert asr.find_loop(tokens("no no no no and then we left")) is None
    assert asr.find_loop(tokens("I don't know . I don't know . what now")) is None
    loop = asr.find_loop(tokens("we begin the the lecture is over the lecture is over the lecture is over "
                                "the lecture is over"))
    assert loop is not None and loop[1] == 4
    words = [Word(i, i + 0.5, f" {t}") for i, t in enumerate(("so " + "the end of it " * 5).split())]
    kept = asr.cut_loops([Segment(0, 30, "x", words)], [])
    assert " ".join(w.text.strip() for w in kept[0].words) == "so the end of it the end of it"


def test_windows_end_after_the_last_whole_chunk():
    sr = SAMPLE_RATE
    chunks = [(0, 28 * sr), (28 * sr + 4000, 57 * sr), (58 * sr, 86 * sr), (87 * sr, 115 * sr),
              (116 * sr, 140 * sr)]
    cut = choose_cut(chunks, 120 * sr, 150 * sr)
    assert 115 * sr <= cut <= 116 * sr  # four whole chunks, cut in the silence after the fourth
    # a long silence from 70 s on: the cut lies in it, within the window
    cut = choose_cut([(0, 30 * sr), (30 * sr, 60 * sr), (60 * sr, 70 * sr), (140 * sr, 150 * sr)], 120 * sr, 150 * sr)
    assert 70 * sr <= cut <= 120 * sr
    # VAD split 30 s pieces without a pause: the cut falls where two chunks touch
    touching = [(i * 30 * sr, (i + 1) * 30 * sr) for i in range(5)]
    assert choose_cut(touching, 120 * sr, 150 * sr) == 120 * sr
    # no speech at all: somewhere in the second half of the window
    assert 60 * sr <= choose_cut([], 120 * sr, 150 * sr) <= 120 * sr
