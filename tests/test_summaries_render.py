"""Stages 5 and 6: extractive notes and their markdown."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import SAMPLES
from transcribe import chapters, render, summaries, titles
from transcribe.asr import Transcript
from transcribe.chapters import Chapter
from transcribe.sentences import Sentence, load_nlp, split_sentences


@pytest.fixture(scope="module")
def sample_notes():
    tr = Transcript.load(SAMPLES / "talk.asr.json")
    nlp = load_nlp("en")
    sents = split_sentences(tr, nlp)
    vecs = chapters.embed(sents, chapters.load_encoder())
    chs = chapters.segment(sents, vecs, tr.duration)
    return sents, summaries.summarize(chs, sents, vecs, "en", nlp)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(w in it for w in part)


def test_notes_are_extractive_clean_and_within_budget(sample_notes):
    """Every summary sentence and key point is one sentence of its chapter with words left out
    (fillers, repeats), never added or reordered; the key point's time is that sentence's; no
    summary sentence opens with and/so/but; the notes keep to 15 words per 100 (a chapter
    always gets one summary sentence)."""
    sents, notes = sample_notes
    names = [n.title for n in notes]
    assert all(0 < len(t) <= titles.MAX_TITLE_CHARS for t in names)
    assert len(set(t.lower() for t in names)) == len(names)
    total_notes = total_words = 0
    for n in notes:
        own = sents[n.chapter.first:n.chapter.last]
        summary = [p for p in re.split(r"(?<=[.?!])\s+", n.summary) if p]
        assert summary
        for part in summary:
            assert any(_is_subsequence(_words(part), _words(s.text)) for s in own), part
            assert not re.match(r"(?:and|so|but|or|um|uh)\b", part, re.I) and part[0].isupper(), part
        for p in n.key_points:
            source = [s for s in own if s.start == p.time]
            assert source and any(_is_subsequence(_words(p.text), _words(s.text)) for s in source), p
            assert 5 <= len(p.text.split()) <= summaries.MAX_POINT_WORDS and not p.text.endswith("…")
        assert [p.time for p in n.key_points] == sorted(p.time for p in n.key_points)
        assert len(n.key_points) <= summaries.MAX_KEY_POINTS
        total_notes += sum(len(x.split()) for x in [n.title, n.summary] + [p.text for p in n.key_points])
        total_words += sum(len(s.text.split()) for s in own)
    assert total_notes <= 0.17 * total_words, (total_notes, total_words)
    assert not any(re.search(r"\b(?:um|uh|you know)\b", n.summary, re.I) for n in notes)


def test_length_budget_and_overview(sample_notes):
    sents, notes = sample_notes
    items = summaries.overview(notes, 662.0, "en")
    assert 5 <= len(items) <= 8 and [i.time for i in items] == sorted(i.time for i in items)
    assert all(i.text.startswith(notes[i.chapter].title) for i in items)
    assert summaries.overview(notes, 290.0, "en") == []  # five minutes or less: no overview
    tr = Transcript.load(SAMPLES / "talk.asr.json")
    vecs = chapters.embed(sents, chapters.load_encoder())
    chs = chapters.segment(sents, vecs, tr.duration)
    longer = summaries.summarize(chs, sents, vecs, "en", load_nlp("en"), words_per_100=30)
    def size(ns):
        return sum(len(x.split()) for n in ns for x in [n.summary] + [p.text for p in n.key_points])
    assert size(longer) > size(notes)


def test_titles_are_distinct_filler_free_noun_phrases():
    nlp = load_nlp("en")
    texts = [
        "So, you know, the printing press changed everything. The first printing press used movable type. "
        "Movable type made books cheap. Um, the printing press spread across Europe.",
        "Well, the shuttle Columbia was lost. The crew of the shuttle Columbia were astronauts. "
        "You know, the astronauts knew the risks of space flight.",
        "So the prison held debtors. Newgate prison held debtors and felons. The debtors paid fees in Newgate prison.",
    ]
    got = titles.make_titles(texts, ["a", "b", "c"], "en", nlp)
    assert len({t.lower() for t in got}) == 3, got
    for title in got:
        assert 0 < len(title) <= titles.MAX_TITLE_CHARS and title[0].isupper()
        words = re.findall(r"[a-z']+", title.lower())
        assert not {"so", "um", "well", "the", "first"} & set(words), title
        assert "you know" not in title.lower(), title
    assert "printing press" in got[0].lower() or "movable type" in got[0].lower(), got
    assert "columbia" in got[1].lower() or "astronaut" in got[1].lower(), got
    assert "debtors" in got[2].lower() or "prison" in got[2].lower(), got
    # no usable phrase: the central sentence, without its leading fillers; never empty
    assert titles.make_titles(["Yeah. So, you know, we go."], ["So, you know, we go."], "en", nlp) == ["We go"]
    assert titles.make_titles([""], [""], "en", nlp) == ["…"]


def test_mandarin_title_is_short_and_from_the_text():
    text = ["北京的房地产市场在下降。", "房地产中介机构的收入也在下降。", "政府出台了新的房地产调控政策。"]
    sents = [Sentence(i, i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(text)]
    vecs = np.eye(3, 8, dtype=np.float32)
    notes = summaries.summarize([Chapter(0, 0.0, 15.0, 0, 3)], sents, vecs, "zh")
    title = notes[0].title
    assert 0 < len(title) <= titles.MAX_TITLE_CJK
    assert all(part in "".join(text) for part in re.split("[与、：]", title))
    assert " " not in notes[0].summary


def test_hms():
    assert render.hms(0) == "00:00:00"
    assert render.hms(3725.9) == "01:02:05"
    assert render.hms(3 * 3600 + 59) == "03:00:59"


def test_markdown_layout(sample_notes):
    _, notes = sample_notes
    header = render.NotesHeader("talk.mp4", 662.0, "en", "Whisper base")
    md = render.render_markdown(render.Notes(header, notes))
    assert md.startswith("# talk.mp4\n")
    assert "- **Duration:** 00:11:02" in md
    outline = re.findall(r"^- (\d\d:\d\d:\d\d) – (.+)$", md, re.M)
    sections = re.findall(r"^## (\d\d:\d\d:\d\d) – (.+)$", md, re.M)
    assert outline == sections and len(sections) == len(notes)
    assert sections[0][0] == "00:00:00"
    assert re.search(r"^- \*\*\[\d\d:\d\d:\d\d\]\*\* \S", md, re.M)
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_no_speech_markdown_invents_nothing():
    md = render.render_markdown(render.Notes(render.NotesHeader("quiet.wav", 20.0, "und", "Whisper base"), []))
    assert render.NO_SPEECH in md
    assert "## " not in md and "- **Language:** unknown" in md
