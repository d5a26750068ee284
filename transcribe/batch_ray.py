"""``transcribe batch --ray [ADDRESS]``: the same batch on a Ray cluster (``pip install '.[ray]'``).

One actor per worker (``num_cpus`` = its ASR threads) holds the loaded models
(:class:`transcribe.pipeline.Models`); each file is one actor task
(:func:`transcribe.batch_work.run_job`), handed to an idle actor; results come back as they
finish (:func:`ray.wait`) and the driver writes the manifest. An actor that dies (its node
lost, a crash, the out-of-memory killer) raises ``RayActorError`` for the file it held: the
file is queued again for a new actor, which Ray places wherever there is room, at most
``max_attempts`` actors in all. The actors read the inputs and write the outputs by their
paths, so the inputs and OUTDIR must be on a file system every node sees at the same path
(NFS, CephFS, a cloud bucket mounted the same way everywhere), and ``transcribe`` must be
installed on every node.

``ADDRESS``: ``local`` (what a bare ``--ray`` means) starts a Ray instance on this machine for
the run and stops it at the end; ``auto`` joins the cluster ``ray start`` made on this machine
(or ``RAY_ADDRESS``); ``HOST:PORT`` is a cluster's head (this machine one of its nodes), and
``ray://HOST:PORT`` its Ray Client server. A ``HOST:PORT`` that does not answer a TCP
connection within :data:`CONNECT_TIMEOUT_S`, or a Ray that will not start or connect (after
its own retries, about 20 s), gives one warning and the batch runs on local workers instead.

Tried and dropped: :class:`ray.util.ActorPool`. When an actor dies, it re-raises the error for
that file and drops the actor, with no way to put the file back in the queue for another one.
Ray's own retries (``max_restarts``, ``max_task_retries``) restart the actor in place and run
the task again with the same arguments, so the attempt count (and the test hook of
:mod:`transcribe.batch_work`) cannot be told apart; the driver's own loop is 30 lines.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections import deque
from dataclasses import replace
from typing import Callable

from transcribe.batch_work import Job, failed_result, run_job, worker_setup
from transcribe.errors import TranscribeError
from transcribe.manifest import FileResult
from transcribe.pipeline import Options

RAY_MISSING = "--ray needs Ray, which is not installed: pip install '.[ray]' (in the project folder)"
CONNECT_TIMEOUT_S = 5.0
"""How long ``--ray HOST:PORT`` waits for the head to accept a TCP connection."""


def import_ray():
    """The ``ray`` module.

    Raises:
        TranscribeError: Ray is not installed (the message says how to install it).
    """
    try:
        import ray
    except ImportError:
        raise TranscribeError(RAY_MISSING) from None
    return ray


def unreachable(address: str) -> str | None:
    """Why the cluster at ``address`` cannot be reached (a TCP connection to its head refused
    or timed out), or None: it answers, or ``address`` is ``local``/``auto``."""
    found = re.fullmatch(r"(?:ray://)?\[?([^\[\]]+?)\]?:(\d+)", address)
    if address in ("local", "auto") or not found:
        return None
    host, port = found.group(1), int(found.group(2))
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        return f"cannot reach the Ray cluster ({exc.strerror or type(exc).__name__})"
    return None


def connect(address: str) -> dict:
    """Start (``local``) or join a Ray cluster; returns its resources (``{"CPU": 2.0,
    "memory": bytes, ...}``).

    Raises:
        TranscribeError: Ray is missing, or refused to start or connect (its one-line reason;
            the caller warns and runs on local workers).
    """
    ray = import_ray()
    quiet = {"logging_level": logging.WARNING, "log_to_driver": True}
    try:
        if address == "local":
            ray.init(include_dashboard=False, **quiet)
        else:
            ray.init(address=address, **quiet)
        return dict(ray.cluster_resources())
    except Exception as exc:  # ConnectionError, RuntimeError, ValueError: Ray's own reasons
        disconnect()
        hint = ("; a cluster with token authentication (the default of `ray start` where a token "
                "exists) needs RAY_AUTH_MODE=token here too" if address != "local" and
                not os.environ.get("RAY_AUTH_MODE") else "")
        raise TranscribeError(f"Ray could not {'start' if address == 'local' else 'connect'} "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}){hint}") from None


def disconnect() -> None:
    """Leave the cluster (a ``local`` instance is stopped; the actors end with the driver)."""
    ray = import_ray()
    if ray.is_initialized():
        ray.shutdown()


class RayWorker:
    """The actor class (wrapped by ``ray.remote`` in :func:`run_ray`): one worker's models."""

    def __init__(self, template: Options, threads: int) -> None:
        self.template, self.threads = template, threads
        self.models = worker_setup(template, own_sigint=False)
        self.name = f"ray:{socket.gethostname()}:{os.getpid()}"

    def run(self, job: Job) -> FileResult:
        return run_job(job, self.template, self.threads, self.models, self.name)


def run_ray(jobs: list[Job], template: Options, workers: int, threads: int,
            on_result: Callable[[FileResult], None], max_attempts: int) -> None:
    """Run ``jobs`` on ``workers`` actors of ``threads`` CPUs each on the connected cluster
    (:func:`connect` first); call ``on_result`` with each result as it arrives.

    Raises:
        KeyboardInterrupt: Ctrl-C; the actors are killed (a file cut short keeps its journal,
            written window by window).
    """
    ray = import_ray()
    env = {k: v for k, v in os.environ.items() if k.startswith("TRANSCRIBE_")}  # --llm key, cache, test hook
    actor_class = ray.remote(num_cpus=threads, max_restarts=0, runtime_env={"env_vars": env})(RayWorker)
    pending = deque(jobs)
    idle = [actor_class.remote(template, threads) for _ in range(min(workers, len(pending)))]
    running: dict = {}
    try:
        while pending or running:
            while idle and pending:
                actor, job = idle.pop(), pending.popleft()
                running[actor.run.remote(job)] = (actor, job)
            finished, _ = ray.wait(list(running), num_returns=1)
            for ref in finished:
                actor, job = running.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayActorError as exc:
                    _kill(ray, actor)
                    if job.attempt < max_attempts:
                        pending.appendleft(replace(job, attempt=job.attempt + 1))
                    else:
                        on_result(failed_result(job, f"{job.input}: its Ray worker died on each of {job.attempt} "
                                                     f"attempts ({type(exc).__name__}); not tried again in this run"))
                    if pending:
                        idle.append(actor_class.remote(template, threads))
                    continue
                except ray.exceptions.RayError as exc:  # run_job raised: a bug, not the file's fault
                    result = failed_result(job, f"{job.input}: {type(exc).__name__}: "
                                                f"{' '.join(str(exc).split())[:200]}")
                on_result(result)
                idle.append(actor)
    except KeyboardInterrupt:
        for actor, _job in running.values():
            _kill(ray, actor)
        raise
    finally:
        for actor in idle:
            _kill(ray, actor)


def _kill(ray, actor) -> None:
    """End an actor; one that is gone already (Ctrl-C from a terminal reaches Ray's own
    processes too) is no error."""
    try:
        ray.kill(actor)
    except Exception:  # Ray's errors for an actor or a cluster that is gone
        pass
