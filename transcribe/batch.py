"""``transcribe batch INPUTS... -o OUTDIR``: notes for many recordings, on every core or on a
Ray cluster, with a manifest that lets a re-run pick up where the last one stopped.

The driver (this module) expands the inputs (:mod:`transcribe.batch_inputs`), skips those the
manifest (:mod:`transcribe.manifest`) has as done with the same content and options, probes
the rest for their length, chooses the workers (:func:`choose_workers`), and hands the files
to local worker processes (:mod:`transcribe.batch_local`) or Ray actors
(:mod:`transcribe.batch_ray`). Each worker runs the whole single-file pipeline
(:func:`transcribe.pipeline.run`, through :mod:`transcribe.batch_work`) with its models loaded
once, so a file's outputs are the same as ``transcribe FILE -o OUT`` would write. Results come
back as they finish; the driver appends each to the manifest and prints one progress line.
Files are handed out longest first (their length is probed before the start), so that the
last files to finish are short ones and no worker is left with a long file while the others
are idle (Graham's LPT rule: the whole batch within 4/3 of the best possible order's time).
A failing file is a ``failed`` line with its message, and the batch goes on; a worker that
dies has its file retried on another (:data:`MAX_ATTEMPTS` in all); Ctrl-C stops every worker
(a long file keeps its resume journal) and says how to continue.

Workers and threads: a worker peaks at about :data:`WORKER_MEMORY_MB`. Measured over six
real recordings of 45-199 s (bench/batch.py, two runs): 1,007-1,010 MB for the larger of 2
workers of 1 ASR thread, 1,466-1,547 MB for 1 worker of 2 threads (two CTranslate2 decoders,
each with its batch), 1,289-1,313 MB for the largest single ``transcribe FILE`` run; a worker keeps the notes' spaCy
pipeline and sentence encoder (231 MB, :class:`transcribe.notes.NotesModels`) loaded while it
transcribes its next file, and three hours of speech peak 13 % above ten minutes
(bench/long.py). The default is as many workers as there are cores,
fewer if the available memory or the number of files says so, with ``cores // workers`` ASR
threads each. Tried and dropped as the default: fewer workers with more threads each. On 2
cores, 1 worker of 2 threads took 52.8 s for the benchmark's files, 2 workers of 1 thread
43.6 s (bench/batch.py; README, "Many recordings"); our reading: in one process the notes
stage runs on one core while the other waits, and a short file's windows have too few chunks
to keep two decoders busy.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from transcribe import batch_inputs, media, render
from transcribe.batch_work import Job
from transcribe.errors import TranscribeError, UsageError
from transcribe.manifest import FAILED, MANIFEST_NAME, OK, SKIPPED, FileResult, Manifest, content_fingerprint, \
    job_key, now, output_options
from transcribe.outputs import output_paths
from transcribe.pipeline import Interrupted, Options, check_options
from transcribe.progress import Reporter
from transcribe.writing import check_outputs

WORKER_MEMORY_MB = 1600
"""Memory one worker may take at its peak (MB), for the default number of workers: the
largest peak measured, 1,547 MB for a worker of 2 threads, rounded up (see above)."""
MAX_ATTEMPTS = 3
"""Workers that may start on one file: a file whose worker died twice gets a third."""


@dataclass
class BatchOptions:
    """What ``transcribe batch`` was asked for.

    Attributes:
        inputs: the INPUTS arguments (files, folders, globs, lists of paths).
        outdir: OUTDIR (created if missing).
        file: the per-file options (``input``/``output`` are set for each file; ``threads``
            0: chosen with the workers).
        workers: worker processes or actors; 0: :func:`choose_workers`.
        ray: None for local workers; ``local``, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``.
    """

    inputs: list[str]
    outdir: Path
    file: Options
    workers: int = 0
    ray: str | None = None


@dataclass
class BatchSummary:
    """A batch's outcome: files ``ok``, ``failed``, ``skipped`` (done before), the audio done
    in this run (seconds) and its wall time (seconds)."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    audio_s: float = 0.0
    wall_s: float = 0.0

    @property
    def rtf(self) -> float | None:
        """Wall time per second of audio over the run (None when no audio was done)."""
        return self.wall_s / self.audio_s if self.audio_s > 0 else None


@dataclass(frozen=True)
class WorkerPlan:
    """How many workers of how many ASR threads, and why, in words."""

    workers: int
    threads: int
    why: str


def available_memory_mb() -> float | None:
    """MemAvailable of ``/proc/meminfo`` in MB (None where there is none: macOS, Windows)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def choose_workers(requested: int, threads: int, files: int, cpus: int, memory_mb: float | None,
                   where: str = "this machine") -> WorkerPlan:
    """``--workers`` and ``--threads`` (0: automatic) for ``files`` files on ``cpus`` cores
    with ``memory_mb`` available: by default ``min(cpus // threads, memory_mb //
    WORKER_MEMORY_MB, files)`` workers (at least 1), and ``cpus // workers`` threads each.

    Raises:
        UsageError: ``requested`` or ``threads`` below 0.
    """
    if requested < 0:
        raise UsageError(f"--workers {requested}: must be 1 or more (0: chosen from the cores and memory)")
    if threads < 0:
        raise UsageError(f"--threads {threads}: must be 0 (automatic) or more")
    cpus = max(1, cpus)
    if requested:
        workers = min(requested, max(files, 1))
        why = "as asked" if workers == requested else f"{requested} asked, {files} file{'' if files == 1 else 's'}"
        if workers > cpus:
            why += f"; more than the {cpus} cores, which makes the batch slower, not faster"
    else:
        by_memory = int(memory_mb // WORKER_MEMORY_MB) if memory_mb is not None else cpus
        workers = max(1, min(cpus // max(threads, 1), by_memory, files))
        memory = f"{memory_mb / 1024:.1f} GB available at {WORKER_MEMORY_MB / 1024:.1f} GB a worker" \
            if memory_mb is not None else "memory unknown"
        why = f"{cpus} cores, {memory}, {files} file{'' if files == 1 else 's'}"
    threads = threads or max(1, cpus // workers)
    return WorkerPlan(workers, threads, f"{workers} worker{'' if workers == 1 else 's'} of {threads} "
                                        f"thread{'' if threads == 1 else 's'} on {where} ({why})")


def _jobs(opts: BatchOptions, planned: list[batch_inputs.Planned], done: dict[str, FileResult],
          manifest: Manifest, reporter: Reporter) -> tuple[list[Job], int]:
    """The files to do, and how many were skipped (each gets a ``skipped`` line)."""
    options = output_options(opts.file)
    jobs, skipped = [], 0
    for item in planned:
        try:
            key = job_key(content_fingerprint(item.input), options)
        except OSError:
            key = None  # unreadable: its own run says why
        before = done.get(str(item.input))
        if key is not None and before is not None and before.done and before.key == key and \
                before.outputs and all(Path(p).exists() for p in before.outputs):
            manifest.append(replace(before, status=SKIPPED, wall_s=0.0, finished=now()))
            skipped += 1
            continue
        try:
            duration = media.probe(item.input).duration or None
        except TranscribeError:
            duration = None
        jobs.append(Job(item.input, item.notes, key, duration))
    if skipped:
        reporter.step(f"Skipping {skipped} file{'' if skipped == 1 else 's'} done by an earlier run "
                      f"with the same options (see {manifest.path})")
    return jobs, skipped


class _Progress:
    """One line per finished file: its outcome, files and audio hours done, ETA."""

    def __init__(self, jobs: list[Job], root: Path, reporter: Reporter) -> None:
        self.total, self.root, self.reporter = len(jobs), root, reporter
        self.audio_total = sum(j.duration_s or 0.0 for j in jobs)
        self.began = time.monotonic()
        self.count, self.audio_done = 0, 0.0

    def __call__(self, result: FileResult) -> None:
        self.count += 1
        job_audio = result.duration_s or 0.0
        self.audio_done += job_audio
        elapsed = time.monotonic() - self.began
        left_audio = max(self.audio_total - self.audio_done, 0.0)
        eta = (left_audio * elapsed / self.audio_done if self.audio_done > 0 else
               (self.total - self.count) * elapsed / self.count)
        try:
            name = Path(result.input).relative_to(self.root)
        except ValueError:
            name = Path(result.input)
        what = (f"ok ({render.hms(job_audio)}, RTF {result.rtf:.2f})" if result.status == OK and result.rtf
                else "ok" if result.status == OK else f"failed: {result.error}")
        line = (f"[{self.count}/{self.total}] {name}: {what}; audio {self.audio_done / 3600:.2f} / "
                f"{self.audio_total / 3600:.2f} h, ETA {render.hms(eta if self.count < self.total else 0)}")
        if result.status == FAILED and self.reporter.quiet:
            self.reporter.warn(line)
        else:
            self.reporter.step(line)


def run_batch(opts: BatchOptions, reporter: Reporter | None = None) -> BatchSummary:
    """Notes for every input under ``opts.outdir``; the manifest gets one line per input.

    Returns:
        The :class:`BatchSummary` (also printed); a file that failed does not raise.

    Raises:
        UsageError: bad inputs or options (before any work).
        TranscribeError: OUTDIR cannot be made or written; ``--ray`` without Ray installed.
        Interrupted: Ctrl-C (exit status 130); the message says how to continue.
    """
    reporter = reporter or Reporter(quiet=True)
    began = time.monotonic()
    choose_workers(opts.workers, opts.file.threads, 1, 1, None)  # a bad --workers or --threads fails now
    files, root = batch_inputs.expand(opts.inputs)
    formats = opts.file.formats or ["md"]
    planned = batch_inputs.plan(files, root, opts.outdir, render.FORMATS[formats[0]][0]
                                if formats[0] in render.FORMATS else ".md")
    output_paths(formats, planned[0].notes, planned[0].notes)  # an unknown --format fails now
    check_options(replace(opts.file, input=files[0], output=planned[0].notes), reporter)
    outdir = Path(opts.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"-o {outdir}: is a file; give the folder for the outputs")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TranscribeError(f"{outdir}: cannot make the output folder ({exc.strerror or exc})") from None
    manifest = Manifest(outdir / MANIFEST_NAME)
    check_outputs([manifest.path], force=True)
    summary = BatchSummary()
    on_ray = False
    try:
        jobs, summary.skipped = _jobs(opts, planned, manifest.load(), manifest, reporter)
        jobs.sort(key=lambda job: -(job.duration_s or 0.0))  # longest first: see the module's docstring
        if not jobs:
            reporter.step(f"Nothing to do: {'the file is' if len(planned) == 1 else f'all {len(planned)} files are'} "
                          f"done (see {manifest.path})")
            return summary
        runner, plan = _runner(opts, jobs, reporter)
        on_ray = runner is not _local_runner()
        reporter.step(f"{len(jobs)} file{'' if len(jobs) == 1 else 's'} to do "
                      f"({render.hms(sum(j.duration_s or 0 for j in jobs))} of audio); {plan.why}")
        progress = _Progress(jobs, root, reporter)

        def arrived(result: FileResult) -> None:
            manifest.append(result)
            summary.ok += result.status == OK
            summary.failed += result.status == FAILED
            summary.audio_s += (result.duration_s or 0.0) if result.status == OK else 0.0
            progress(result)

        try:
            runner(jobs, replace(opts.file, threads=plan.threads), plan.workers, plan.threads, arrived,
                   MAX_ATTEMPTS)
        except KeyboardInterrupt:
            done = summary.ok + summary.failed
            raise Interrupted(f"interrupted: {done} of {len(jobs)} files finished in this run"
                              f"{f' (see {manifest.path})' if done else ''}; run the same command again to continue (files "
                              "done are skipped, a file cut short resumes from its journal)") from None
    finally:
        manifest.close()
        if on_ray:
            from transcribe import batch_ray

            batch_ray.disconnect()
    summary.wall_s = time.monotonic() - began
    _report(summary, manifest.path, reporter)
    return summary


def _runner(opts: BatchOptions, jobs: list[Job], reporter: Reporter):
    """The function that runs the jobs (local or Ray) and its :class:`WorkerPlan`."""
    threads = opts.file.threads
    if opts.ray is not None:
        from transcribe import batch_ray

        batch_ray.import_ray()
        why_not = batch_ray.unreachable(opts.ray)
        resources = None
        if why_not is None:
            try:
                resources = batch_ray.connect(opts.ray)
            except TranscribeError as exc:
                why_not = exc.message
        if resources is not None:
            cpus = int(resources.get("CPU", 1))
            memory = resources.get("memory")
            where = "a local Ray instance" if opts.ray == "local" else f"the Ray cluster at {opts.ray}"
            plan = choose_workers(opts.workers, threads or 1, len(jobs), cpus,
                                  memory / 2**20 if memory else None, where)
            if plan.workers * plan.threads > cpus:
                plan = WorkerPlan(max(1, cpus // plan.threads), plan.threads,
                                  plan.why + f"; at most {max(1, cpus // plan.threads)} fit its {cpus} CPUs")
            return batch_ray.run_ray, plan
        reporter.warn(f"--ray {opts.ray}: {why_not}; running on local workers instead")
    return _local_runner(), choose_workers(opts.workers, threads, len(jobs), os.cpu_count() or 1,
                                     available_memory_mb())


def _local_runner():
    from transcribe.batch_local import run_local

    return run_local


def _report(summary: BatchSummary, manifest: Path, reporter: Reporter) -> None:
    hours = summary.audio_s / 3600
    speed = (f", {1 / summary.rtf:.1f} audio hours per hour (RTF {summary.rtf:.3f})"
             if summary.rtf else "")
    line = (f"Done: {summary.ok} ok, {summary.failed} failed, {summary.skipped} skipped; {hours:.2f} h of "
            f"audio in {render.hms(summary.wall_s)}{speed}; manifest: {manifest}")
    reporter.step(line)
    if summary.failed:
        reporter.warn(f"{summary.failed} file{'' if summary.failed == 1 else 's'} failed (their messages are "
                      "in the manifest); run the same command again to retry them (add --force where the message "
                      "is that an output already exists)")
