"""The ``txt`` writer: the transcript as plain text, one sentence a line, no times (as the
whisper command line's ``txt``). ``transcribe chapters`` reads it back as text without times."""

from __future__ import annotations

from transcribe.render.common import Notes, one_line


def render_txt(notes: Notes) -> str:
    """Every sentence of the talk on a line of its own; empty without speech."""
    return "".join(f"{line}\n" for line in (one_line(s.text) for s in notes.sentences) if line)


FORMATS = {"txt": (".txt", render_txt)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
