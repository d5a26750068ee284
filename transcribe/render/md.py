"""The ``md`` writer: markdown notes.

Header, overview (long talks), outline, then one section per chapter: its summary, key
points and (unless ``--no-transcript``) its transcript as time-stamped paragraphs
(:func:`transcribe.render.common.paragraphs`). Labels in English or Chinese. A long talk's
parts are ``##`` headings with their time range, its chapters ``###`` headings under them,
and the outline nests the chapters under the parts.
"""

from __future__ import annotations

from transcribe.render.common import Notes, clock, escape, hms, join_sentences, labels, paragraphs
from transcribe.model import ChapterNotes, PartNotes


def render_markdown(notes: Notes) -> str:
    """The notes as markdown: header, outline, then one section per chapter.

    With no chapters (no speech), the body is the localised "no speech" line and nothing else.
    """
    h = notes.header
    lab = labels(h.language, h.script)
    lines = [f"# {escape(h.source)}", ""]
    track = f"{h.audio_track} {lab['of']} {h.audio_tracks}" if h.audio_tracks > 1 else "0"
    language = lab["unknown"] if h.language == "und" else h.language
    if h.spoken_language:
        language += f" ({lab['translated']} {h.spoken_language})"
    lines += [
        f"- **{lab['source']}:** {escape(h.source)}",
        f"- **{lab['duration']}:** {hms(h.duration) if h.timed else '—'}",
        f"- **{lab['language']}:** {language}",
        f"- **{lab['model']}:** {escape(h.model)}",
        f"- **{lab['track']}:** {track}",
        "",
    ]
    if not notes.chapters:
        lines += [f"_{lab['no_speech']}_"]
        return "\n".join(lines) + "\n"

    def when(seconds: float) -> str:
        return clock(seconds, h.timed)

    speakers = {s.start: s.speaker for s in notes.sentences if s.speaker}

    def who(seconds: float) -> str:
        """``Name: `` before a key point, where the transcript names its speaker."""
        return f"{escape(speakers[seconds])}: " if seconds in speakers else ""

    def part_label(p: PartNotes) -> str:
        name = lab["part"].format(n=p.part.index + 1) if "{n}" in lab["part"] else f"{lab['part']} {p.part.index + 1}"
        return f"{name} · {escape(p.title)} ({when(p.part.start)}–{when(p.part.end)})"

    if notes.overview:
        lines += [f"## {lab['overview']}", ""]
        lines += [f"- {when(o.time)} – {escape(o.text)}" for o in notes.overview]
        lines.append("")
    lines += [f"## {lab['outline']}", ""]
    part_at = {p.part.first: p for p in notes.parts}
    for i, n in enumerate(notes.chapters):
        if i in part_at:
            lines.append(f"- **{part_label(part_at[i])}**")
        indent = "  " if notes.parts else ""
        lines.append(f"{indent}- {when(n.chapter.start)} – {escape(n.title)}")
    lines.append("")
    level = "###" if notes.parts else "##"
    for i, n in enumerate(notes.chapters):
        if i in part_at:
            lines += [f"## {part_label(part_at[i])}", ""]
        lines += [f"{level} {when(n.chapter.start)} – {escape(n.title)}", "",
                  f"**{lab['summary']}:** {escape(n.summary)}", ""]
        if n.key_points:
            lines += [f"- **[{when(p.time)}]** {who(p.time)}{escape(p.text)}" for p in n.key_points]
            lines.append("")
        if notes.options.transcript:
            lines += chapter_transcript(notes, n, lab["transcript"])
    return "\n".join(lines).rstrip("\n") + "\n"


def chapter_transcript(notes: Notes, n: ChapterNotes, label: str) -> list[str]:
    """Markdown lines of one chapter's text: a ``**Transcript:**`` line, then one paragraph
    each, ``[HH:MM:SS] text`` (``[¶ N]`` untimed), the speaker's name first where known."""
    sents = notes.sentences[n.chapter.first:n.chapter.last]
    if not sents:
        return []
    lines = [f"**{label}:**", ""]
    for para in paragraphs(sents, notes.header.timed):
        speaker = para[0].speaker
        who = f"**{escape(speaker)}:** " if speaker else ""
        lines += [f"[{clock(para[0].start, notes.header.timed)}] {who}"
                  f"{escape(join_sentences([s.text for s in para]))}", ""]
    return lines


FORMATS = {"md": (".md", render_markdown)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
