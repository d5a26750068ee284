"""Chapters and parts on talks with people's chapters: slices of the dev set in
``../shared/eval/talks`` (read in place, never copied here; skipped where it is absent).
Full figures: ``bench/talks.py``."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_cli
from transcribe import chapters, readers
from transcribe.sentences import load_nlp, split_sentences

TALKS = ROOT.parent / "shared" / "eval" / "talks"
needs_talks = pytest.mark.skipif(not TALKS.is_dir(), reason="../shared/eval/talks not present")


@pytest.fixture(scope="module")
def encoder():
    return chapters.load_encoder()


def _outline(name: str, encoder, **kw):
    folder = "written" if name.startswith("dev_") else "real"
    path = TALKS / folder / (f"{name}.timed.txt" if folder == "written" else f"{name}.transcript.txt")
    tr, _ = readers.load_transcript(path)
    sents = split_sentences(tr, load_nlp(tr.language))
    gold = json.loads((TALKS / folder / f"{name}.gold.json").read_text(encoding="utf-8"))
    return chapters.outline(sents, chapters.embed(sents, encoder), tr.duration, tr.language, **kw), gold


def _found(hyp: list[float], ref: list[float], collar: float) -> int:
    return sum(any(abs(h - r) <= collar for h in hyp) for r in ref)


@needs_talks
@pytest.mark.parametrize("name", ["dev_en03", "dev_en01", "dev_zh02"])
def test_short_talks_get_an_editors_count_of_chapters(name, encoder):
    """10-15 minute talks with 5-7 chapters by people: a chapter count within 0.6-1.6x of
    theirs (the earlier method gave one), and most of their boundaries within 30 s."""
    found, gold = _outline(name, encoder)
    ref = [c["start"] for c in gold["chapters"]][1:]
    hyp = [c.start for c in found.chapters][1:]
    assert 0.6 <= len(found.chapters) / len(gold["chapters"]) <= 1.6, hyp
    assert _found(hyp, ref, 30.0) >= len(ref) / 2, (hyp, ref)
    assert found.parts == []  # a short talk: one level


@needs_talks
def test_long_keynote_parts_and_detail_levels(encoder):
    """The 50-minute annual keynote: three parts, found within 30 s of people's; coarse gives
    about one chapter per part, fine more than normal; --chapters still forces the count."""
    found, gold = _outline("dev_zh_long", encoder)
    assert len(found.parts) == 3
    assert _found([p.start for p in found.parts][1:], [p["start"] for p in gold["parts"]][1:], 30.0) == 2
    assert [p.first for p in found.parts][0] == 0 and found.parts[-1].last == len(found.chapters)
    assert all(a.last == b.first for a, b in zip(found.parts, found.parts[1:]))
    coarse, _ = _outline("dev_zh_long", encoder, detail="coarse")
    fine, _ = _outline("dev_zh_long", encoder, detail="fine")
    assert 2 <= len(coarse.chapters) <= 5 and coarse.parts == []
    assert len(coarse.chapters) < len(found.chapters) < len(fine.chapters)
    forced, _ = _outline("dev_zh_long", encoder, n_chapters=7)
    assert len(forced.chapters) == 7 and forced.parts == []


@needs_talks
def test_cli_on_a_real_transcript_with_times_that_step_back(tmp_path):
    """A real 2-hour interview transcript (a line 1-3 s earlier than the line before, which
    was refused before): one warning, JSON with parts and chapters in order, titles all different."""
    src = TALKS / "real" / "en_lex405_bezos.transcript.txt"
    out = tmp_path / "notes.json"
    proc = run_cli("chapters", src, "-q", "-f", "json", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("warning:") == 1 and "earlier than the line before" in proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    starts = [c["start"] for c in data["chapters"]]
    assert starts == sorted(starts) and 10 <= len(starts) <= 2.5 * 10  # the show marks 10
    assert len(data["parts"]) >= 2 and data["parts"][0]["first_chapter"] == 0
    assert data["parts"][-1]["last_chapter"] == len(starts) - 1
    titles = [c["title"] for c in data["chapters"]] + [p["title"] for p in data["parts"]]
    assert len(set(titles)) == len(titles)
