"""One run at a time per set of outputs: an OS lock that dies with its process.

Two runs that would write the same files (the same command twice, or ``transcribe talk.mp4``
and ``transcribe chapters talk.transcript.json`` at once) would each write the journal, the
transcript and the notes. So a run first takes, for every name it writes (``talk`` for
``talk.md``, ``talk.srt``, ``talk.transcript.json`` and its journal), an exclusive
``flock`` on ``.NAME.transcribe-lock`` in that folder, and holds it until it ends. A second
run finds the lock taken and refuses at once, naming the other run's process id.

The lock is the kernel's: it is gone the moment its process ends, however it ends
(``kill -9``, a crash), so a lock is never stale. The lock file is deleted when the run
ends normally (while still locked, so that no other run can be fooled by the deletion); after
``kill -9`` it stays behind, empty of meaning: the next run locks it afresh and deletes it.

Where there is no ``fcntl`` (Windows), or the file system refuses locks, runs are not locked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from transcribe import render
from transcribe.errors import TranscribeError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_SUFFIX = ".transcribe-lock"
OWN_SUFFIXES = (".transcript.partial.jsonl", ".transcript.json", ".llm-cache.json")
"""Suffixes of the files a run writes beside its notes, stripped to find the name locked."""


class Busy(TranscribeError):
    """Another run holds the lock on a file this run would write (exit status 1)."""


def lock_path(path: Path) -> Path:
    """The lock file for output ``path``: ``talk.md``, ``talk.srt``, ``talk.transcript.json``
    -> ``.talk.transcribe-lock`` in the same folder (shortened to fit a 255-byte name)."""
    name = path.name
    suffixes = [*OWN_SUFFIXES, *(suffix for suffix, _ in render.FORMATS.values())]
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    else:
        name = path.stem or name
    while len(f".{name}{LOCK_SUFFIX}".encode("utf-8")) > 255:
        name = name[:-1]
    return path.with_name(f".{name}{LOCK_SUFFIX}")


class OutputLock:
    """The locks of one run; a context manager that releases them all.

    Args:
        doing: what this run does, for the message another run shows: ``"transcribing"``
            or ``"making notes from"``.
        source: the file it works on (the input or the transcript).
    """

    def __init__(self, doing: str, source: Path) -> None:
        self.doing = doing
        self.source = source
        self._held: list[tuple[Path, int]] = []

    def __enter__(self) -> "OutputLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self, paths: list[Path]) -> None:
        """Lock every output in ``paths`` (files not yet written included), or none.

        Raises:
            Busy: another run holds one of the locks; the message names the file, the
                other run's process id and what it is doing.
        """
        wanted: dict[Path, Path] = {}
        for path in paths:
            wanted.setdefault(lock_path(path), path)
        for lock, path in sorted(wanted.items()):
            try:
                fd = self._lock(lock)
            except Busy as busy:
                self.release()
                raise Busy(self._busy_message(path, busy.message)) from None
            if fd is not None:
                self._held.append((lock, fd))

    def _lock(self, lock: Path) -> int | None:
        """An open, locked descriptor of ``lock`` with this run's id written in it; None when
        no lock can be taken there (no fcntl, a folder that is missing or not writable: the
        output checks report that).

        Raises:
            Busy: the lock is held; its message is what the holder wrote in the file.
        """
        if fcntl is None:
            return None
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                return None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise Busy(holder) from None
            except OSError:  # a file system without locks
                os.close(fd)
                return None
            try:  # the holder before may have deleted the file between our open and our lock
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.write(fd, (json.dumps({"pid": os.getpid(), "doing": self.doing,
                                          "source": str(self.source)}) + "\n").encode("utf-8"))
            except OSError:  # a full disk: the lock holds all the same, without the id
                pass
            return fd

    def _busy_message(self, path: Path, holder: str) -> str:
        try:
            info = json.loads(holder)
            pid, doing, source = int(info["pid"]), str(info["doing"]), str(info["source"])
        except (ValueError, KeyError, TypeError):
            return (f"{path}: is being written by another run; wait for it to finish, or write "
                    "elsewhere with -o")
        if doing == "transcribing":
            return (f"{source}: is being transcribed by another run (pid {pid}), which writes {path}; "
                    "wait for it to finish, or write elsewhere with -o")
        return (f"{path}: is being written by another run (pid {pid}, {doing} {source}); wait for it "
                "to finish, or write elsewhere with -o")

    def release(self) -> None:
        """Delete and unlock every lock file held (deleted first, while still locked)."""
        held, self._held = self._held, []
        for lock, fd in held:
            try:
                if os.path.samestat(os.fstat(fd), os.stat(lock)):
                    os.unlink(lock)
            except OSError:
                pass
            os.close(fd)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
