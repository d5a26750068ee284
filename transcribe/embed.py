"""Chapters written into a copy of the media file (``--embed-chapters``), streams copied.

In: the input's path and :class:`transcribe.media.MediaInfo`, ffmpeg's ``;FFMETADATA1`` text
(:func:`transcribe.render.render_ffmetadata`). Out: a new file; the input is never modified.
Runs the same ffmpeg binary as decoding (:func:`transcribe.media.ffmpeg_executable`).
"""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
from pathlib import Path

from transcribe.errors import TranscribeError, UsageError
from transcribe.media import DECODE_TIMEOUT_S, MediaInfo, ffmpeg_executable
from transcribe.writing import cannot_write

EMBED_SUFFIXES = (".mp4", ".m4v", ".m4a", ".mov", ".mkv", ".mka", ".webm")
"""Containers that hold chapters and into which :func:`embed_chapters` can copy streams."""
WEBM_CODECS = {"video": ("vp8", "vp9", "av1", "dav1d", "aom"), "audio": ("opus", "vorbis")}
"""What a ``.webm`` file takes (parts of codec or decoder names: PyAV may name the decoder,
``libdav1d`` for AV1, ``libopus`` for Opus)."""


def check_embed_target(out: Path) -> None:
    """Fail early unless ``out`` names a chapter-capable container (:data:`EMBED_SUFFIXES`).

    Whether ``out`` exists or is the input is the caller's output check.

    Raises:
        UsageError: unsupported extension.
    """
    if out.suffix.lower() not in EMBED_SUFFIXES:
        raise UsageError(f"--embed-chapters {out}: chapters can be embedded in "
                         f"{', '.join(EMBED_SUFFIXES)} files")


def check_embed_streams(info: MediaInfo, out: Path) -> None:
    """Fail before any work when ``out`` is a ``.webm`` file and the input has streams WebM
    cannot hold (H.264 or AAC, say): streams are copied, not re-encoded.

    Raises:
        UsageError: a stream WebM does not take.
    """
    if out.suffix.lower() != ".webm":
        return
    kinds = [(s.split()[0], s.split()[-1]) for s in info.streams]
    wrong = [f"{codec} {kind}" for kind, codec in kinds
             if kind in WEBM_CODECS and not any(c in codec for c in WEBM_CODECS[kind])]
    if wrong:
        raise UsageError(f"--embed-chapters {out}: a .webm file takes only VP8, VP9 or AV1 video and Opus "
                         f"or Vorbis audio, and {info.path.name} has {', '.join(wrong)} (streams are "
                         "copied, not re-encoded); use a .mkv or .mp4 file")


def _write_errno(stderr: str, folder: Path) -> int | None:
    """The errno of a write that failed in a child process (ffmpeg prints its strerror), or
    ENOSPC when the folder has no free space left; None when nothing says the write failed."""
    for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS, errno.EACCES):
        if code is not None and os.strerror(code).lower() in stderr.lower():
            return code
    try:
        if os.statvfs(folder).f_bavail == 0:
            return errno.ENOSPC
    except (OSError, AttributeError):  # no statvfs on Windows
        pass
    return None


def embed_chapters(source: Path, ffmetadata: str, out: Path) -> None:
    """Write a copy of ``source`` to ``out`` with the chapters of ``ffmetadata`` (ffmpeg's
    ``;FFMETADATA1`` text). Video and audio streams (and subtitles, for Matroska) are copied,
    not re-encoded; the source's own metadata is kept. ``out`` appears atomically.

    Runs ``ffmpeg -i SOURCE -f ffmetadata -i META -map 0:v? -map 0:a? -map_metadata 0
    -map_chapters 1 -c copy OUT``.

    Raises:
        TranscribeError: ffmpeg cannot put these streams in that container.
        WriteError: ``out`` cannot be written (the disk is full, say); nothing is left behind.
    """
    meta = ""
    tmp = out.parent / f".transcribe-{os.getpid()}{out.suffix}"
    try:
        fd, meta = tempfile.mkstemp(prefix=".transcribe-", suffix=".ffmeta", dir=out.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(ffmetadata)
        suffix = out.suffix.lower()
        maps = ([] if suffix in (".m4a", ".mka") else ["0:v?"]) + ["0:a?"]
        args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
                "-f", "ffmetadata", "-i", meta]
        for m in maps:
            args += ["-map", m]
        args += ["-map_metadata", "0", "-map_chapters", "1", "-c", "copy", str(tmp)]
        proc = subprocess.run([ffmpeg_executable(), *args], capture_output=True, timeout=DECODE_TIMEOUT_S * 10)
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            code = _write_errno(stderr, out.parent)
            if code is not None:
                raise cannot_write(out, code, elsewhere="--embed-chapters")
            detail = stderr.strip().splitlines()
            hint = "" if suffix in (".mkv", ".mka") else (
                "; try a .mka file" if suffix in (".m4a",) else "; try a .mkv file")
            raise TranscribeError(f"{out}: ffmpeg could not put this input's streams in a {suffix} file"
                                  f" ({detail[-1][:160] if detail else 'no detail'}){hint}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except subprocess.TimeoutExpired as exc:
        raise TranscribeError(f"{out}: ffmpeg took too long to copy {source}") from exc
    except OSError as exc:
        raise cannot_write(out, exc, elsewhere="--embed-chapters") from exc
    finally:
        for leftover in (meta, tmp):
            if leftover and os.path.exists(leftover):
                os.unlink(leftover)
