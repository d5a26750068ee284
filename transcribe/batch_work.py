"""What a batch worker does with one file, the same in a local worker process
(:mod:`transcribe.batch_local`) and in a Ray actor (:mod:`transcribe.batch_ray`): the whole
pipeline (:func:`transcribe.pipeline.run`) with the worker's loaded models, any failure turned
into a ``failed`` :class:`transcribe.manifest.FileResult` with its one-line message.

Test hook: with ``TRANSCRIBE_BATCH_TEST_DIE_ON=NAME`` in a worker's environment, the worker
process exits at once (``os._exit(86)``, as a crash or an out-of-memory kill would) when it
starts the first attempt at the input named ``NAME``; the tests use it to check that the file
is retried on another worker and the manifest is complete.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

from transcribe.errors import TranscribeError
from transcribe.manifest import FAILED, OK, FileResult, now
from transcribe.outputs import transcript_path
from transcribe.pipeline import Interrupted, Models, Options, run
from transcribe.progress import Reporter

DIE_ON_VARIABLE = "TRANSCRIBE_BATCH_TEST_DIE_ON"
DIE_EXIT_CODE = 86


@dataclass(frozen=True)
class Job:
    """One file for a worker.

    Attributes:
        input: the media file (absolute).
        notes: the notes file to write (its folder is created); the other formats and the
            transcript go beside it.
        key: the manifest key (:func:`transcribe.manifest.job_key`), or None.
        duration_s: the audio's length as probed by the driver (None: unknown).
        attempt: 1 for the first worker to take it, 2 after that worker died, ...
    """

    input: Path
    notes: Path
    key: str | None = None
    duration_s: float | None = None
    attempt: int = 1


def file_options(template: Options, job: Job, threads: int) -> Options:
    """``template`` for ``job``'s input and outputs, with ``threads`` ASR threads."""
    llm = replace(template.llm) if template.llm is not None else None  # run() sets its cache
    return replace(template, input=job.input, output=job.notes, threads=threads, llm=llm, embed_chapters=None)


def run_job(job: Job, template: Options, threads: int, models: Models, worker: str) -> FileResult:
    """Notes for one file; never raises for the file's own problems.

    Returns:
        A :class:`FileResult`: ``ok`` with the files written, or ``failed`` with the one-line
        message (a :class:`TranscribeError`'s, or ``input: Type: detail`` for anything else).

    Raises:
        KeyboardInterrupt: Ctrl-C (also as :class:`transcribe.pipeline.Interrupted`, after the
            transcription's journal is kept for a re-run).
    """
    if job.attempt == 1 and os.environ.get(DIE_ON_VARIABLE) == job.input.name:
        os._exit(DIE_EXIT_CODE)
    began = time.monotonic()
    duration, status, error, written = job.duration_s, OK, None, []
    try:
        job.notes.parent.mkdir(parents=True, exist_ok=True)
        written = [str(p) for p in run(file_options(template, job, threads), _FileReporter(str(job.input)), models)]
        tpath = transcript_path(job.notes)
        if tpath.is_file():
            written.append(str(tpath))
            duration = float(json.loads(tpath.read_text(encoding="utf-8")).get("duration", duration or 0.0))
    except Interrupted:
        raise KeyboardInterrupt from None
    except TranscribeError as exc:
        status, error = FAILED, exc.message
    except OSError as exc:
        status, error = FAILED, f"{job.input}: {exc.strerror or exc}"
    except Exception as exc:  # a bug or a library's failure on this file: the batch goes on
        status, error = FAILED, f"{job.input}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    wall = time.monotonic() - began
    return FileResult(input=str(job.input), status=status, outputs=written if status == OK else [],
                      duration_s=duration, wall_s=round(wall, 3),
                      rtf=round(wall / duration, 4) if duration else None, error=error, key=job.key,
                      attempts=job.attempt, worker=worker, finished=now())


def worker_setup(template: Options, own_sigint: bool = True) -> Models:
    """What a worker process does once before its first file: malloc set up as the command line
    does for faster-whisper and, with ``own_sigint`` (a local worker, on its main thread),
    Ctrl-C interrupts it once (a second one, from the terminal and from the driver, is ignored
    while the journal is kept). Returns the worker's model cache, empty until its first file."""
    from transcribe import allocator

    def interrupt(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    if own_sigint:
        signal.signal(signal.SIGINT, interrupt)
    if template.engine == "faster-whisper":
        allocator.keep_freed_memory()
    return Models()


def failed_result(job: Job, message: str, worker: str = "") -> FileResult:
    """A ``failed`` line for a file no worker could finish (every attempt's worker died)."""
    return FileResult(input=str(job.input), status=FAILED, duration_s=job.duration_s, error=message,
                      key=job.key, attempts=job.attempt, worker=worker, finished=now())


class _FileReporter(Reporter):
    """A worker's reporter: quiet, and each warning names its input (several files' warnings
    come out mixed on one stderr)."""

    def __init__(self, name: str) -> None:
        super().__init__(quiet=True)
        self.name = name

    def warn(self, message: str) -> None:
        super().warn(message if message.startswith(self.name) else f"{self.name}: {message}")
