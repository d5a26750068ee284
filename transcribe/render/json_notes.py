"""The ``json`` writer: everything (metadata, overview, parts, chapters, sentences, segments
with word timings), valid against ``transcribe/notes.schema.json`` (:data:`SCHEMA_PATH`).

Named ``json_notes`` so as not to hide the standard library's ``json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from transcribe.render.common import Notes

JSON_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "notes.schema.json"
"""The JSON schema of this format's output."""


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
        "sentences": [{"start": s.start, "end": s.end, "text": s.text, **_speaker(s)} for s in notes.sentences],
        "segments": [{"start": s.start, "end": s.end, "text": s.text, **_speaker(s),
                      "words": [{"start": w.start, "end": w.end, "text": w.text,
                                 "probability": w.probability} for w in s.words]}
                     for s in notes.segments],
    }


def _speaker(item) -> dict:
    """``{"speaker": name}`` for a sentence or segment whose speaker the transcript names, else ``{}``."""
    return {"speaker": item.speaker} if item.speaker else {}


def render_json(notes: Notes) -> str:
    """:func:`notes_dict` as indented UTF-8 JSON."""
    return json.dumps(notes_dict(notes), ensure_ascii=False, indent=1) + "\n"


FORMATS = {"json": (".json", render_json)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
