"""The data model: what every stage hands to the next, and the transcript's JSON form.

media → asr → sentences → chapters → summaries → render. Each stage takes and returns
these dataclasses; stages import this module, not each other. It imports nothing of the
project but :mod:`transcribe.errors` (the exception classes, which import nothing), so any
module may use it without an import cycle.

* ASR (:mod:`transcribe.asr`): :class:`Word`, :class:`Segment`, :class:`Transcript`
  (and its JSON load/save: :meth:`Transcript.to_json`, :meth:`Transcript.load`).
* Sentences (:mod:`transcribe.sentences`): :class:`Sentence`.
* Chapters (:mod:`transcribe.chapters`): :class:`Span`, :class:`Chapter`, :class:`Part`,
  :class:`Outline`.
* Summaries (:mod:`transcribe.summaries`): :class:`KeyPoint`, :class:`ChapterNotes`,
  :class:`PartNotes`, :class:`OverviewItem`.
* Render (:mod:`transcribe.render`): :class:`NotesHeader`, :class:`RenderOptions`,
  :class:`Notes`.

Times are seconds (float) on the player's clock everywhere.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transcribe.errors import TranscribeError

TRANSCRIPT_VERSION = 1
"""``version`` of the transcript JSON (``NAME.transcript.json``)."""
MIN_SPEECH_S = 1.0
"""Less recognised speech than this, seconds, counts as no speech for the notes."""
CUE_LINE_CHARS = 42
"""Default characters per subtitle line (``--max-line-width``)."""
CUE_LINES = 2
"""Default lines per subtitle cue (``--max-line-count``)."""


# --- ASR ------------------------------------------------------------------------------

@dataclass
class Word:
    """One recognised word. ``start``/``end`` in seconds on the player's clock."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass
class Segment:
    """One Whisper segment (a decoding window's sentence-ish piece), or a cue or line of an
    imported transcript; seconds. ``speaker``: the speaker's label where an imported
    transcript names one (``Alice: …``), else ``None`` (Whisper does not tell speakers apart)."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None

    @classmethod
    def from_dict(cls, s: dict[str, Any]) -> "Segment":
        """Inverse of ``dataclasses.asdict``. Raises KeyError/TypeError/ValueError on bad data."""
        speaker = s.get("speaker")
        return cls(float(s["start"]), float(s["end"]), str(s["text"]),
                   [Word(float(w["start"]), float(w["end"]), str(w["text"]), float(w.get("probability", 1.0)))
                    for w in s.get("words", [])], None if speaker is None else str(speaker))


@dataclass
class Transcript:
    """The ASR result for one audio track.

    Attributes:
        segments: in time order; empty when no speech was found.
        language: ISO 639-1 code spoken (detected or given), e.g. ``"en"``.
        duration: length of the recording, seconds.
        model: the model used, e.g. ``"base"`` or a directory.
        source: provenance of the input (file name, size, hash of its first
            MiB, audio track), used to tell whether a saved transcript still matches its input.
        task: ``"transcribe"`` (text in the spoken language) or ``"translate"``
            (Whisper's translation into English; times still those of the speech).
        engine: ``"faster-whisper"`` or ``"openai-whisper"``.
        hints: see below.
    """

    segments: list[Segment]
    language: str
    duration: float
    model: str
    source: dict[str, Any] = field(default_factory=dict)
    task: str = "transcribe"
    engine: str = "faster-whisper"
    hints: dict[str, str] = field(default_factory=dict)
    """``--initial-prompt`` / ``--hotwords`` the text was made with (``{}``: none)."""

    @property
    def text_language(self) -> str:
        """Language of the text: English after ``translate``, else the spoken language."""
        return "en" if self.task == "translate" else self.language

    @property
    def has_speech(self) -> bool:
        """True when the segments hold at least :data:`MIN_SPEECH_S` of speech with text.

        Less than that (a cough, half a word) is too little to make notes from
        without guessing, and is where Whisper is most likely to invent words.
        """
        spoken = sum(s.end - s.start for s in self.segments if s.text.strip())
        return spoken >= MIN_SPEECH_S

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``version`` key included; ``speaker`` only where a segment has one)."""
        data = {"version": TRANSCRIPT_VERSION, **asdict(self)}
        for seg in data["segments"]:
            if seg["speaker"] is None:
                del seg["speaker"]
        return data

    def to_json(self) -> str:
        """The transcript as indented UTF-8 JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcript":
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: the dict is not a transcript of a known version.
        """
        if not isinstance(data, dict) or data.get("version") != TRANSCRIPT_VERSION or "segments" not in data:
            raise ValueError("not a transcript of this tool (no version 1 and segments)")
        segments = [Segment.from_dict(s) for s in data["segments"]]
        return cls(segments, str(data["language"]), float(data["duration"]), str(data["model"]),
                   dict(data.get("source", {})), str(data.get("task", "transcribe")),
                   str(data.get("engine", "faster-whisper")), dict(data.get("hints", {})))

    @classmethod
    def load(cls, path: Path) -> "Transcript":
        """Read a transcript JSON file.

        Raises:
            TranscribeError: unreadable file or not a transcript.
        """
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            detail = " ".join(str(exc).split())[:120] or type(exc).__name__
            raise TranscribeError(f"{path}: not a readable transcript ({detail})") from exc


# --- sentences and chapters -----------------------------------------------------------

@dataclass
class Sentence:
    """One sentence of the talk.

    Attributes:
        index: position in the talk (0-based).
        start: seconds, start of its first word.
        end: seconds, end of its last word.
        text: the words as spoken (stripped).
        speaker: who says it, where an imported transcript names speakers; else ``None``.
    """

    index: int
    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass
class Span:
    """A run of items ``first`` .. ``last - 1`` from ``start`` to ``end`` seconds, ``index``-th of its kind."""

    index: int
    start: float
    end: float
    first: int
    last: int


@dataclass
class Chapter(Span):
    """A topical chapter: sentences ``first`` .. ``last - 1``.

    Attributes:
        index: 0-based position.
        start: seconds; the first chapter starts at 0.0.
        end: seconds; the start of the next chapter, or the end of the recording.
        first: index of its first sentence.
        last: one past the index of its last sentence.
    """


@dataclass
class Part(Span):
    """A big part of a long talk: chapters ``first`` .. ``last - 1`` (chapter indices); times in seconds."""


@dataclass
class Outline:
    """Chapters, and the parts grouping them (empty when the talk is one part)."""

    chapters: list[Chapter] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)


# --- notes ------------------------------------------------------------------------------

@dataclass
class KeyPoint:
    """A clause worth reading on its own. ``time`` in seconds (its sentence's start)."""

    time: float
    text: str


@dataclass
class ChapterNotes:
    """What the reader sees for one chapter.

    Attributes:
        chapter: the span (times in seconds, sentence indices).
        title: ≤ 60 characters (≤ 20 for Chinese), never empty.
        summary: 1–2 whole sentences of the chapter, cleaned, in spoken order.
        key_points: up to 5 clauses with their sentences' start times.
    """

    chapter: Chapter
    title: str
    summary: str
    key_points: list[KeyPoint] = field(default_factory=list)


@dataclass
class PartNotes:
    """What the reader sees for one part of a long talk: its span and a title
    (same limits as a chapter's, distinct from the chapters' titles)."""

    part: Part
    title: str


@dataclass
class OverviewItem:
    """One bullet of the overview: ``time`` in seconds, the ``chapter`` index it stands for."""

    time: float
    text: str
    chapter: int


@dataclass
class NotesHeader:
    """Facts shown at the top of the notes.

    Attributes:
        source: the input file's name.
        duration: seconds.
        language: ISO 639-1 code of the notes' text (``"und"`` when unknown).
        model: ASR model description.
        audio_track: which audio track was transcribed (0 = first).
        audio_tracks: how many audio tracks the file has.
        spoken_language: the language spoken, when the notes are a translation.
        timed: False for text without times: chapter "times" are then sentence
            numbers, shown as ``¶ N`` (1-based) instead of ``HH:MM:SS``.
        script: the Chinese script of the text (a :data:`transcribe.scripts.SCRIPTS` key);
            Chinese labels are shown in it.
    """

    source: str
    duration: float
    language: str
    model: str
    audio_track: int = 0
    audio_tracks: int = 1
    spoken_language: str | None = None
    timed: bool = True
    script: str = "simplified"


@dataclass
class RenderOptions:
    """How to show the notes.

    Attributes:
        transcript: ``md``: the chapter's text as time-stamped paragraphs under its notes.
        line_width: subtitles: characters per line at most.
        line_count: subtitles: lines per cue at most.
        media_href: ``html``: link from the page to the media file (relative, URL-encoded), or
            None for a page without a player.
    """

    transcript: bool = True
    line_width: int = CUE_LINE_CHARS
    line_count: int = CUE_LINES
    media_href: str | None = None


@dataclass
class Notes:
    """Everything a renderer may show.

    Attributes:
        header: facts for the top of the notes.
        chapters: per chapter title, summary, key points; empty when no speech was found.
        sentences: the talk's sentences (seconds).
        segments: the ASR segments with word timings (seconds), for subtitles.
        parts: the big parts of a long talk, each over a run of chapters; empty for a talk of one part.
        overview: 5–8 bullets of the talk's main points in order (empty for a talk of 5 minutes or less).
        options: how to show them (:class:`RenderOptions`).
    """

    header: NotesHeader
    chapters: list[ChapterNotes]
    sentences: list[Sentence] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    parts: list[PartNotes] = field(default_factory=list)
    overview: list[OverviewItem] = field(default_factory=list)
    options: RenderOptions = field(default_factory=RenderOptions)
