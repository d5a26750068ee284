"""The ``srt`` and ``vtt`` writers: subtitles built from the word timings, written with pysubs2.

:func:`subtitle_cues` packs the words into cues of at most ``--max-line-width`` characters a
line (:data:`CUE_LINE_CHARS` by default), ``--max-line-count`` lines (:data:`CUE_LINES`) and
:data:`CUE_MAX_S` seconds, cut at sentence ends and pauses; then no cue is left shorter than
:data:`CUE_MIN_S` (:func:`_lengthen_short`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from transcribe.asr.checks import join_subwords
from transcribe.model import Segment, Word
from transcribe.model import CUE_LINE_CHARS, CUE_LINES, Notes
from transcribe.render.common import is_cjk, one_line

CUE_MAX_S = 7.0
CUE_MIN_S = 1.0
"""No cue is shown for less than this (seconds): merged with a neighbour, or lengthened."""
CUE_MAX_LAG_S = 1.0
"""A cue lengthened to :data:`CUE_MIN_S` may delay the next ones by at most this (seconds) after
their first word; where words come faster than one cue a second at the line limits asked for
(``--max-line-width 16 --max-line-count 1`` on fast speech), cues stay shorter instead."""
CUE_PAUSE_S = 1.0
"""A pause this long between words starts a new subtitle cue."""
LINE_WIDTH_RANGE = (10, 200)
"""Allowed ``--max-line-width`` values, inclusive."""
LINE_COUNT_RANGE = (1, 10)
"""Allowed ``--max-line-count`` values, inclusive."""
_SENTENCE_END = tuple(".?!。？！")
_is_cjk = is_cjk  # the name earlier code and tests know


@dataclass
class Cue:
    """One subtitle: seconds, and its lines."""

    start: float
    end: float
    lines: list[str]


@dataclass
class _Run:
    """A cue being built: its words and times."""

    words: list[Word]
    start: float
    end: float


def _spread_words(seg: Segment, cjk: bool) -> list[Word]:
    """Words for a segment that has no word timings: its text split (by character for CJK),
    times spread evenly over the segment."""
    tokens = list(seg.text.strip()) if cjk else [" " + t for t in seg.text.split()]
    tokens = [t for t in tokens if t.strip()]
    if not tokens:
        return []
    step = max(seg.end - seg.start, 0.0) / len(tokens)
    return [Word(seg.start + i * step, seg.start + (i + 1) * step, t) for i, t in enumerate(tokens)]


def _split_word(w: Word, width: int) -> list[Word]:
    """A word longer than a line, in pieces of a line each (times spread by length), so that
    it too keeps to the line width and count; any other word as it is."""
    text = w.text.strip()
    if len(text) <= width:
        return [w]
    lead = w.text[:len(w.text) - len(w.text.lstrip())]
    pieces = [text[i:i + width] for i in range(0, len(text), width)]
    step = (w.end - w.start) / len(text)
    out, k = [], 0
    for n, piece in enumerate(pieces):
        out.append(Word(w.start + k * step, w.start + (k + len(piece)) * step, (lead if n == 0 else "") + piece,
                        w.probability))
        k += len(piece)
    return out


def _wrap(text: str, cjk: bool, width: int = CUE_LINE_CHARS) -> list[str]:
    text = one_line(text) if not cjk else text.strip()
    if cjk:
        return [text[i:i + width] for i in range(0, len(text), width)] or [""]
    return textwrap.wrap(text, width, break_long_words=True) or [""]


def _text(words: list[Word]) -> str:
    return "".join(w.text for w in words)


def subtitle_cues(segments: list[Segment], line_width: int = CUE_LINE_CHARS,
                  line_count: int = CUE_LINES) -> list[Cue]:
    """Cues of at most ``line_count`` lines of ``line_width`` characters and 7 s, cut at
    sentence ends and pauses, none shorter than 1 s.

    Words are packed greedily in spoken order; a segment without word timings
    counts as one word. A single word longer than 7 s is shown for 7 s.
    """
    cjk = is_cjk(" ".join(s.text for s in segments[:100]))
    words: list[Word] = []
    for seg in segments:  # sub-word tokens (a translation's "D", "eng") joined: a cue never cuts a word
        words += [w for w in join_subwords(seg).words if w.text.strip()] or _spread_words(seg, cjk)
    words = [piece for w in words for piece in _split_word(w, line_width)]

    def fits(ws: list[Word]) -> bool:
        return len(_wrap(_text(ws), cjk, line_width)) <= line_count

    runs: list[_Run] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            start = current[0].start
            runs.append(_Run(list(current), start, min(max(current[-1].end, start + 0.2), start + CUE_MAX_S)))
            current.clear()

    for w in words:
        if current:
            too_long = not fits(current + [w]) or w.end - current[0].start > CUE_MAX_S
            pause = w.start - current[-1].end >= CUE_PAUSE_S
            ended = current[-1].text.strip().endswith(_SENTENCE_END) and len(current) >= 2
            if too_long or pause or ended:
                flush()
        current.append(w)
        if not fits(current):  # one over-long word
            flush()
    flush()
    for a, b in zip(runs, runs[1:]):  # never overlap the next cue
        a.end = max(a.start + 0.05, min(a.end, b.start))
    for r in runs:  # whole milliseconds, as written: a cue of 1 s stays 1000 ms
        r.start, r.end = round(r.start, 3), round(r.end, 3)
    _lengthen_short(runs, fits)
    return [Cue(r.start, r.end, _wrap(_text(r.words), cjk, line_width)) for r in runs]


def _lengthen_short(runs: list[_Run], fits) -> None:
    """No cue under :data:`CUE_MIN_S`: merge a short one into the neighbour nearer in time when
    the lines still fit and the cue stays within :data:`CUE_MAX_S`; else extend its end into
    the gap after it, then its start into the gap before it, then take the time from a
    neighbour that keeps :data:`CUE_MIN_S` itself."""
    i = 0
    while i < len(runs):
        r = runs[i]
        if r.end - r.start >= CUE_MIN_S - 1e-9:
            i += 1
            continue
        choices = []
        if i > 0:
            choices.append((r.start - runs[i - 1].end, i - 1))
        if i + 1 < len(runs):
            choices.append((runs[i + 1].start - r.end, i))
        for _, k in sorted(choices):
            a, b = runs[k], runs[k + 1]
            if fits(a.words + b.words) and max(a.end, b.end) - a.start <= CUE_MAX_S:
                runs[k:k + 2] = [_Run(a.words + b.words, a.start, max(a.end, b.end))]
                i = k
                break
        else:
            _stretch(runs, i)
            i += 1


def _stretch(runs: list[_Run], i: int) -> None:
    """Make ``runs[i]`` :data:`CUE_MIN_S` long without overlapping its neighbours: its end into
    the gap after it, its start into the gap before it, then time from the next or the previous
    cue where that one keeps :data:`CUE_MIN_S`; failing all (speech faster than a cue a second
    at these line limits) the next cue starts later, by up to :data:`CUE_MAX_LAG_S`."""
    r = runs[i]
    nxt = runs[i + 1] if i + 1 < len(runs) else None
    prev = runs[i - 1] if i > 0 else None
    r.end = max(r.end, min(r.start + CUE_MIN_S, nxt.start if nxt else r.start + CUE_MIN_S))
    r.start = min(r.start, max(r.end - CUE_MIN_S, prev.end if prev else 0.0))
    if r.end - r.start >= CUE_MIN_S - 1e-9:
        return
    if (nxt is not None and nxt.end - max(nxt.start, r.start + CUE_MIN_S) >= CUE_MIN_S
            and r.start + CUE_MIN_S <= nxt.words[0].start + CUE_MAX_LAG_S):
        r.end = r.start + CUE_MIN_S
        nxt.start = max(nxt.start, r.end)
    elif prev is not None and r.end - CUE_MIN_S - prev.start >= CUE_MIN_S:
        r.start = r.end - CUE_MIN_S
        prev.end = min(prev.end, r.start)
    elif nxt is None or nxt.start >= r.start + CUE_MIN_S:
        r.end = r.start + CUE_MIN_S
    else:  # the next cue later, but never more than CUE_MAX_LAG_S after its first word
        r.end = nxt.start = max(nxt.start, min(r.start + CUE_MIN_S, nxt.words[0].start + CUE_MAX_LAG_S))
        nxt.end = max(nxt.end, nxt.start)


def _subtitles(notes: Notes, fmt: str) -> str:
    import pysubs2

    subs = pysubs2.SSAFile()
    for cue in subtitle_cues(notes.segments, notes.options.line_width, notes.options.line_count):
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000),
                                     text=r"\N".join(cue.lines)))
    return subs.to_string(fmt)


def render_srt(notes: Notes) -> str:
    """SubRip subtitles of the speech (see :func:`subtitle_cues`)."""
    return _subtitles(notes, "srt")


def render_vtt(notes: Notes) -> str:
    """WebVTT subtitles of the speech (see :func:`subtitle_cues`)."""
    return _subtitles(notes, "vtt")


FORMATS = {"srt": (".srt", render_srt), "vtt": (".vtt", render_vtt)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
