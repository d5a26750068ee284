"""`transcribe chapters TRANSCRIPT`: notes from JSON, SRT, WebVTT and plain text, without ASR."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import SAMPLES, run_cli, sample_truth
from transcribe.errors import TranscribeError
from transcribe.readers import guess_language, load_transcript


def _starts(md: str) -> list[str]:
    return re.findall(r"^## (\S+(?: \d+)?) – ", md, re.M)[1:]  # [0] is the Outline heading's neighbour


def _seconds(stamp: str) -> int:
    h, m, s = map(int, stamp.split(":"))
    return h * 3600 + m * 60 + s


def test_plain_text_with_and_without_times(tmp_path):
    timed = tmp_path / "timed.txt"
    timed.write_text("[00:00:01] Hello and welcome.\n[01:02] We start with printing.\nNo stamp here.\n"
                     "[1:00:00.5] The end.\n", encoding="utf-8")
    tr, is_timed = load_transcript(timed)
    assert is_timed and [s.start for s in tr.segments] == [1.0, 62.0, 62.0, 3600.5]
    assert tr.segments[1].text == "We start with printing." and tr.language == "en"
    plain = tmp_path / "plain.txt"
    plain.write_text("第一句话。\n\n第二句话。\n", encoding="utf-8")
    tr, is_timed = load_transcript(plain)
    assert not is_timed and [s.start for s in tr.segments] == [0.0, 1.0] and tr.language == "zh"
    assert guess_language("Hello 你好") == "en"


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"\n\n", "no text found"),
    ("old.txt", "caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ("x.json", b"{", "not a readable transcript"),
    ("list.json", b"[]", "not a readable transcript"),
    ("nul.txt", b"\x00" * 1000, "NUL"),
    ("back.txt", b"[05:00] later\n[01:00] earlier\n", "line 2.*earlier than the line before"),
])
def test_bad_transcripts(tmp_path, name, data, message):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(TranscribeError, match=message):
        load_transcript(f)


def test_times_that_step_back_a_little_are_kept_in_order(tmp_path):
    """People's transcripts have lines a few seconds earlier than the line before: read them in
    order, with one warning naming the first such line; a big step back is still refused."""
    f = tmp_path / "real.txt"
    f.write_text("[00:00:00] One.\n[00:00:10] Two.\n\n[00:00:08] Three.\n[00:00:20] Four.\n"
                 "[00:00:19] Five.\n", encoding="utf-8")
    warnings = []
    tr, timed = load_transcript(f, warn=warnings.append)
    assert timed and [s.start for s in tr.segments] == [0.0, 10.0, 10.0, 20.0, 20.0]
    assert [s.text for s in tr.segments] == ["One.", "Two.", "Three.", "Four.", "Five."]
    assert len(warnings) == 1 and "line 4 is 2 s earlier" in warnings[0] and "1 more" in warnings[0]
    proc = run_cli("chapters", f, "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("warning:") == 1 and "line 4" in proc.stderr
    far = tmp_path / "far.txt"
    far.write_text("[00:10:00] Late.\n[00:01:00] Early.\n", encoding="utf-8")
    proc = run_cli("chapters", far, "-q")
    assert proc.returncode != 0 and "line 2" in proc.stderr and "Traceback" not in proc.stderr


def test_vtt_entities_are_decoded(tmp_path):
    vtt = tmp_path / "a.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nFish &amp; chips\n")
    tr, timed = load_transcript(vtt)
    assert timed and tr.segments[0].text == "Fish & chips"


def test_cli_on_the_sample_transcript_and_its_subtitles(tmp_path):
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "talk.transcript.json")
    proc = run_cli("chapters", tmp_path / "talk.transcript.json", "-q", "-f", "md", "-f", "srt")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "talk.md").read_text(encoding="utf-8")
    starts = [_seconds(s) for s in re.findall(r"^## (\d\d:\d\d:\d\d) – ", md, re.M)]
    for topic in sample_truth()["chapters"]:
        assert min(abs(s - topic["start"]) for s in starts) <= 20
    # the SRT written from it, read back as a transcript, gives the same chapters within a few seconds
    proc = run_cli("chapters", tmp_path / "talk.srt", "-q", "-o", tmp_path / "from_srt.md")
    assert proc.returncode == 0, proc.stderr
    again = [_seconds(s) for s in re.findall(r"^## (\d\d:\d\d:\d\d) – ", (tmp_path / "from_srt.md").read_text(), re.M)]
    for topic in sample_truth()["chapters"]:
        assert min(abs(s - topic["start"]) for s in again) <= 20


def test_cli_plain_text_without_times_places_chapters_by_sentence(tmp_path):
    printing = ["The printing press changed how books were made in Europe.",
                "Gutenberg used movable metal type and oil-based ink for his Bible.",
                "Typefaces of the early printers imitated the handwriting of scribes.",
                "Paper mills spread across Europe as demand for printed books grew.",
                "The cost of a printed book fell far below that of a copied manuscript.",
                "Printers in Venice cut elegant roman and italic typefaces.",
                "Each page was set by hand, letter by letter, in a composing stick.",
                "The press pulled two pages at a time onto damp paper.",
                "Printed pamphlets carried the ideas of the Reformation across Europe.",
                "By 1500, presses in more than two hundred towns had printed millions of books."]
    football = ["The football season opened with a win for the home team.",
                "The striker scored twice in the second half of the match.",
                "Fans filled the stadium and sang until the final whistle.",
                "The coach praised the defence after the game.",
                "Next week the team travels to play the league leaders.",
                "Tickets for the away match sold out within an hour.",
                "The goalkeeper saved a penalty in the last minute of the game.",
                "Two players were booked for fouls in a rough first half.",
                "The club signed a young midfielder from a rival team.",
                "The team is now third in the league table after ten matches."]
    lines = printing + football
    f = tmp_path / "notes in text.txt"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("chapters", f, "-q", "-f", "md", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "notes in text.md").read_text(encoding="utf-8")
    assert re.findall(r"^## (¶ \d+) – ", md, re.M) == ["¶ 1", "¶ 11"]
    data = json.loads((tmp_path / "notes in text.json").read_text(encoding="utf-8"))
    assert data["metadata"]["timed"] is False and [c["start"] for c in data["chapters"]] == [0.0, 10.0]


def test_cli_chapters_errors(tmp_path):
    proc = run_cli("chapters", tmp_path / "none.srt")
    assert proc.returncode == 1 and "no such file" in proc.stderr and "Traceback" not in proc.stderr
    f = tmp_path / "t.txt"
    f.write_text("one line\n")
    proc = run_cli("chapters", f, "-o", f, "--force")
    assert proc.returncode == 2 and "the transcript itself" in proc.stderr
    assert f.read_text() == "one line\n"


def test_untimed_text_refuses_formats_that_need_times(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("One sentence here.\nAnother one there.\n")
    proc = run_cli("chapters", f, "-f", "md", "-f", "srt")
    assert proc.returncode == 2 and "has no times" in proc.stderr and "srt" in proc.stderr
    assert not (tmp_path / "plain.md").exists()
    proc = run_cli("chapters", f, "--chapters", "x")
    assert proc.returncode == 2 and "transcribe chapters --help" in proc.stderr


def test_subtitles_from_segments_without_word_times_keep_the_limits(tmp_path):
    from transcribe import render
    from transcribe.asr import Segment

    long_text = " ".join(f"word{i}" for i in range(120))
    cues = render.subtitle_cues([Segment(0.0, 60.0, long_text), Segment(61.0, 62.0, "Short one.")])
    assert all(len(c.lines) <= 2 and all(len(x) <= 42 for x in c.lines) for c in cues)
    assert all(c.end - c.start <= 7.0 for c in cues)
    assert " ".join(" ".join(c.lines) for c in cues).split() == long_text.split() + ["Short", "one."]
