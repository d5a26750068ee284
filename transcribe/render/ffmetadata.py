"""The ``ffmetadata`` writer: ffmpeg's ``;FFMETADATA1`` chapter file (also what
``--embed-chapters`` hands to ffmpeg)."""

from __future__ import annotations

from transcribe.render.common import Notes, one_line


def _ffmeta_escape(text: str) -> str:
    for ch in ("\\", "=", ";", "#", "\n"):
        text = text.replace(ch, "\\" + ch)
    return text


def render_ffmetadata(notes: Notes) -> str:
    """ffmpeg's metadata file with one ``[CHAPTER]`` per chapter (TIMEBASE 1/1000)."""
    lines = [";FFMETADATA1", f"title={_ffmeta_escape(notes.header.source)}", ""]
    for n in notes.chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(n.chapter.start * 1000)}",
                  f"END={round(n.chapter.end * 1000)}", f"title={_ffmeta_escape(one_line(n.title))}", ""]
    return "\n".join(lines)


FORMATS = {"ffmetadata": (".ffmetadata.txt", render_ffmetadata)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
