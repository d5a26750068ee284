"""Stage 6, render: the notes in the formats people paste elsewhere.

In: :class:`Notes` (header facts, :class:`transcribe.summaries.ChapterNotes`,
sentences and ASR segments). Out: text, one function per format (see
:data:`FORMATS`). Times are seconds in the data and clock strings only here.

* ``md``: markdown notes (header, outline, a section per chapter), labels in
  English or Chinese. A long talk's parts are ``##`` headings with their time
  range, its chapters ``###`` headings under them, and the outline nests the
  chapters under the parts.
* ``json``: everything, valid against ``transcribe/notes.schema.json``.
* ``srt`` / ``vtt``: subtitles built from the word timings, at most
  :data:`CUE_LINE_CHARS` characters a line, 2 lines and :data:`CUE_MAX_S`
  seconds a cue; written with pysubs2.
* ``youtube``: the chapter list a video description takes (``00:00 Title``).
* ``ffmetadata``: ffmpeg's ``;FFMETADATA1`` chapter file.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import Callable

from transcribe.asr import Segment, Word
from transcribe.sentences import Sentence
from transcribe.summaries import ChapterNotes, OverviewItem, PartNotes

CUE_LINE_CHARS = 42
CUE_LINES = 2
CUE_MAX_S = 7.0
CUE_PAUSE_S = 1.0
"""A pause this long between words starts a new subtitle cue."""
YOUTUBE_MIN_CHAPTERS = 3
YOUTUBE_MIN_S = 10.0
JSON_VERSION = 1
_SENTENCE_END = tuple(".?!。？！")

LABELS = {
    "en": {"source": "Source", "duration": "Duration", "language": "Language", "model": "Model",
           "track": "Audio track", "of": "of", "outline": "Outline", "overview": "Overview", "summary": "Summary",
           "points": "Key points", "unknown": "unknown", "translated": "translated from", "part": "Part",
           "no_speech": "No speech was found in this recording."},
    "zh": {"source": "来源", "duration": "时长", "language": "语言", "model": "模型",
           "track": "音轨", "of": "/", "outline": "目录", "overview": "概要", "summary": "摘要",
           "points": "要点", "unknown": "未知", "translated": "译自", "part": "第{n}部分",
           "no_speech": "这段录音中没有检测到语音。"},
}
NO_SPEECH = LABELS["en"]["no_speech"]


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
    """

    source: str
    duration: float
    language: str
    model: str
    audio_track: int = 0
    audio_tracks: int = 1
    spoken_language: str | None = None
    timed: bool = True


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
    """

    header: NotesHeader
    chapters: list[ChapterNotes]
    sentences: list[Sentence] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    parts: list[PartNotes] = field(default_factory=list)
    overview: list[OverviewItem] = field(default_factory=list)


def hms(seconds: float) -> str:
    """``3725.9`` -> ``"01:02:05"`` (seconds floored; hours not wrapped)."""
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def labels(language: str) -> dict[str, str]:
    """Fixed labels of the notes in ``language`` (Chinese for ``zh``, else English)."""
    return LABELS["zh" if language == "zh" else "en"]


def _escape(text: str) -> str:
    """Keep spoken text from being read as markdown markup.

    ``_`` inside words is not emphasis in CommonMark, and every escaped line
    starts with our own prefix, so ``_`` and ``#`` are left alone.
    """
    for ch in ("\\", "*", "`", "[", "]", "<", ">"):
        text = text.replace(ch, "\\" + ch)
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_markdown(notes: Notes) -> str:
    """The notes as markdown: header, outline, then one section per chapter.

    With no chapters (no speech), the body is the localised "no speech" line and nothing else.
    """
    h = notes.header
    lab = labels(h.language)
    lines = [f"# {_escape(h.source)}", ""]
    track = f"{h.audio_track} {lab['of']} {h.audio_tracks}" if h.audio_tracks > 1 else "0"
    language = lab["unknown"] if h.language == "und" else h.language
    if h.spoken_language:
        language += f" ({lab['translated']} {h.spoken_language})"
    lines += [
        f"- **{lab['source']}:** {_escape(h.source)}",
        f"- **{lab['duration']}:** {hms(h.duration) if h.timed else '—'}",
        f"- **{lab['language']}:** {language}",
        f"- **{lab['model']}:** {_escape(h.model)}",
        f"- **{lab['track']}:** {track}",
        "",
    ]
    if not notes.chapters:
        lines += [f"_{lab['no_speech']}_"]
        return "\n".join(lines) + "\n"
    def when(seconds: float) -> str:
        return hms(seconds) if h.timed else f"¶ {int(seconds) + 1}"

    def part_label(p: PartNotes) -> str:
        name = lab["part"].format(n=p.part.index + 1) if "{n}" in lab["part"] else f"{lab['part']} {p.part.index + 1}"
        return f"{name} · {_escape(p.title)} ({when(p.part.start)}–{when(p.part.end)})"

    if notes.overview:
        lines += [f"## {lab['overview']}", ""]
        lines += [f"- {when(o.time)} – {_escape(o.text)}" for o in notes.overview]
        lines.append("")
    lines += [f"## {lab['outline']}", ""]
    part_at = {p.part.first: p for p in notes.parts}
    for i, n in enumerate(notes.chapters):
        if i in part_at:
            lines.append(f"- **{part_label(part_at[i])}**")
        indent = "  " if notes.parts else ""
        lines.append(f"{indent}- {when(n.chapter.start)} – {_escape(n.title)}")
    lines.append("")
    level = "###" if notes.parts else "##"
    for i, n in enumerate(notes.chapters):
        if i in part_at:
            lines += [f"## {part_label(part_at[i])}", ""]
        lines += [f"{level} {when(n.chapter.start)} – {_escape(n.title)}", "",
                  f"**{lab['summary']}:** {_escape(n.summary)}", ""]
        if n.key_points:
            lines += [f"- **[{when(p.time)}]** {_escape(p.text)}" for p in n.key_points]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def notes_dict(notes: Notes) -> dict:
    """The whole result as a JSON-ready dict (the shape ``notes.schema.json`` describes)."""
    h = notes.header
    return {
        "version": JSON_VERSION,
        "metadata": {"source": h.source, "duration": h.duration, "language": h.language,
                     "spoken_language": h.spoken_language or h.language, "model": h.model,
                     "audio_track": h.audio_track, "audio_tracks": h.audio_tracks, "timed": h.timed},
        "overview": [{"time": o.time, "text": o.text, "chapter": o.chapter} for o in notes.overview],
        "parts": [{"index": p.part.index, "start": p.part.start, "end": p.part.end, "title": p.title,
                   "first_chapter": p.part.first, "last_chapter": p.part.last - 1} for p in notes.parts],
        "chapters": [{"index": n.chapter.index, "start": n.chapter.start, "end": n.chapter.end,
                      "part": next((p.part.index for p in notes.parts if p.part.first <= i < p.part.last), None),
                      "title": n.title, "summary": n.summary,
                      "key_points": [{"time": p.time, "text": p.text} for p in n.key_points]}
                     for i, n in enumerate(notes.chapters)],
        "sentences": [{"start": s.start, "end": s.end, "text": s.text} for s in notes.sentences],
        "segments": [{"start": s.start, "end": s.end, "text": s.text,
                      "words": [{"start": w.start, "end": w.end, "text": w.text,
                                 "probability": w.probability} for w in s.words]}
                     for s in notes.segments],
    }


def render_json(notes: Notes) -> str:
    """:func:`notes_dict` as indented UTF-8 JSON."""
    return json.dumps(notes_dict(notes), ensure_ascii=False, indent=1) + "\n"


@dataclass
class Cue:
    """One subtitle: seconds, and its 1–2 lines."""

    start: float
    end: float
    lines: list[str]


def _is_cjk(text: str) -> bool:
    """True when at least a third of the letters are Chinese, Japanese or Korean."""
    letters = [c for c in text if c.isalpha()]
    cjk = sum(1 for c in letters if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff"
              or "\uac00" <= c <= "\ud7af")
    return bool(letters) and cjk * 3 >= len(letters)


def _spread_words(seg: Segment, cjk: bool) -> list[Word]:
    """Words for a segment that has no word timings: its text split (by character for CJK),
    times spread evenly over the segment."""
    tokens = list(seg.text.strip()) if cjk else [" " + t for t in seg.text.split()]
    tokens = [t for t in tokens if t.strip()]
    if not tokens:
        return []
    step = max(seg.end - seg.start, 0.0) / len(tokens)
    return [Word(seg.start + i * step, seg.start + (i + 1) * step, t) for i, t in enumerate(tokens)]


def _wrap(text: str, cjk: bool) -> list[str]:
    text = _one_line(text) if not cjk else text.strip()
    if cjk:
        return [text[i:i + CUE_LINE_CHARS] for i in range(0, len(text), CUE_LINE_CHARS)] or [""]
    return textwrap.wrap(text, CUE_LINE_CHARS, break_long_words=True) or [""]


def subtitle_cues(segments: list[Segment]) -> list[Cue]:
    """Cues of at most 2 lines of 42 characters and 7 s, cut at sentence ends and pauses.

    Words are packed greedily in spoken order; a segment without word timings
    counts as one word. A single word longer than 7 s is shown for 7 s.
    """
    cjk = _is_cjk(" ".join(s.text for s in segments[:100]))
    words: list[Word] = []
    for seg in segments:
        words += [w for w in seg.words if w.text.strip()] or _spread_words(seg, cjk)
    cues: list[Cue] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            text = "".join(w.text for w in current)
            start = current[0].start
            cues.append(Cue(start, min(max(current[-1].end, start + 0.2), start + CUE_MAX_S), _wrap(text, cjk)))
            current.clear()

    for w in words:
        if current:
            text = "".join(x.text for x in current) + w.text
            too_long = len(_wrap(text, cjk)) > CUE_LINES or w.end - current[0].start > CUE_MAX_S
            pause = w.start - current[-1].end >= CUE_PAUSE_S
            ended = current[-1].text.strip().endswith(_SENTENCE_END) and len(current) >= 2
            if too_long or pause or ended:
                flush()
        current.append(w)
        if len(_wrap("".join(x.text for x in current), cjk)) > CUE_LINES:  # one over-long word
            flush()
    flush()
    for a, b in zip(cues, cues[1:]):  # never overlap the next cue
        a.end = max(a.start + 0.05, min(a.end, b.start))
    return cues


def _subtitles(notes: Notes, fmt: str) -> str:
    import pysubs2

    subs = pysubs2.SSAFile()
    for cue in subtitle_cues(notes.segments):
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000),
                                     text=r"\N".join(cue.lines)))
    return subs.to_string(fmt)


def render_srt(notes: Notes) -> str:
    """SubRip subtitles of the speech (see :func:`subtitle_cues`)."""
    return _subtitles(notes, "srt")


def render_vtt(notes: Notes) -> str:
    """WebVTT subtitles of the speech (see :func:`subtitle_cues`)."""
    return _subtitles(notes, "vtt")


def _youtube_time(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def youtube_chapters(notes: Notes) -> tuple[list[tuple[float, str]], list[str]]:
    """``(start seconds, title)`` pairs that follow YouTube's rules, and what was changed to get there.

    Rules: the first starts at 0:00, times ascend, each chapter lasts at least
    10 s, at least 3 chapters. A chapter too short is merged into the one before.
    Fewer than 3 cannot be fixed by merging: the list is kept and a message says so.
    """
    messages: list[str] = []
    items = [(0.0 if i == 0 else n.chapter.start, _one_line(n.title)) for i, n in enumerate(notes.chapters)]
    end = notes.header.duration
    kept: list[tuple[float, str]] = []
    for i, (start, title) in enumerate(items):
        nxt = items[i + 1][0] if i + 1 < len(items) else end
        if kept and (start <= kept[-1][0] or nxt - start < YOUTUBE_MIN_S):
            messages.append(f"chapter at {_youtube_time(start)} ({title}) merged into the one before: "
                            f"YouTube chapters last at least {YOUTUBE_MIN_S:.0f} s")
            continue
        kept.append((start, title))
    if kept and len(kept) < YOUTUBE_MIN_CHAPTERS:
        messages.append(f"only {len(kept)} chapter(s): YouTube shows chapters only when a video has "
                        f"at least {YOUTUBE_MIN_CHAPTERS}")
    return kept, messages


def render_youtube(notes: Notes) -> str:
    """The chapter list for a video description, one ``MM:SS Title`` line each (``H:MM:SS`` past an hour)."""
    chapters, _ = youtube_chapters(notes)
    return "".join(f"{_youtube_time(start)} {title}\n" for start, title in chapters)


def _ffmeta_escape(text: str) -> str:
    for ch in ("\\", "=", ";", "#", "\n"):
        text = text.replace(ch, "\\" + ch)
    return text


def render_ffmetadata(notes: Notes) -> str:
    """ffmpeg's metadata file with one ``[CHAPTER]`` per chapter (TIMEBASE 1/1000)."""
    lines = [";FFMETADATA1", f"title={_ffmeta_escape(notes.header.source)}", ""]
    for n in notes.chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(n.chapter.start * 1000)}",
                  f"END={round(n.chapter.end * 1000)}", f"title={_ffmeta_escape(_one_line(n.title))}", ""]
    return "\n".join(lines)


FORMATS: dict[str, tuple[str, Callable[[Notes], str]]] = {
    "md": (".md", render_markdown),
    "json": (".json", render_json),
    "srt": (".srt", render_srt),
    "vtt": (".vtt", render_vtt),
    "youtube": (".youtube.txt", render_youtube),
    "ffmetadata": (".ffmetadata.txt", render_ffmetadata),
}
"""``--format`` name -> (file suffix, renderer)."""
