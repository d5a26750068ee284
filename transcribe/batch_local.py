"""Local batch workers: ``--workers N`` processes on this machine (:mod:`multiprocessing`,
``spawn``), each loading the models once (on its first file) and keeping them for the next.

The driver hands one file at a time to each idle worker over its own pipe and waits on the
pipes and the processes' sentinels together (:func:`multiprocessing.connection.wait`). A
worker that dies (a crash, the out-of-memory killer, ``kill -9``) is seen by its sentinel:
its file goes back to the front of the queue for another worker (at most ``max_attempts``
workers in all), and a new worker takes its place.

Tried and dropped: :class:`concurrent.futures.ProcessPoolExecutor` with an initializer
holding the models. It is shorter, but one worker that dies breaks the whole pool
(``BrokenProcessPool``: every file in flight fails, and the pool must be rebuilt, its models
reloaded), and it cannot say which file the dead worker held. ``fork`` instead of ``spawn``
starts a worker in 0.1 s instead of about 1 s, but forks the driver's threads and locks
(PyAV's, Ray's) and is not on macOS by default; the models take longer to load than that.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from typing import Callable

from transcribe.batch_work import Job, failed_result, run_job, worker_setup
from transcribe.manifest import FileResult
from transcribe.pipeline import Options

STOP_WAIT_S = 30.0
"""After Ctrl-C, how long a worker may take to keep its journal and exit before it is killed."""


def _worker_main(conn, template: Options, threads: int, name: str) -> None:
    """A worker process: files from ``conn`` until ``None``, each result sent back."""
    try:
        models = worker_setup(template)
        while True:
            job = conn.recv()
            if job is None:
                break
            conn.send(run_job(job, template, threads, models, name))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass  # Ctrl-C, or the driver is gone: the journal of a file cut short is kept


@dataclass
class _Worker:
    name: str
    process: multiprocessing.Process
    conn: object
    job: Job | None = None
    retired: bool = False


def run_local(jobs: list[Job], template: Options, workers: int, threads: int,
              on_result: Callable[[FileResult], None], max_attempts: int) -> None:
    """Run ``jobs`` on ``workers`` local processes of ``threads`` ASR threads each; call
    ``on_result`` (in this process) with each file's result as it arrives.

    Raises:
        KeyboardInterrupt: Ctrl-C; every worker has been stopped (the file each was doing
            keeps its journal), no result is lost that had arrived.
    """
    ctx = multiprocessing.get_context("spawn")
    pending = deque(jobs)
    pool: list[_Worker] = []
    serial = [0]

    def start() -> _Worker:
        serial[0] += 1
        name = f"local-{serial[0]}"
        ours, theirs = ctx.Pipe()
        process = ctx.Process(target=_worker_main, args=(theirs, template, threads, name), name=name, daemon=True)
        process.start()
        theirs.close()
        return _Worker(name, process, ours)

    def give(worker: _Worker) -> None:
        worker.job = pending.popleft()
        worker.conn.send(worker.job)

    try:
        pool = [start() for _ in range(min(workers, len(pending)))]
        for worker in pool:
            give(worker)
        while any(w.job is not None for w in pool):
            busy = [w for w in pool if w.job is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                result = None
                if worker.conn in ready:
                    try:
                        result = worker.conn.recv()
                    except (EOFError, OSError):
                        result = None  # it died while sending: its sentinel tells
                if result is not None:
                    worker.job = None
                    on_result(result)
                    if pending:
                        give(worker)
                    else:  # nothing left for it: it exits now, and its memory is free for the others
                        _retire(worker)
                elif worker.process.sentinel in ready or not worker.process.is_alive():
                    worker.process.join()
                    job, worker.job = worker.job, None
                    _died(job, worker, pending, max_attempts, on_result)
                    pool.remove(worker)
                    if pending:
                        fresh = start()
                        pool.append(fresh)
                        give(fresh)
        for worker in pool:
            _retire(worker)
        for worker in pool:
            worker.process.join(STOP_WAIT_S)
    except KeyboardInterrupt:
        _stop(pool)
        raise
    finally:
        for worker in pool:
            if worker.process.is_alive():
                worker.process.kill()
            worker.conn.close()


def _retire(worker: _Worker) -> None:
    """Tell an idle worker to exit (once)."""
    if not worker.retired:
        worker.retired = True
        try:
            worker.conn.send(None)
        except OSError:
            pass


def _died(job: Job, worker: _Worker, pending: deque, max_attempts: int,
          on_result: Callable[[FileResult], None]) -> None:
    """The worker doing ``job`` has died: the file goes to another worker, or after
    ``max_attempts`` workers it is failed."""
    code = worker.process.exitcode
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
    if job.attempt < max_attempts:
        pending.appendleft(replace(job, attempt=job.attempt + 1))
        return
    on_result(failed_result(job, f"{job.input}: its worker died ({how}) on each of {job.attempt} "
                                 "attempts; not tried again in this run", worker.name))


def _stop(pool: list[_Worker]) -> None:
    """Ctrl-C: each busy worker is interrupted (if the terminal has not done so already), given
    :data:`STOP_WAIT_S` to keep its journal, then killed."""
    for worker in pool:
        if worker.process.is_alive():
            try:
                os.kill(worker.process.pid, signal.SIGINT)
            except OSError:
                pass
    for worker in pool:
        worker.process.join(STOP_WAIT_S)
