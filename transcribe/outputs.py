"""Where a run's files go: the notes in each ``--format``, the transcript beside them, and
standard output for ``-o -``. Names only; nothing here writes (see :mod:`transcribe.writing`).

The format of ``-o FILE`` is its suffix's (``-o subs.srt`` is SRT) unless ``--format``
says otherwise, and a ``--format`` that contradicts a known suffix (``-o n.md -f srt``)
is refused rather than writing SRT into a ``.md``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from transcribe import render
from transcribe.errors import UsageError

NAME_MAX = 255
"""Longest file name, bytes, on common file systems (ext4, APFS, NTFS)."""
STDOUT = Path("-")
"""``-o -``: the first format goes to standard output."""


def format_of(path: Path) -> str | None:
    """The ``--format`` whose suffix ``path`` has (the longest that fits: ``a.youtube.txt`` is
    youtube), or None for any other suffix."""
    name = path.name.lower()
    fits = [(len(suffix), fmt) for fmt, (suffix, _) in render.FORMATS.items()
            if name.endswith(suffix) and len(name) > len(suffix)]
    return max(fits)[1] if fits else None


def output_paths(formats: list[str], output: Path | None, base: Path) -> dict[str, Path]:
    """Where each ``--format`` goes: ``output`` (``-o``) for the first, the others beside it
    with their own suffixes (:data:`transcribe.render.FORMATS`); without ``-o``, ``base`` +
    each suffix (``base`` is the input's path without its suffix). No ``formats``: the one
    ``output``'s suffix names, else md. ``output`` :data:`STDOUT`: the first format to
    standard output, the others beside the input.

    Raises:
        UsageError: an unknown format name, or a first format other than the one ``output``'s
            suffix names.
    """
    for fmt in formats:
        if fmt not in render.FORMATS:
            raise UsageError(f"--format {fmt}: unknown format (choose from {', '.join(render.FORMATS)})")
    named = format_of(output) if output is not None and output != STDOUT else None
    formats = list(dict.fromkeys(formats)) or [named or "md"]
    if named is not None and named != formats[0]:
        suffix = render.FORMATS[formats[0]][0]
        fix = (f"end the name in {suffix}" if not output.name.lower().endswith(suffix)
               else f"take the {render.FORMATS[named][0][:-len(suffix)]} out of the name")
        raise UsageError(f"-o {output}: the suffix says {named} but the first --format is {formats[0]}; "
                         f"drop -f {formats[0]} or {fix}")
    if output is not None and output != STDOUT:
        first_suffix = render.FORMATS[formats[0]][0]
        name = output.name
        stem = name[: -len(first_suffix)] if name.lower().endswith(first_suffix) else output.stem
        base = output.with_name(stem or name)
    paths = {fmt: base.with_name(base.name + render.FORMATS[fmt][0]) for fmt in formats}
    if output is not None:
        paths[formats[0]] = output
    return paths


def files(outputs: dict[str, Path]) -> list[Path]:
    """The outputs that are files (not standard output)."""
    return [p for p in outputs.values() if p != STDOUT]


def anchor(outputs: dict[str, Path], base: Path) -> Path:
    """The notes file the transcript is named after: the first output that is a file, else
    ``base.md`` (all to standard output)."""
    return next(iter(files(outputs)), base.with_name(base.name + ".md"))


def write_stdout(text: str) -> None:
    """``text`` to standard output, as UTF-8 whatever the locale."""
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        sys.stdout.write(text)
    else:
        stream.write(text.encode("utf-8"))
    sys.stdout.flush()


def transcript_path(notes_path: Path, suffix: str = ".transcript.json") -> Path:
    """Where the transcript JSON goes: ``talk.md`` -> ``talk.transcript.json``
    (with ``suffix=".transcript.partial.jsonl"``: where its resume journal goes).

    A stem too long for the file system's 255-byte names is shortened (at a character boundary).
    """
    stem = notes_path.name
    for fmt_suffix, _ in render.FORMATS.values():
        if stem.endswith(fmt_suffix) and len(stem) > len(fmt_suffix):
            stem = stem[: -len(fmt_suffix)]
            break
    else:
        stem = notes_path.stem
    while len((stem + suffix).encode("utf-8")) > NAME_MAX:
        stem = stem[:-1]
    return notes_path.with_name(stem + suffix)


def strip_transcript_suffix(name: str) -> str:
    """``talk.transcript.json`` -> ``talk``; ``talk.srt`` -> ``talk``."""
    for suffix in (".transcript.json", ".json", ".srt", ".vtt", ".txt"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def llm_cache_path(transcript: Path) -> Path:
    """Where ``--llm`` answers are kept: beside the transcript they were asked about, whatever
    the notes are called (``talk.transcript.json`` -> ``talk.llm-cache.json``)."""
    return transcript.with_name(strip_transcript_suffix(transcript.name) + ".llm-cache.json")


def check_distinct(outputs: list[Path], inputs: dict[Path, str]) -> None:
    """Every output its own file, none of them one of ``inputs`` (path -> what to call it).

    Raises:
        UsageError: two outputs on one path, or an output on an input.
    """
    outputs = [p for p in outputs if p != STDOUT]
    for i, path in enumerate(outputs):
        for other, what in inputs.items():
            if _same_file(path, other):
                raise UsageError(f"{path}: that is {what}; write to another file")
        for other in outputs[:i]:
            if _same_file(path, other):
                raise UsageError(f"{path}: two outputs would share this file; give -o a name "
                                 "without the other format's suffix (e.g. -o notes.md -f md -f srt)")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False
