"""Saved transcripts: which input a transcript is of, whether it can be reused, and never
replacing another input's.

A transcript (``NAME.transcript.json``) and a resume journal record the input's
:func:`source_fingerprint`; :func:`saved_transcript` reuses one made from the same input
with the same engine, model, task and language; :func:`check_not_anothers` refuses to
replace one made from another input, even with ``--force``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from transcribe import render
from transcribe.errors import TranscribeError
from transcribe.media import MediaInfo
from transcribe.model import Transcript
from transcribe.outputs import transcript_path


def source_fingerprint(info: MediaInfo, track: int) -> dict:
    """What identifies the input for transcript reuse: name, size, SHA-256 of its first MiB, track.

    Not the mtime, so that a copied or cloned file still matches its saved transcript.
    """
    with open(info.path, "rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()
    return {"file": info.path.name, "size": info.path.stat().st_size, "head_sha256": head,
            "audio_track": track}


def saved_transcript(path: Path, source: dict, model: str, language: str | None,
                      task: str, engine: str = "faster-whisper") -> Transcript | None:
    """The transcript at ``path`` if it was made from this input with this engine, model, task
    (and language)."""
    if not path.is_file():
        return None
    try:
        saved = Transcript.load(path)
    except TranscribeError:
        return None
    if saved.source != source or saved.model != model or saved.task != task or saved.engine != engine:
        return None
    if language is not None and saved.language != language:
        return None
    return saved


def made_from(path: Path) -> dict | None:
    """The ``source`` recorded in the transcript (or resume journal) at ``path``; None when
    there is none, or the file is not one of this tool's."""
    try:
        if path.name.endswith(".jsonl"):
            with open(path, "rb") as fh:
                source = json.loads(fh.readline()).get("source")
        else:
            source = Transcript.load(path).source
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, TranscribeError):
        return None
    return source if isinstance(source, dict) and source.get("file") else None


def check_not_anothers(tpath: Path, jpath: Path, source: dict, input: Path, notes: Path) -> None:
    """Refuse, even with ``--force``, to replace a transcript (or resume journal) made from
    another input: ``bush.mp3`` beside ``bush.ogg`` would otherwise replace ``bush.transcript.json``.
    The same recording under another name (same size and first MiB) is not another input.

    Raises:
        TranscribeError: the message names the file, whose it is, and an ``-o`` that avoids it.
    """
    for path, what in ((tpath, "the transcript"), (jpath, "the unfinished transcription")):
        theirs = made_from(path) if path.is_file() else None
        if theirs is None or theirs.get("file") == source["file"] or (
                theirs.get("size") == source["size"] and theirs.get("head_sha256") == source["head_sha256"]):
            continue
        tag = input.suffix.lstrip(".") or "2"
        suffix = next((s for s, _ in render.FORMATS.values() if notes.name.endswith(s)), notes.suffix)
        own = notes.with_name(f"{transcript_path(notes, '').name}-{tag}{suffix}")
        raise TranscribeError(f"{path}: is {what} of {theirs['file']}, not of {input.name}; it is not "
                              f"replaced, even with --force: give this run its own name, e.g. -o {own}")
