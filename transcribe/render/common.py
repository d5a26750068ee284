"""What every writer shares: the data they render and the small pieces they all use.

* :class:`transcribe.model.Notes` (header facts, chapter notes, sentences, ASR segments,
  parts, overview, :class:`transcribe.model.RenderOptions`) is what they render; it lives in
  the data model with the other stages' dataclasses.
* :func:`hms`, :func:`clock`: times as ``HH:MM:SS`` (or ``¶ N`` for text without times).
* :data:`LABELS`, :func:`labels`: the fixed labels of the notes, English or Chinese (in the
  notes' ``--script``).
* :func:`escape`, :func:`one_line`, :func:`is_cjk`, :func:`join_sentences`,
  :func:`paragraphs`: text helpers.

Times are seconds in the data and clock strings only in the writers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from transcribe.model import Notes, Sentence

PARAGRAPH_PAUSE_S = 2.0
"""A pause this long before a sentence starts a new transcript paragraph."""
PARAGRAPH_SOFT_S = 45.0
"""A paragraph this long (seconds) ends at the next pause of :data:`PARAGRAPH_SOFT_PAUSE_S`."""
PARAGRAPH_SOFT_PAUSE_S = 0.6
PARAGRAPH_MAX_S = 75.0
"""A paragraph this long ends at the next sentence, pause or not."""
PARAGRAPH_SENTENCES = 5
"""Sentences per paragraph of text without times."""

LABELS = {
    "en": {"source": "Source", "duration": "Duration", "language": "Language", "model": "Model",
           "track": "Audio track", "of": "of", "outline": "Outline", "overview": "Overview", "summary": "Summary",
           "points": "Key points", "unknown": "unknown", "translated": "translated from", "part": "Part",
           "transcript": "Transcript", "no_speech": "No speech was found in this recording."},
    "zh": {"source": "来源", "duration": "时长", "language": "语言", "model": "模型",
           "track": "音轨", "of": "/", "outline": "目录", "overview": "概要", "summary": "摘要",
           "points": "要点", "unknown": "未知", "translated": "译自", "part": "第{n}部分",
           "transcript": "文字稿", "no_speech": "这段录音中没有检测到语音。"},
}
"""Labels in simplified Chinese; :func:`labels` converts them to the notes' script."""
NO_SPEECH = LABELS["en"]["no_speech"]


Renderer = Callable[[Notes], str]
"""A writer: the notes as the text of one file."""


def hms(seconds: float) -> str:
    """``3725.9`` -> ``"01:02:05"`` (seconds floored; hours not wrapped)."""
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def clock(seconds: float, timed: bool = True) -> str:
    """:func:`hms`, or for text without times (where "seconds" are 0-based sentence numbers) ``¶ N``."""
    return hms(seconds) if timed else f"¶ {int(seconds) + 1}"


@lru_cache(maxsize=None)
def _labels(language: str, script: str) -> dict[str, str]:
    if language != "zh":
        return LABELS["en"]
    if script == "simplified":
        return LABELS["zh"]
    from transcribe.scripts import convert_text

    return {key: convert_text(text, script) for key, text in LABELS["zh"].items()}


def labels(language: str, script: str = "simplified") -> dict[str, str]:
    """Fixed labels of the notes in ``language`` (Chinese for ``zh``, in ``script``; else English)."""
    return dict(_labels(language, script))


def escape(text: str) -> str:
    """Keep spoken text from being read as markdown markup.

    ``_`` inside words is not emphasis in CommonMark, and every escaped line
    starts with our own prefix, so ``_`` and ``#`` are left alone.
    """
    for ch in ("\\", "*", "`", "[", "]", "<", ">"):
        text = text.replace(ch, "\\" + ch)
    return text


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) as one space, stripped."""
    return " ".join(text.split())


def _cjk_char(c: str) -> bool:
    return ("\u3000" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af"
            or "\uff00" <= c <= "\uffef")


def is_cjk(text: str) -> bool:
    """True when at least a third of the letters are Chinese, Japanese or Korean."""
    letters = [c for c in text if c.isalpha()]
    cjk = sum(1 for c in letters if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff"
              or "\uac00" <= c <= "\ud7af")
    return bool(letters) and cjk * 3 >= len(letters)


def join_sentences(texts: list[str]) -> str:
    """Sentences as running text: a space between two, none where either side is Chinese
    (or Japanese) characters or full-width punctuation."""
    out = ""
    for text in (one_line(t) for t in texts):
        if not text:
            continue
        if out and not (_cjk_char(out[-1]) or _cjk_char(text[0])):
            out += " "
        out += text
    return out


def paragraphs(sentences: list[Sentence], timed: bool = True) -> list[list[Sentence]]:
    """``sentences`` (in spoken order) grouped into readable paragraphs.

    Timed: a new paragraph after a pause of :data:`PARAGRAPH_PAUSE_S`, at a shorter pause
    (:data:`PARAGRAPH_SOFT_PAUSE_S`) once the paragraph has run :data:`PARAGRAPH_SOFT_S`, and
    at any sentence once it has run :data:`PARAGRAPH_MAX_S`. Untimed: every
    :data:`PARAGRAPH_SENTENCES` sentences. Always where the speaker changes.
    """
    out: list[list[Sentence]] = []
    for s in sentences:
        if out:
            para = out[-1]
            if timed:
                pause, run = s.start - para[-1].end, s.start - para[0].start
                new = (pause >= PARAGRAPH_PAUSE_S or (run >= PARAGRAPH_SOFT_S and pause >= PARAGRAPH_SOFT_PAUSE_S)
                       or run >= PARAGRAPH_MAX_S)
            else:
                new = len(para) >= PARAGRAPH_SENTENCES
            if not new and getattr(s, "speaker", None) == getattr(para[-1], "speaker", None):
                para.append(s)
                continue
        out.append([s])
    return out
