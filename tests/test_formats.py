"""Output formats: golden files on a small fixture, round trips, and the CLI on the sample."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import av
import jsonschema
import pysubs2
import pytest

from conftest import SAMPLE, SAMPLES, ffmpeg, run_cli
from transcribe import embed, render
from transcribe.asr import Segment, Word
from transcribe.chapters import Chapter, Part
from transcribe.sentences import Sentence
from transcribe.summaries import ChapterNotes, KeyPoint, OverviewItem, PartNotes

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads(render.SCHEMA_PATH.read_text())


def _words(text: str, start: float, step: float = 0.4) -> list[Word]:
    return [Word(round(start + i * step, 3), round(start + i * step + step * 0.8, 3), " " + w, 0.9)
            for i, w in enumerate(text.split())]


def mini_notes() -> render.Notes:
    """Three chapters of a 95-second talk, with markup-like characters and a long sentence."""
    texts = [(0.0, "Welcome to the talk. Today we look at printing presses and [early] type."),
             (5.5, "Gutenberg built a press around 1450 that changed how *every* book in Europe was made "
                   "and how quickly ideas could travel between cities."),
             (40.0, "Now the shuttle = a reusable spacecraft; it flew 135 missions."),
             (70.0, "Finally, prisons: Newgate held 1,200 people in 1811 # a record.")]
    segments = [Segment(t, _words(x, t)[-1].end, x, _words(x, t)) for t, x in texts]
    sentences = [Sentence(i, s.start, s.end, s.text) for i, s in enumerate(segments)]
    chapters = [
        ChapterNotes(Chapter(0, 0.0, 40.0, 0, 2), "Printing presses and early type",
                     "Welcome to the talk.", [KeyPoint(5.5, "Gutenberg built a press around 1450.")]),
        ChapterNotes(Chapter(1, 40.0, 70.0, 2, 3), "The shuttle = a spacecraft; #135",
                     "Now the shuttle = a reusable spacecraft; it flew 135 missions.", []),
        ChapterNotes(Chapter(2, 70.0, 95.0, 3, 4), "Newgate prison",
                     "Finally, prisons: Newgate held 1,200 people in 1811 # a record.",
                     [KeyPoint(70.0, "Newgate held 1,200 people.")]),
    ]
    header = render.NotesHeader("my talk.mp4", 95.0, "en", "Whisper base", audio_track=1, audio_tracks=2)
    return render.Notes(header, chapters, sentences, segments)


@pytest.mark.parametrize("fmt", list(render.FORMATS))
def test_golden_files(fmt):
    suffix, fn = render.FORMATS[fmt]
    text = fn(mini_notes())
    golden = GOLDEN / f"mini{suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def mini_notes_with_parts() -> render.Notes:
    """The mini talk as two parts: printing (chapter 0), then shuttles and prisons (chapters 1-2)."""
    notes = mini_notes()
    notes.parts = [PartNotes(Part(0, 0.0, 40.0, 0, 1), "Early printing"),
                   PartNotes(Part(1, 40.0, 95.0, 1, 3), "Shuttles and prisons")]
    notes.overview = [OverviewItem(0.0, "Printing presses and early type: Gutenberg built a press around 1450", 0),
                      OverviewItem(70.0, "Newgate prison: Newgate held 1,200 people", 2)]
    return notes


def test_parts_nest_the_chapters():
    notes = mini_notes_with_parts()
    md = render.render_markdown(notes)
    golden = GOLDEN / "mini_parts.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(md, encoding="utf-8")
    assert md == golden.read_text(encoding="utf-8")
    outline = md.split("## Outline\n\n")[1].split("\n\n")[0].splitlines()
    assert outline == ["- **Part 1 · Early printing (00:00:00–00:00:40)**",
                       "  - 00:00:00 – Printing presses and early type",
                       "- **Part 2 · Shuttles and prisons (00:00:40–00:01:35)**",
                       "  - 00:00:40 – The shuttle = a spacecraft; #135", "  - 00:01:10 – Newgate prison"]
    # chapters are ### under their part's ## heading; no heading that starts with a time is a part
    assert re.findall(r"^(#+) (\S+)", md, re.M)[1:] == [
        ("##", "Overview"), ("##", "Outline"), ("##", "Part"), ("###", "00:00:00"), ("##", "Part"), ("###", "00:00:40"),
        ("###", "00:01:10")]
    assert md.split("## Overview\n\n")[1].split("\n\n")[0].splitlines() == [
        "- 00:00:00 – Printing presses and early type: Gutenberg built a press around 1450",
        "- 00:01:10 – Newgate prison: Newgate held 1,200 people"]
    assert md.index("## Overview") < md.index("## Outline")
    data = json.loads(render.render_json(notes))
    jsonschema.validate(data, SCHEMA)
    assert data["overview"][1] == {"time": 70.0, "text": "Newgate prison: Newgate held 1,200 people", "chapter": 2}
    assert [(p["first_chapter"], p["last_chapter"]) for p in data["parts"]] == [(0, 0), (1, 2)]
    assert [c["part"] for c in data["chapters"]] == [0, 1, 1]
    # the flat formats stay the flat chapter list
    assert render.render_youtube(notes) == render.render_youtube(mini_notes())
    assert render.render_ffmetadata(notes) == render.render_ffmetadata(mini_notes())
    # and a talk without parts has no part headings, a flat outline and null parts
    flat = json.loads(render.render_json(mini_notes()))
    assert flat["parts"] == [] and all(c["part"] is None for c in flat["chapters"]) and flat["overview"] == []


def test_json_validates_and_holds_everything():
    data = json.loads(render.render_json(mini_notes()))
    jsonschema.validate(data, SCHEMA)
    assert data["metadata"]["audio_track"] == 1
    assert [c["start"] for c in data["chapters"]] == [0.0, 40.0, 70.0]
    assert data["segments"][1]["words"][0] == {"start": 5.5, "end": 5.82, "text": " Gutenberg", "probability": 0.9}


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_round_trip_and_rules(fmt):
    notes = mini_notes()
    cues = render.subtitle_cues(notes.segments)
    parsed = pysubs2.SSAFile.from_string(render.FORMATS[fmt][1](notes))
    assert [(e.start, e.end) for e in parsed] == [(round(c.start * 1000), round(c.end * 1000)) for c in cues]
    for event in parsed:
        lines = event.text.split(r"\N")
        assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert event.end - event.start <= 7000
    spoken = " ".join(s.text for s in notes.segments).split()
    assert " ".join(e.text.replace(r"\N", " ") for e in parsed).split() == spoken  # every word, in order


def test_subtitle_rules_on_the_real_sample():
    from transcribe.asr import Transcript

    tr = Transcript.load(SAMPLES / "talk.asr.json")
    cues = render.subtitle_cues(tr.segments)
    assert len(cues) > 100
    assert all(len(c.lines) <= 2 and all(len(x) <= 42 for x in c.lines) for c in cues)
    assert all(0 < c.end - c.start <= 7.0 for c in cues)
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))


def test_youtube_rules():
    notes = mini_notes()
    assert render.render_youtube(notes) == ("00:00 Printing presses and early type\n"
                                            "00:40 The shuttle = a spacecraft; #135\n01:10 Newgate prison\n")
    notes.chapters[2].chapter.start = 88.0  # leaves the last chapter 7 s long
    kept, messages = render.youtube_chapters(notes)
    assert [t for t, _ in kept] == [0.0, 40.0] and len(messages) == 2
    assert "merged" in messages[0] and "at least 3" in messages[1]
    notes.header.duration = 4000.0
    notes.chapters[2].chapter.start = 3725.0
    assert render.render_youtube(notes).splitlines()[-1] == "1:02:05 Newgate prison"


def test_chinese_labels_and_no_speech():
    notes = mini_notes()
    notes.header.language = "zh"
    md = render.render_markdown(notes)
    assert "## 目录" in md and "**摘要:**" in md and "- **时长:** 00:01:35" in md
    empty = render.Notes(render.NotesHeader("x.wav", 3.0, "und", "m"), [])
    assert render.NO_SPEECH in render.render_markdown(empty)
    assert render.render_youtube(empty) == "" and render.render_srt(empty).strip() == ""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_all_formats_and_embedded_chapters(tmp_path):
    """Every format from the CLI on the sample (reusing its transcript), chapters embedded and read back."""
    shutil.copy(SAMPLE, tmp_path / "talk.mp4")
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "talk.transcript.json")
    before = _sha(tmp_path / "talk.mp4")
    args = [tmp_path / "talk.mp4", "-q", "--embed-chapters", tmp_path / "with chapters.mp4"]
    for fmt in render.FORMATS:
        args += ["--format", fmt]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert _sha(tmp_path / "talk.mp4") == before  # the input is never modified
    data = json.loads((tmp_path / "talk.json").read_text())
    jsonschema.validate(data, SCHEMA)
    md = (tmp_path / "talk.md").read_text()
    titles = re.findall(r"^## \d\d:\d\d:\d\d – (.+)$", md, re.M)
    assert titles == [c["title"] for c in data["chapters"]]
    youtube = (tmp_path / "talk.youtube.txt").read_text().splitlines()
    assert youtube[0].startswith("00:00 ") and len(youtube) == len(titles) >= 3
    srt = pysubs2.load(str(tmp_path / "talk.srt"))
    vtt = pysubs2.load(str(tmp_path / "talk.vtt"))
    assert [(e.start, e.end) for e in srt] == [(e.start, e.end) for e in vtt]
    assert (tmp_path / "talk.ffmetadata.txt").read_text().startswith(";FFMETADATA1\n")

    with av.open(str(tmp_path / "with chapters.mp4")) as c:
        chapters = c.chapters()
        assert [s.type for s in c.streams if s.type in ("video", "audio")] == ["video", "audio"]
        codecs = {s.type: s.codec_context.name for s in c.streams if s.type in ("video", "audio")}
    assert codecs == {"video": "h264", "audio": "aac"}  # copied, not re-encoded
    assert [ch["metadata"]["title"] for ch in chapters] == titles
    starts = [float(ch["start"] * ch["time_base"]) for ch in chapters]
    assert starts == pytest.approx([c["start"] for c in data["chapters"]], abs=0.01)


@pytest.mark.parametrize("suffix, vcodec, acodec", [(".mkv", "libx264", "aac"), (".webm", "libvpx-vp9", "libopus"),
                                                    (".m4a", None, "aac")])
def test_embed_into_other_containers(tmp_path, suffix, vcodec, acodec):
    source = tmp_path / f"clip{suffix}"
    cmd = ["-t", "40", "-i", str(SAMPLE)]
    cmd += ["-c:v", vcodec, "-b:v", "20k"] if vcodec else ["-vn"]
    ffmpeg(*cmd, "-c:a", acodec, str(source))
    notes = mini_notes()
    notes.chapters[1].chapter.start, notes.chapters[2].chapter.start = 12.0, 25.0

    out = tmp_path / f"out{suffix}"
    embed.embed_chapters(source, render.render_ffmetadata(notes), out)
    with av.open(str(out)) as c:
        got = [(round(float(ch["start"] * ch["time_base"]), 2), ch["metadata"]["title"]) for ch in c.chapters()]
    assert got == [(0.0, "Printing presses and early type"), (12.0, "The shuttle = a spacecraft; #135"),
                   (25.0, "Newgate prison")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_embed_refuses_unknown_container_and_the_input_itself(tmp_path):
    f = tmp_path / "a.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(f))
    proc = run_cli(f, "--embed-chapters", tmp_path / "out.avi")
    assert proc.returncode == 2 and "chapters can be embedded in" in proc.stderr
    mp4 = tmp_path / "b.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(mp4))
    proc = run_cli(mp4, "--embed-chapters", mp4, "--force")
    assert proc.returncode == 2 and "that is the input file" in proc.stderr
    proc = run_cli(f, "--format", "docx")
    assert proc.returncode == 2 and "unknown format" in proc.stderr
