"""``transcribe batch`` inputs: the arguments (files, folders, globs, lists of paths) to the
media files they name, and where each file's outputs go.

A folder is searched recursively for files with a :data:`MEDIA_SUFFIXES` suffix (hidden files
and folders skipped); a glob (``lectures/**/*.mp4``) is expanded with :mod:`glob`, ``**``
included; a ``.txt``/``.lst``/``.list``/``.m3u`` file is a list of paths, one a line (``#``
comments and blank lines skipped, relative paths taken from the list's folder). Any other
file is a media file, whatever its suffix (ffmpeg decides).

Outputs mirror the inputs' folders under OUTDIR, from the common folder of the arguments:
``lectures/2024/week1/intro.mp4`` given as ``lectures`` goes to
``OUTDIR/2024/week1/intro.mp4.md``. The input's whole name (suffix included) names its
outputs, so ``talk.mp4`` and ``talk.mp3`` side by side cannot clash, and a file's output name
does not change when other files are added beside it.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from transcribe.errors import TranscribeError, UsageError

MEDIA_SUFFIXES = frozenset(
    ".mp4 .m4v .m4a .mov .mkv .mka .webm .mp3 .wav .ogg .oga .opus .flac .aac .wma .wmv .avi .mpg "
    ".mpeg .ts .mts .3gp .amr .aiff .aif .caf .spx".split())
"""Suffixes (lower case) of the files a folder search takes."""
LIST_SUFFIXES = frozenset({".txt", ".lst", ".list", ".m3u", ".m3u8"})
"""Suffixes of a file read as a list of paths."""


@dataclass(frozen=True)
class Planned:
    """One input of a batch and where its notes go.

    Attributes:
        input: the media file, absolute.
        rel: its path relative to the batch's common folder (for messages and the layout).
        notes: the notes file to write (the first ``--format``), under OUTDIR.
    """

    input: Path
    rel: Path
    notes: Path


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _folder_files(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [Path(dirpath) / f for f in sorted(filenames)
                  if not f.startswith(".") and Path(f).suffix.lower() in MEDIA_SUFFIXES]
    return found


def _expand_one(arg: str, base: Path, from_list: bool) -> tuple[list[Path], list[Path]]:
    """``(files, roots)`` for one argument (or list line); ``roots``: the folders it was given by."""
    path = Path(arg).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.exists() and _is_glob(arg):
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise TranscribeError(f"{arg}: no file matches")
        files, roots = [], []
        for match in matches:
            more, their_roots = _expand_one(match, base, from_list=True)
            files += more
            roots += their_roots
        return files, roots
    if path.is_dir():
        files = _folder_files(path)
        if not files and not from_list:
            raise TranscribeError(f"{arg}: no media files in this folder (looked for "
                             f"{', '.join(sorted(MEDIA_SUFFIXES)[:6])}, ...)")
        return files, [path]
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES and not from_list:
        return _read_list(path)
    if not path.exists() and not from_list:
        raise TranscribeError(f"{arg}: no such file or folder")
    return [path], [path.parent]  # a missing list entry fails in its own run, with its own message


def _read_list(listing: Path) -> tuple[list[Path], list[Path]]:
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscribeError(f"{listing}: cannot read this list of paths ({exc})") from None
    files, roots = [], []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            more, their_roots = _expand_one(line, listing.parent, from_list=True)
            files += more
            roots += their_roots
    if not files:
        raise TranscribeError(f"{listing}: lists no media files")
    return files, roots


def expand(args: list[str], cwd: Path | None = None) -> tuple[list[Path], Path]:
    """The media files the batch's ``INPUTS`` name, each once, in the order given (a folder's
    files sorted), and the common folder of the arguments (for :func:`plan`).

    Raises:
        UsageError: no inputs, an argument that does not exist, a glob that matches nothing,
            a folder without media files, or an unreadable list.
    """
    base = Path(cwd or Path.cwd()).absolute()
    if not args:
        raise UsageError("give at least one input: a media file, a folder, a glob or a list of paths")
    files: dict[Path, None] = {}
    roots: list[Path] = []
    for arg in args:
        more, their_roots = _expand_one(arg, base, from_list=False)
        files.update((Path(os.path.abspath(f)), None) for f in more)
        roots += their_roots
    root = Path(os.path.commonpath([os.path.abspath(r) for r in roots]))
    return list(files), root


def plan(files: list[Path], root: Path, outdir: Path, suffix: str) -> list[Planned]:
    """Where each file's notes go: ``outdir / (path relative to root) + suffix``
    (``week1/intro.mp4`` -> ``OUTDIR/week1/intro.mp4.md``); ``suffix``: the first format's,
    :data:`transcribe.render.FORMATS`. A file outside ``root`` (a symlinked path) keeps its
    name only."""
    out = []
    for path in files:
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = Path(path.name)
        out.append(Planned(path, rel, Path(outdir).absolute() / rel.parent / (rel.name + suffix)))
    return out
