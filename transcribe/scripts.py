"""Chinese scripts: the ``--script`` values, and OpenCC conversion of transcripts and finished notes.

The notes (sentences, chapters, titles, summaries, key points) are always computed on
simplified text (:func:`convert_transcript` with ``"simplified"``), so that one transcript
gets the same chapters and titles in every script; :func:`convert_notes` then puts the
finished text into the script asked for, and the fixed labels of the notes follow it
(:func:`convert_text`, used by :func:`transcribe.render.labels`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from transcribe.model import Segment, Transcript, Word
from transcribe.errors import UsageError

SCRIPTS = {
    "simplified": "t2s",
    "traditional": "s2t",
    "tw": "s2tw",
    "tw-phrases": "s2twp",
    "hk": "s2hk",
}
"""``--script`` value -> OpenCC configuration: ``traditional`` is OpenCC's standard
traditional characters (爲, 裏), ``tw`` Taiwan's characters (為, 裡), ``tw-phrases`` Taiwan's
characters and phrases (软件 -> 軟體), ``hk`` Hong Kong's characters."""


def check_script(script: str) -> None:
    """Raises UsageError for a ``--script`` value that is not one of :data:`SCRIPTS`."""
    if script not in SCRIPTS:
        raise UsageError(f"--script {script}: use {', '.join(SCRIPTS)}")


@lru_cache(maxsize=None)
def _converter(script: str):
    import opencc

    return opencc.OpenCC(SCRIPTS[script])


def convert_text(text: str, script: str) -> str:
    """``text`` in ``script`` (simplified text in, as the notes are computed)."""
    return _converter(script).convert(text) if text else text


def convert_segment(seg: Segment, script: str) -> Segment:
    """Convert the words' text as one string (OpenCC picks characters by phrase: 饼干 -> 餅乾, not 餅幹),
    then hand the characters back to the words; word by word only if the length changed."""
    cc = _converter(script)
    joined = "".join(w.text for w in seg.words)
    converted = cc.convert(joined)
    if len(converted) == len(joined):
        words, k = [], 0
        for w in seg.words:
            words.append(Word(w.start, w.end, converted[k:k + len(w.text)], w.probability))
            k += len(w.text)
    else:
        words = [Word(w.start, w.end, cc.convert(w.text), w.probability) for w in seg.words]
    return replace(seg, text=cc.convert(seg.text), words=words, speaker=seg.speaker and cc.convert(seg.speaker))


def convert_transcript(transcript: Transcript, script: str) -> Transcript:
    """Chinese text in one script (segment and word texts; times untouched). Other languages
    are returned as they are."""
    if transcript.text_language != "zh":
        return transcript
    return replace(transcript, segments=[convert_segment(s, script) for s in transcript.segments])


def convert_notes(notes, script: str):
    """Finished :class:`transcribe.render.Notes` of Chinese text, computed on simplified text, in
    ``script``: titles, summaries, key points, overview, parts, sentences and segments, and
    ``header.script`` (the labels follow it). Other languages, and ``simplified``, unchanged."""
    if notes.header.language != "zh" or script == "simplified":
        return notes

    def c(text: str) -> str:
        return convert_text(text, script)

    return replace(
        notes, header=replace(notes.header, script=script),
        chapters=[replace(n, title=c(n.title), summary=c(n.summary),
                          key_points=[replace(p, text=c(p.text)) for p in n.key_points]) for n in notes.chapters],
        sentences=[replace(s, text=c(s.text), speaker=s.speaker and c(s.speaker)) for s in notes.sentences],
        segments=[convert_segment(s, script) for s in notes.segments],
        parts=[replace(p, title=c(p.title)) for p in notes.parts],
        overview=[replace(o, text=c(o.text)) for o in notes.overview])
