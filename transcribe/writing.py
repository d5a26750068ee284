"""Output files: refuse to replace what the user has, write atomically, and say in one line
which file could not be written and why (a full disk is called a full disk)."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from transcribe.errors import TranscribeError

FULL = {errno.ENOSPC: "the disk is full (no space left on the device)",
        getattr(errno, "EDQUOT", -1): "the disk quota is used up (disk quota exceeded)"}
"""errno -> what a write that failed for lack of space is told as."""
REFUSED = {errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
           errno.EPERM: "permission denied"}
"""errno -> what a write the system refused is told as."""


class WriteError(TranscribeError):
    """A file could not be written: the message names it and says why (exit status 1).

    Attributes:
        path: the file that could not be written.
        errno: the system's error number (``errno.ENOSPC`` for a full disk), or None.
    """

    def __init__(self, message: str, path: Path, code: int | None) -> None:
        super().__init__(message)
        self.path = path
        self.errno = code


def cannot_write(path: Path, exc: OSError | int, what: str = "", elsewhere: str = "-o") -> WriteError:
    """The one-line error for a failed write of ``path`` (``what``: what the file is, e.g.
    ``"the resume journal"``; ``elsewhere``: the option that writes to another place).

    ``exc`` is the OSError, or an errno (for a child process such as ffmpeg)."""
    code = exc if isinstance(exc, int) else exc.errno
    thing = f" {what}" if what else ""
    if code in FULL:
        return WriteError(f"{path}: cannot write{thing}: {FULL[code]}; free some space, or write "
                          f"elsewhere with {elsewhere}", path, code)
    if code in REFUSED:
        return WriteError(f"{path}: cannot write{thing}: {REFUSED[code]}; write elsewhere with {elsewhere}",
                          path, code)
    why = os.strerror(code) if isinstance(exc, int) else (exc.strerror or str(exc))
    return WriteError(f"{path}: cannot write{thing} ({why})", path, code)


def check_output(path: Path, force: bool) -> None:
    """Fail early unless ``path`` can be written (:func:`check_outputs` for one file)."""
    check_outputs([path], force)


def check_outputs(paths: list[Path], force: bool) -> None:
    """Fail early unless every one of ``paths`` can be written; a refusal for existing
    files names all of them, not only the first.

    Raises:
        TranscribeError: one is a directory, or its folder is missing, not writable or
            full; or some exist and ``force`` is off.
    """
    existing = []
    for path in paths:
        if path.is_dir():
            raise TranscribeError(f"{path}: is a directory; give a file name with -o")
        if path.exists():
            existing.append(path)
    if existing and not force:
        names = ", ".join(map(str, existing))
        raise TranscribeError(f"{names}: already exist{'s' if len(existing) == 1 else ''}; use --force to "
                              f"replace {'it' if len(existing) == 1 else 'them'} or -o to write elsewhere")
    for path in paths:
        folder = path.parent
        if not folder.is_dir():
            raise TranscribeError(f"{folder}: output folder does not exist")
    for path in {p.parent.resolve(): p for p in reversed(paths)}.values():
        _probe(path)


def _probe(path: Path) -> None:
    """Write a byte in ``path``'s folder: os.access says yes to root even on a read-only file
    system, and a full disk only shows when something is written."""
    folder = path.parent
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".transcribe-") as fh:
            fh.write(b"\n")
            fh.flush()
    except OSError as exc:
        if exc.errno in FULL:
            raise cannot_write(path, exc) from exc
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
        WriteError: the folder is not writable or the disk is full (the temporary file is removed).
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
        raise cannot_write(path, exc) from exc
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
