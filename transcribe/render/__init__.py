"""Stage 6, render: the notes as text, one writer module per format.

In: :class:`transcribe.model.Notes` (header facts, chapter notes, sentences and ASR
segments, :class:`transcribe.model.RenderOptions`). Out: the text of one file per format; see
:data:`FORMATS`. Times are seconds in the data and clock strings only here.

Where things live:

* :mod:`.common`: what the writers share: :func:`hms`, :func:`labels` (English and Chinese, in the notes'
  script), markdown escaping, transcript paragraphs.
* :mod:`.md`: ``md``, the markdown notes (header, outline, a section per chapter with
  its summary, key points and time-stamped transcript paragraphs).
* :mod:`.json_notes`: ``json``, everything, valid against ``transcribe/notes.schema.json``.
* :mod:`.subtitles`: ``srt`` and ``vtt``, subtitles built from the word timings.
* :mod:`.txt`: ``txt``, the transcript, one sentence a line.
* :mod:`.youtube`: ``youtube``, the chapter list a video description takes (``00:00 Title``).
* :mod:`.ffmetadata`: ``ffmetadata``, ffmpeg's ``;FFMETADATA1`` chapter file.
* :mod:`.html`: ``html``, one self-contained page: player, timeline, notes, searchable transcript.

A new format is one new module with a ``FORMATS = {name: (suffix, renderer)}`` dict,
named in :data:`WRITERS`.
"""

from __future__ import annotations

from importlib import import_module

from transcribe.model import CUE_LINE_CHARS, CUE_LINES, Notes, NotesHeader, RenderOptions
from transcribe.render.common import (LABELS, NO_SPEECH, Renderer, clock, escape, hms, is_cjk, join_sentences,
                                      labels, one_line, paragraphs)
from transcribe.render.ffmetadata import render_ffmetadata
from transcribe.render.html import media_href, render_html
from transcribe.render.json_notes import JSON_VERSION, SCHEMA_PATH, notes_dict, render_json
from transcribe.render.md import render_markdown
from transcribe.render.subtitles import (CUE_MAX_S, CUE_MIN_S, CUE_PAUSE_S, LINE_COUNT_RANGE, LINE_WIDTH_RANGE,
                                         Cue, render_srt, render_vtt, subtitle_cues)
from transcribe.render.txt import render_txt
from transcribe.render.youtube import YOUTUBE_MIN_CHAPTERS, YOUTUBE_MIN_S, render_youtube, youtube_chapters

WRITERS = ("md", "json_notes", "subtitles", "youtube", "ffmetadata", "txt", "html")
"""The writer modules, in the order their formats are listed. ``txt`` comes after
``youtube`` and ``ffmetadata``, whose suffixes (``.youtube.txt``) end in its own."""

FORMATS: dict[str, tuple[str, Renderer]] = {}
"""``--format`` name -> (file suffix, renderer)."""
for _name in WRITERS:
    FORMATS.update(import_module(f"{__name__}.{_name}").FORMATS)
del _name

_escape, _one_line = escape, one_line  # the names earlier code knows

__all__ = ["CUE_LINE_CHARS", "CUE_LINES", "CUE_MAX_S", "CUE_MIN_S", "CUE_PAUSE_S", "FORMATS", "JSON_VERSION",
           "LABELS", "LINE_COUNT_RANGE", "LINE_WIDTH_RANGE", "NO_SPEECH", "SCHEMA_PATH", "WRITERS", "Cue", "Notes",
           "NotesHeader", "RenderOptions", "Renderer", "clock", "escape", "hms", "is_cjk", "join_sentences",
           "labels", "media_href", "notes_dict", "one_line", "paragraphs", "render_ffmetadata", "render_html",
           "render_json", "render_markdown", "render_srt", "render_txt", "render_vtt", "render_youtube",
           "subtitle_cues", "youtube_chapters", "YOUTUBE_MIN_CHAPTERS", "YOUTUBE_MIN_S"]
