"""The batch manifest, ``OUTDIR/manifest.jsonl``: one JSON line per input, appended as each
finishes, flushed and fsynced, so that a run that crashes or is stopped leaves a valid prefix
(a last line cut short is ignored when it is read back).

Each line is a :class:`FileResult`. An input is done, and skipped by a re-run, when its
latest line is ``ok`` (or ``skipped``) with the same :func:`job_key` (the input's
:func:`content_fingerprint` and the options that change the outputs) and its outputs still
exist; a ``failed`` one is tried again.

Tried and dropped: hashing each whole file for the fingerprint. A re-run over 1,000 one-hour
lectures (about 60 GB of video) would read them all before starting; the size with the first
and last MiB (2 MiB a file, as :mod:`transcribe.saved` does with the first) tells a changed,
re-encoded, cut or extended recording from the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from transcribe.writing import cannot_write

MANIFEST_NAME = "manifest.jsonl"
OK, FAILED, SKIPPED = "ok", "failed", "skipped"
OUTPUT_OPTIONS = ("model", "language", "chapters", "detail", "length", "audio_track", "device", "formats",
                  "script", "md_transcript", "max_line_width", "max_line_count", "translate", "engine",
                  "beam", "initial_prompt", "hotwords")
"""The :class:`transcribe.pipeline.Options` fields that change a file's outputs (with the
``--llm`` server and model): a re-run with any of them changed does the file again. Not
``threads``: the text is the same for any thread count (:mod:`transcribe.asr.faster`)."""


@dataclass
class FileResult:
    """One input's outcome: one manifest line.

    Attributes:
        input: the media file (absolute path).
        status: :data:`OK`, :data:`FAILED` or :data:`SKIPPED` (done by an earlier run).
        outputs: the files written (notes first, then the transcript), absolute paths.
        duration_s: the audio's length in seconds (None when it could not be read).
        wall_s: seconds this file took in its worker (model loading on a worker's first file included).
        rtf: real-time factor, ``wall_s / duration_s`` (None without a duration).
        error: the one-line message of a failed file.
        key: :func:`job_key` of the input and options (None when the file could not be read).
        attempts: how many workers started on it (more than 1 after a worker died).
        worker: which worker did it (``local-2``, ``ray:HOST:PID``).
        finished: when, as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC).
    """

    input: str
    status: str
    outputs: list[str] = field(default_factory=list)
    duration_s: float | None = None
    wall_s: float = 0.0
    rtf: float | None = None
    error: str | None = None
    key: str | None = None
    attempts: int = 1
    worker: str = ""
    finished: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> "FileResult":
        """Raises TypeError/KeyError for a line that is not a result."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def done(self) -> bool:
        return self.status in (OK, SKIPPED)


def now() -> str:
    """The time as the manifest writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def content_fingerprint(path: Path) -> dict:
    """``{"size", "head_sha256", "tail_sha256"}``: bytes, SHA-256 of the first and the last MiB.

    Raises:
        OSError: the file cannot be read.
    """
    block = 1 << 20
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = hashlib.sha256(fh.read(block)).hexdigest()
        fh.seek(max(0, size - block))
        tail = hashlib.sha256(fh.read(block)).hexdigest()
    return {"size": size, "head_sha256": head, "tail_sha256": tail}


def output_options(opts) -> dict:
    """The options of ``opts`` (:class:`transcribe.pipeline.Options`) that change the outputs,
    JSON-ready."""
    out = {name: getattr(opts, name) for name in OUTPUT_OPTIONS}
    out["llm"] = [opts.llm.url, opts.llm.model] if opts.llm is not None else None
    return out


def job_key(fingerprint: dict, options: dict) -> str:
    """SHA-256 (hex, first 32 digits) of an input's fingerprint and the output options."""
    text = json.dumps({"input": fingerprint, "options": options}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Manifest:
    """``OUTDIR/manifest.jsonl``: read the earlier runs' results, append this run's.

    Args:
        path: the manifest file (created on the first :meth:`append`).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh = None

    def load(self) -> dict[str, FileResult]:
        """The latest result of each input (by its path) in the manifest; empty when there is
        none. Lines that do not parse (one cut short by a crash) are skipped."""
        latest: dict[str, FileResult] = {}
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return latest
        except OSError as exc:
            raise cannot_write(self.path, exc, "the manifest") from exc
        for line in data.split(b"\n"):
            try:
                result = FileResult.from_dict(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
                continue
            latest[result.input] = result
        return latest

    def append(self, result: FileResult) -> None:
        """Add one line, flushed and fsynced before returning (after a line a crash cut short,
        on a line of its own).

        Raises:
            WriteError: the manifest cannot be written (a full disk, a read-only folder).
        """
        try:
            if self._fh is None:
                self._fh = open(self.path, "a+b")
                size = self._fh.seek(0, os.SEEK_END)
                if size:
                    self._fh.seek(size - 1)
                    if self._fh.read(1) != b"\n":
                        self._fh.write(b"\n")
            self._fh.write(result.to_json().encode("utf-8") + b"\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise cannot_write(self.path, exc, "the manifest") from exc

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError:
                pass
