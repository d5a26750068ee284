"""Output files: refuse to replace what the user has, and write atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from transcribe.errors import TranscribeError


def check_output(path: Path, force: bool) -> None:
    """Fail early unless ``path`` can be written.

    Raises:
        TranscribeError: ``path`` exists and ``force`` is off; it is a
            directory; or its folder is missing or not writable.
    """
    if path.is_dir():
        raise TranscribeError(f"{path}: is a directory; give a file name with -o")
    if path.exists() and not force:
        raise TranscribeError(f"{path}: already exists; use --force to replace it or -o to write elsewhere")
    folder = path.parent
    if not folder.is_dir():
        raise TranscribeError(f"{folder}: output folder does not exist")
    try:  # a real probe: os.access says yes to root even on a read-only file system
        with tempfile.TemporaryFile(dir=folder, prefix=".transcribe-"):
            pass
    except OSError as exc:
        raise TranscribeError(f"{folder}: output folder is not writable ({exc.strerror}); "
                              "choose another with -o") from exc


def _file_mode(path: Path) -> int:
    """The mode the file should get: the old file's, else 0o666 less the umask (mkstemp makes 0o600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file in the same folder,
    fsync, then rename over ``path``: readers see the old file or the new one, never half.

    Raises:
        TranscribeError: the folder is not writable or the disk is full.
    """
    path = Path(path)
    fd, tmp = None, None
    try:
        # A short name: the target's own name may already be at the file-system limit.
        fd, tmp = tempfile.mkstemp(prefix=".transcribe-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fd = None
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise TranscribeError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
