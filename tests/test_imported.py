"""Transcripts of other tools read as people write them: subtitle cues re-split into
sentences, YouTube's rolling captions read once, ``Speaker: text`` lines of meetings."""

from __future__ import annotations

import json

import jsonschema

from conftest import run_cli
from transcribe import render
from transcribe.readers import load_transcript


def _srt(path, cues):
    path.write_text("".join(f"{i}\n00:00:{a:02d},000 --> 00:00:{b:02d},000\n{t}\n\n"
                            for i, (a, b, t) in enumerate(cues, 1)), encoding="utf-8")
    return path


def _notes(tmp_path, src, *extra):
    out = tmp_path / "notes.json"
    done = run_cli("chapters", src, "-f", "json", "-o", out, "-q", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def test_cues_cut_mid_sentence_become_whole_sentences(tmp_path):
    """A cue that ends one sentence and starts the next, and a sentence over two cues: the
    sentences are the text's, with times inside the cues, not the cues."""
    src = _srt(tmp_path / "other.srt", [
        (0, 4, "The printing press changed Europe. It made books"),
        (4, 8, "cheap enough for ordinary people to own."),
        (8, 12, "Within fifty years there were presses in every"),
        (12, 16, "major city. Literacy rose quickly."),
    ])
    texts = [(s["text"], s["start"]) for s in _notes(tmp_path, src)["sentences"]]
    assert [t for t, _ in texts] == [
        "The printing press changed Europe.", "It made books cheap enough for ordinary people to own.",
        "Within fifty years there were presses in every major city.", "Literacy rose quickly."]
    starts = [s for _, s in texts]
    assert starts[0] == 0 and 1.5 < starts[1] < 4 and starts[2] == 8 and 12 < starts[3] < 16


def test_rolling_captions_are_read_once(tmp_path):
    """YouTube's auto-captions repeat each line in the next cue; the text must not double."""
    src = tmp_path / "auto.vtt"
    src.write_text("WEBVTT\n\n"
                   "00:00:00.000 --> 00:00:03.000\nwelcome everyone to the lecture\n\n"
                   "00:00:03.000 --> 00:00:06.000\nwelcome everyone to the lecture\ntoday we talk about volcanoes\n\n"
                   "00:00:06.000 --> 00:00:09.000\ntoday we talk about volcanoes\nand why they erupt\n\n",
                   encoding="utf-8")
    text = " ".join(s["text"] for s in _notes(tmp_path, src)["sentences"])
    assert text.count("welcome") == 1 and text.count("volcanoes") == 1 and "why they erupt" in text


MEETING = """[00:00:00] Alice Chen: Good morning, let's start with the budget for the new warehouse.
[00:00:06] Bob: The budget is four million dollars, and construction starts in March.
[00:00:12] Alice Chen: What about the delivery trucks?
[00:00:15] Bob: We lease twenty electric trucks from a local company.
[00:00:21] Carol: The trucks arrive in April. Drivers get training in May.
[00:00:28] Alice Chen: Good. Next, the hiring plan for the warehouse staff.
[00:00:34] Carol: We hire forty people, mostly from the town.
[00:00:40] Bob: The town council approved the noise permit for night shifts last week.
[00:00:47] Alice Chen: How many shifts do we plan for the first year?
[00:00:52] Carol: Two shifts a day, and a third one during the holiday season.
[00:00:58] Bob: The night shift needs twelve more people and better lighting in the yard.
[00:01:05] Alice Chen: Then we add the lighting to the construction budget.
[00:01:10] Carol: I will send the hiring timeline to everyone by Friday.
[00:01:16] Bob: And I will ask the truck company for a maintenance contract with fixed prices.
[00:01:23] Alice Chen: Thank you all, we meet again next Tuesday.
"""


def test_speaker_lines_keep_the_speaker_out_of_the_text(tmp_path):
    src = tmp_path / "meeting.txt"
    src.write_text(MEETING, encoding="utf-8")
    tr, _ = load_transcript(src)
    assert [s.speaker for s in tr.segments][:7] == ["Alice Chen", "Bob", "Alice Chen", "Bob", "Carol",
                                                     "Alice Chen", "Carol"]
    notes = _notes(tmp_path, src)
    jsonschema.validate(notes, json.loads(render.SCHEMA_PATH.read_text(encoding="utf-8")))
    sents = notes["sentences"]
    assert not any(s["text"].startswith(("Alice", "Bob", "Carol")) for s in sents)
    assert [s["speaker"] for s in sents][4:6] == ["Carol", "Carol"]  # two sentences of one line
    assert sents[4]["text"] == "The trucks arrive in April." and sents[4]["start"] == 21
    titles = " ".join(c["title"] for c in notes["chapters"])
    assert "Alice" not in titles and "Carol" not in titles
    md = tmp_path / "meeting.md"
    assert run_cli("chapters", src, "-o", md, "-q").returncode == 0
    text = md.read_text(encoding="utf-8")
    assert "**Carol:**" in text  # the speakers stay in the notes: in the transcript paragraphs
    assert any(line.startswith("- **[") and ("Bob: " in line or "Carol: " in line or "Alice Chen: " in line)
               for line in text.splitlines())  # and before the key points


def test_an_occasional_label_is_text_not_a_speaker(tmp_path):
    src = tmp_path / "talk.txt"
    src.write_text("[00:00:00] Welcome to the talk about rivers.\n[00:00:05] Note: the slides are online.\n"
                   "[00:00:10] Rivers shape the land over millions of years.\n"
                   "[00:00:15] They carry sediment to the sea.\n", encoding="utf-8")
    tr, _ = load_transcript(src)
    assert all(s.speaker is None for s in tr.segments)
    assert tr.segments[1].text == "Note: the slides are online."


def test_whisperx_and_webvtt_voice_labels(tmp_path):
    src = _srt(tmp_path / "wx.srt", [(0, 3, "[SPEAKER_00]: Hello there."), (3, 6, "[SPEAKER_01]: Hi, how are you?")])
    tr, _ = load_transcript(src)
    assert [(s.speaker, s.text) for s in tr.segments] == [("SPEAKER_00", "Hello there."),
                                                           ("SPEAKER_01", "Hi, how are you?")]
    vtt = tmp_path / "v.vtt"
    vtt.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n<v Roger Bingham>We are in New York City\n\n"
                   "00:00:03.000 --> 00:00:06.000\n<v Neil deGrasse Tyson>Yes we are.\n", encoding="utf-8")
    tr, _ = load_transcript(vtt)
    assert [(s.speaker, s.text) for s in tr.segments] == [("Roger Bingham", "We are in New York City"),
                                                           ("Neil deGrasse Tyson", "Yes we are.")]


def test_youtube_auto_captions_with_word_times_are_read_as_text(tmp_path):
    """yt-dlp's auto-caption WebVTT times each word (``<00:00:01.500><c> word</c>``) and rolls
    its lines; the notes hold the words once, without tags, and no line is lost."""
    src = tmp_path / "auto.en.vtt"
    src.write_text(
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:00:00.000 --> 00:00:03.000 align:start position:0%\n"
        "welcome<00:00:00.500><c> everyone</c><00:00:01.000><c> to</c><00:00:01.500><c> the</c><00:00:02.000><c> lecture</c>\n\n"
        "00:00:03.000 --> 00:00:03.010 align:start position:0%\nwelcome everyone to the lecture\n \n\n"
        "00:00:03.010 --> 00:00:06.000 align:start position:0%\nwelcome everyone to the lecture\n"
        "<00:00:04.500><c>printing</c><00:00:05.000><c> began</c><00:00:05.500><c> in</c><00:00:05.800><c> china</c>\n\n",
        encoding="utf-8")
    text = " ".join(s["text"] for s in _notes(tmp_path, src)["sentences"])
    assert "<" not in text and "c>" not in text
    assert text.count("welcome") == 1 and "printing began in china" in text


def test_speaker_names_follow_the_script(tmp_path):
    src = tmp_path / "meeting.txt"
    lines = ["张伟：谢谢主持人，我们先看销售数据。", "李娜：今年的销售额增长了百分之二十。", "张伟：这个增长主要来自哪里？",
             "李娜：主要来自南方的新门店。", "张伟：好的，下面讨论明年的计划。", "李娜：明年我们计划再开十家门店。"]
    src.write_text("".join(f"[00:00:{i * 8:02d}] {line}\n" for i, line in enumerate(lines)), encoding="utf-8")
    notes = _notes(tmp_path, src, "--script", "tw")
    assert {s["speaker"] for s in notes["sentences"]} == {"張偉", "李娜"}
