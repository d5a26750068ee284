"""Stage 6, render: chapter notes as markdown.

In: :class:`NotesHeader` and a list of :class:`transcribe.summaries.ChapterNotes`.
Out: markdown text. Times are seconds in the data and ``HH:MM:SS`` only here.
"""

from __future__ import annotations

from dataclasses import dataclass

from transcribe.summaries import ChapterNotes

NO_SPEECH = "No speech was found in this recording."


@dataclass
class NotesHeader:
    """Facts shown at the top of the notes.

    Attributes:
        source: the input file's name.
        duration: seconds.
        language: ISO 639-1 code.
        model: ASR model description.
        audio_track: which audio track was transcribed (0 = first).
        audio_tracks: how many audio tracks the file has.
    """

    source: str
    duration: float
    language: str
    model: str
    audio_track: int = 0
    audio_tracks: int = 1


def hms(seconds: float) -> str:
    """``3725.9`` -> ``"01:02:05"`` (seconds floored; hours not wrapped)."""
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _escape(text: str) -> str:
    """Keep spoken text from being read as markdown markup.

    ``_`` inside words is not emphasis in CommonMark, and every escaped line
    starts with our own prefix, so ``_`` and ``#`` are left alone.
    """
    for ch in ("\\", "*", "`", "[", "]", "<", ">"):
        text = text.replace(ch, "\\" + ch)
    return text


def render_markdown(header: NotesHeader, notes: list[ChapterNotes]) -> str:
    """The notes as markdown: header, outline, then one section per chapter.

    With no chapters (no speech), the body says :data:`NO_SPEECH` and nothing else.
    """
    lines = [f"# {_escape(header.source)}", ""]
    track = f"{header.audio_track} of {header.audio_tracks}" if header.audio_tracks > 1 else "0"
    lines += [
        f"- **Source:** {_escape(header.source)}",
        f"- **Duration:** {hms(header.duration)}",
        f"- **Language:** {'unknown' if header.language == 'und' else header.language}",
        f"- **Model:** {_escape(header.model)}",
        f"- **Audio track:** {track}",
        "",
    ]
    if not notes:
        lines += [f"_{NO_SPEECH}_"]
        return "\n".join(lines) + "\n"
    lines += ["## Outline", ""]
    lines += [f"- {hms(n.chapter.start)} – {_escape(n.title)}" for n in notes]
    lines.append("")
    for n in notes:
        lines += [f"## {hms(n.chapter.start)} – {_escape(n.title)}", "", _escape(n.summary), ""]
        if n.key_points:
            lines += [f"- **[{hms(p.time)}]** {_escape(p.text)}" for p in n.key_points]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
