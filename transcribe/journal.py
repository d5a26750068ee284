"""Resume journal: finished ASR windows, appended as they complete.

A long transcription writes each finished :class:`transcribe.asr.Window` as one JSON
line to ``NAME.transcript.partial.jsonl`` beside the transcript, flushed and fsynced,
after a first line (the header) that says what the windows were made from: the
input (name, size, mtime, SHA-256 of its first MiB, audio track), the engine and
model, the task and the language asked for. Re-running the same command reads the
journal back and continues after its last window; any difference in the header
means the journal is for something else and is started afresh. A line cut short
by ``kill -9`` is ignored, so a kill loses at most the window in flight.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from transcribe.asr import Window
from transcribe.writing import cannot_write, write_atomic

JOURNAL_VERSION = 1
WORDS = {"mtime_ns": "modification time", "head_sha256": "content", "file": "name",
         "audio_track": "audio track", "beam_size": "beam size", "weights": "model weights",
         "hints": "prompt", "initial_prompt": "--initial-prompt", "hotwords": "--hotwords"}
"""Header keys as the 'made with a different ...' message says them."""


def _differences(old: dict, new: dict) -> list[str]:
    """The header keys whose values differ, in words; for a dict value (the source), which
    of its keys: ``["source (modification time)", "beam size"]``."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            inner = sorted(WORDS.get(k, k) for k in set(a) | set(b) if a.get(k) != b.get(k))
            out.append(f"{WORDS.get(key, key)} ({', '.join(inner)})")
        else:
            out.append(WORDS.get(key, key))
    return out


class Journal:
    """Append-only record of finished windows for one input, engine and model.

    Args:
        path: the journal file (``NAME.transcript.partial.jsonl``).
        header: what the windows depend on (JSON-ready dict); compared on resume.
    """

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.header = {"journal": JOURNAL_VERSION, **header}
        self._fh = None

    def load(self) -> tuple[list[Window], str | None]:
        """The windows of an earlier run with the same header.

        Returns:
            ``(windows, why_not)``: the contiguous finished windows (possibly none), and
            when a journal exists but cannot be used, a short reason (``None`` otherwise).
        """
        try:
            lines = self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            return [], f"unreadable ({exc.strerror or exc})"
        try:
            header = json.loads(lines[0])
        except (ValueError, UnicodeDecodeError):
            return [], "not a journal of this tool"
        if header != self.header:
            changed = _differences(header, self.header) if isinstance(header, dict) else ["everything"]
            return [], f"made with a different {', '.join(changed)}"
        windows: list[Window] = []
        for line in lines[1:]:
            try:
                window = Window.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                break  # the line a kill cut short, and anything after it
            if window.start_sample != (windows[-1].end_sample if windows else 0):
                break
            windows.append(window)
        return windows, None

    def start(self, windows: list[Window]) -> None:
        """(Re)write the journal as the header plus ``windows``, atomically, and open it for appending.

        Raises:
            WriteError: the journal cannot be written (e.g. the disk is full).
        """
        lines = [json.dumps(self.header, ensure_ascii=False)]
        lines += [json.dumps(window.to_dict(), ensure_ascii=False) for window in windows]
        try:
            write_atomic(self.path, "\n".join(lines) + "\n")
            self._fh = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise cannot_write(self.path, exc, "the resume journal") from exc

    def append(self, window: Window) -> None:
        """Add one finished window: written, flushed and fsynced before returning. Without
        :meth:`start`, the first call starts a fresh journal (so an unusable old one is only
        replaced once there is something new to keep).

        Raises:
            WriteError: the write fails (e.g. the disk is full); the windows before it stay.
        """
        if self._fh is None:  # the first window of a fresh start replaces any old journal only now
            self.start([])
        try:
            self._fh.write(json.dumps(window.to_dict(), ensure_ascii=False) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            self.close()
            raise cannot_write(self.path, exc, "the resume journal") from exc

    def close(self) -> None:
        """Close the journal. What a failed write left in the buffer is dropped (the line is
        cut short on disk, and :meth:`load` ignores such a line)."""
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError:  # the flush of a line the disk had no room for
                pass

    def remove(self) -> None:
        """Close and delete the journal (the transcript it led to has been written)."""
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
