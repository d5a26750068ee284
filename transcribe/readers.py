"""Transcripts in: the project's transcript JSON, SRT, WebVTT, or plain text.

In: a path. Out: :class:`transcribe.asr.Transcript` plus whether it has times,
for ``transcribe chapters TRANSCRIPT``.

* ``*.json``: the transcript this tool saves (``NAME.transcript.json``).
* ``*.srt`` / ``*.vtt``: subtitle cues become segments (read with pysubs2), with
  the same rule as below for a cue that starts before the one before it. The
  text a cue repeats from the cue before (YouTube's rolling auto-captions show
  each line twice) is dropped.
* anything else: plain text, one sentence or utterance per line, each
  optionally starting with ``[HH:MM:SS]``, ``[MM:SS]`` or ``[H:MM:SS.s]``.
  Lines without a time take the previous line's; a file without any times is
  untimed, and its chapters are placed by line. A time up to
  :data:`BACKWARD_TOLERANCE_S` earlier than the line before (people's
  transcripts have them: a paragraph's times spread by length, a hand-placed
  stamp) is kept in order at the previous line's time, with one warning
  naming the first such line; a larger step back is refused.

Cues and lines are cut where the tool that wrote them cut, not where sentences
end; so every cue or line gets word timings spread over its time by length
(:func:`spread_words`), and :mod:`transcribe.sentences` re-splits the text into
sentences, within a cue or across cues, as it does Whisper's.

Speakers: lines (and cues) of meeting transcripts that start with a speaker
label, ``Alice: text``, ``[SPEAKER_00]: text`` (WhisperX) or WebVTT's
``<v Alice>text``, keep the speaker in :attr:`Segment.speaker` and lose the
label from the text, so it is never read as words of the talk (nor picked for
a title). A ``Word:`` prefix counts as a label only where the file looks like a
meeting transcript: labels on at least :data:`SPEAKER_LINES_MIN` of the lines,
each label used at least twice or in the WhisperX form.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from typing import Callable

from transcribe.model import Segment, Transcript, Word
from transcribe.errors import TranscribeError
from transcribe.media import check_readable

BACKWARD_TOLERANCE_S = 30.0
"""A line's time may be this many seconds earlier than the line before; more is refused."""

SPEAKER_LINES_MIN = 0.3
"""Share of lines that must carry a ``Name:`` label for the file to be read as having speakers."""
_SPEAKER = re.compile(r"^(?:\[(?P<bracketed>[^\]\n]{1,40})\]|(?P<name>(?:[A-Z][\w.'-]*|Dr\.)(?: [A-Z][\w.'-]*){0,3}"
                      r"|SPEAKER_\d+|Speaker \d+|[\u4e00-\u9fff]{1,5}))\s*[:：]\s*(?=\S)")
_INLINE_TAG = re.compile(r"<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}>|</?c(?:\.[\w.-]+)*>")
"""WebVTT's inline timestamps and class spans (YouTube's auto-captions time each word so);
pysubs2 keeps them as text, or takes a line starting with one for a cue's timing line."""
_VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+([^>\n]{1,40})>")
_CJK_CHARS = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
"""CJK ideographs and full-width punctuation: one word each when a cue is spread into words."""
_CJK = re.compile(f"[{_CJK_CHARS}]")
_TOKEN = re.compile(f"[{_CJK_CHARS}]|[^\\s{_CJK_CHARS}]+")
_STAMP = re.compile(r"^\s*\[(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)\]\s*")


def guess_language(text: str) -> str:
    """``"zh"`` when a third or more of the letters are CJK ideographs, else ``"en"``."""
    letters = [c for c in text if c.isalpha()]
    cjk = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff")
    return "zh" if letters and cjk * 3 >= len(letters) else "en"


def load_transcript(path: Path, language: str | None = None,
                    warn: Callable[[str], None] | None = None) -> tuple[Transcript, bool]:
    """Read a transcript file; returns ``(transcript, timed)``.

    Args:
        path: a ``.json`` transcript of this tool, ``.srt``, ``.vtt`` or plain text (UTF-8).
        language: ISO 639-1 code of the text; ``None`` keeps the JSON's or guesses (zh/en).
        warn: called with one line when the file was read with a repair (times that
            step back a little); ``None`` ignores it.

    Raises:
        TranscribeError: unreadable, empty, or not in any of these forms.
    """
    path = Path(path)
    check_readable(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        transcript, timed = Transcript.load(path), True
    elif suffix in (".srt", ".vtt"):
        transcript, timed = _subtitles(path, warn), True
    else:
        transcript, timed = _plain_text(path, warn or (lambda message: None))
    if not transcript.segments:
        raise TranscribeError(f"{path}: no text found")
    if suffix != ".json":
        transcript.segments = spread_words(transcript.segments)
    if language is not None:
        transcript.language = language
    elif suffix != ".json":
        transcript.language = guess_language(" ".join(s.text for s in transcript.segments[:200]))
    return transcript, timed


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscribeError(f"{path}: not UTF-8 text") from exc
    if "\x00" in text:
        raise TranscribeError(f"{path}: not a text file (it holds NUL bytes)")
    return text


def _subtitles(path: Path, warn: Callable[[str], None] | None = None) -> Transcript:
    import pysubs2

    raw = _INLINE_TAG.sub("", _read_text(path))  # YouTube's word times: <00:00:01.500><c> word</c>
    voiced = bool(_VOICE.search(raw))  # pysubs2 drops WebVTT's <v Name>: kept as a [Name]: label
    try:
        subs = pysubs2.SSAFile.from_string(_VOICE.sub(lambda m: f"[{m[1].strip()}]: ", raw),
                                           format_=path.suffix.lower()[1:])
    except Exception as exc:  # pysubs2 raises several parse error types
        raise TranscribeError(f"{path}: not a readable {path.suffix[1:].upper()} file ({exc})") from exc
    segments, order, previous = [], _InOrder(path, "cue"), []
    for no, e in enumerate(subs, 1):
        lines = [" ".join(line.split()) for line in html.unescape(e.plaintext).splitlines() if line.strip()]
        text, previous = " ".join(_without_repeat(lines, previous)), lines
        if text:
            start = order.keep(e.start / 1000.0, no, f"cue {no} starts")
            segments.append(Segment(start, max(start, e.end / 1000.0), text))
    order.warn_once(warn, "cue {no} starts")
    segments = _with_speakers(segments, voiced)
    duration = max((s.end for s in segments), default=0.0)
    return Transcript(segments, "und", duration, "subtitles", {"file": path.name})


def _without_repeat(lines: list[str], previous: list[str]) -> list[str]:
    """A cue's lines less those it repeats from the end of the cue before (YouTube's
    rolling auto-captions show each line again, as the first of the next cue)."""
    for n in range(min(len(lines), len(previous)), 0, -1):
        if lines[:n] == previous[-n:]:
            return lines[n:]
    return lines


def _with_speakers(segments: list[Segment], voiced: bool = False) -> list[Segment]:
    """Speaker labels (``Alice: text``) moved from the text into :attr:`Segment.speaker`,
    where the file looks like a meeting transcript (see the module docstring) or
    ``voiced`` (WebVTT voice tags) says it is one; an unlabelled segment after a
    labelled one keeps that speaker."""
    found = [(_SPEAKER.match(s.text), s) for s in segments]
    counts = Counter(m["bracketed"] or m["name"] for m, _ in found if m)
    accepted = {label for label, n in counts.items()
                if n >= 2 or any(m and m["bracketed"] == label for m, _ in found)
                or label.upper().startswith(("SPEAKER", "SPK"))}
    labelled = sum(1 for m, _ in found if m and (m["bracketed"] or m["name"]) in accepted)
    if not voiced and labelled < SPEAKER_LINES_MIN * len(segments):
        return segments
    out, speaker = [], None
    for m, s in found:
        label = (m["bracketed"] or m["name"]) if m else None
        if label in accepted:
            speaker, text = label.strip(), s.text[m.end():].strip()
        else:
            speaker, text = s.speaker or speaker, s.text
        if text:
            out.append(Segment(s.start, s.end, text, s.words, speaker))
    return out


def spread_words(segments: list[Segment]) -> list[Segment]:
    """Segments with word timings: each segment's text split into words (CJK by
    character, runs of other letters by space), its time shared by their length.

    For cues and lines, whose ends are not sentence ends, so that
    :func:`transcribe.sentences.split_sentences` can cut a sentence inside one.
    Segments that already have words are kept as they are.
    """
    out = []
    for seg in segments:
        if seg.words:
            out.append(seg)
            continue
        tokens = [(" " if m.start() == 0 and not _CJK.match(m[0]) or seg.text[m.start() - 1:m.start()].isspace()
                   else "") + m[0] for m in _TOKEN.finditer(seg.text)]
        total = sum(len(t.strip()) for t in tokens) or 1
        per_char, t, words = max(seg.end - seg.start, 0.0) / total, seg.start, []
        for token in tokens:
            end = t + per_char * len(token.strip())
            words.append(Word(t, end, token))
            t = end
        out.append(Segment(seg.start, seg.end, seg.text, words, seg.speaker))
    return out


class _InOrder:
    """Times kept in order: one up to :data:`BACKWARD_TOLERANCE_S` earlier than the one
    before is moved to that time (and remembered for one warning), more is refused."""

    def __init__(self, path: Path, unit: str):
        self.path, self.unit, self.last, self.stepped = path, unit, 0.0, []

    def keep(self, t: float, no: int, subject: str) -> float:
        """``t`` (seconds) in order; ``subject`` such as "cue 3 starts" names it in the error."""
        if t < self.last - BACKWARD_TOLERANCE_S:
            raise TranscribeError(f"{self.path}: {subject} {self.last - t:.0f} s earlier than the {self.unit} "
                                  f"before; times must not go backwards by more than {BACKWARD_TOLERANCE_S:.0f} s")
        if t < self.last:
            self.stepped.append((no, self.last - t))
        self.last = max(self.last, t)
        return self.last

    def warn_once(self, warn: Callable[[str], None] | None, subject: str) -> None:
        """One line for all the times moved; ``subject`` a template with ``{no}``."""
        if not self.stepped or warn is None:
            return
        no, step = self.stepped[0]
        n = len(self.stepped) - 1
        more = f" (and {n} more {self.unit}(s))" if n else ""
        warn(f"{self.path}: {subject.format(no=no)} {step:.0f} s earlier than the {self.unit} before{more}; "
             f"kept in order at the earlier {self.unit}'s time")


def _plain_text(path: Path, warn: Callable[[str], None]) -> tuple[Transcript, bool]:
    lines = [(no, line.strip()) for no, line in enumerate(_read_text(path).splitlines(), 1) if line.strip()]
    stamped = []
    for no, line in lines:
        m = _STAMP.match(line)
        seconds = None
        if m:
            if (m[1] is not None and int(m[2]) >= 60) or float(m[3]) >= 60:
                raise TranscribeError(f"{path}: line {no}: {m[0].strip()} is not a time (minutes and seconds "
                                      "run 00-59)")
            seconds = int(m[1] or 0) * 3600 + int(m[2]) * 60 + float(m[3])
            line = line[m.end():].strip()
        if line:
            stamped.append((seconds, line, no))
    timed = any(t is not None for t, _, _ in stamped)
    segments, order = [], _InOrder(path, "line")
    for i, (t, line, no) in enumerate(stamped):
        if timed:
            start = order.keep(t, no, f"the time of line {no} ({line[:40]}) is") if t is not None else order.last
        else:
            start = float(i)
        segments.append(Segment(start, start, line))
    for seg, nxt in zip(segments, segments[1:]):
        seg.end = max(seg.start, nxt.start)
    if segments:
        segments[-1].end = segments[-1].start + (5.0 if timed else 1.0)
    order.warn_once(warn, "the time of line {no} is")
    segments = _with_speakers(segments)
    duration = segments[-1].end if segments else 0.0
    return Transcript(segments, "und", duration, "text", {"file": path.name}), timed

