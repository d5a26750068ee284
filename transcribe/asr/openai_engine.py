"""The reference ASR engine: OpenAI's ``openai-whisper`` (PyTorch) on the bundled weights, offline.

``--engine openai-whisper`` runs the reference implementation on the *same*
weights as the default faster-whisper engine. Those weights ship only in
CTranslate2 format (``model.bin``, see :func:`transcribe.asr.bundled_model_files`),
so they are converted once into an openai-whisper checkpoint (the ``{"dims",
"model_state_dict"}`` dict that ``whisper.load_model(path)`` reads), cached on
disk, and loaded from there on later runs. Nothing is downloaded: the tokenizer
(``*.tiktoken``) and mel filters ship inside the ``openai-whisper`` package.

Needs the project's optional extra ``openai`` (``pip install '.[openai]'``: ``torch`` and ``openai-whisper``).
The conversion itself is :mod:`transcribe.asr.ct2`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from transcribe.asr.ct2 import CHECKPOINT_FORMAT, alignment_dump, convert_to_openai
from transcribe.errors import TranscribeError
from transcribe.media import SAMPLE_RATE
from transcribe.model import Segment, Word

NOT_INSTALLED = ("openai-whisper engine not installed: in the project folder, "
                 "pip install '.[openai]'")
"""Message of the :class:`TranscribeError` raised when ``torch``/``whisper`` are missing."""
REDECODE_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)
"""Temperatures :meth:`OpenAIWhisperEngine.redecode` samples with (no greedy/beam pass at 0)."""

class OpenAIWhisperEngine:
    """openai-whisper's ``Whisper`` model on CPU, converted from a CTranslate2 model.

    Attributes:
        name: the engine's ``--engine`` value.
        model: the loaded ``whisper.model.Whisper`` (float32 on CPU).
        path: the cached checkpoint it was loaded from.
    """

    name = "openai-whisper"

    def __init__(self, model: Any, path: Path, beam_size: int = 5) -> None:
        self.model = model
        self.path = path
        self.beam_size = beam_size

    @classmethod
    def load(cls, files: dict[str, bytes], model_sha256: str, cache_dir: Path,
             threads: int = 0, beam_size: int = 5) -> "OpenAIWhisperEngine":
        """Convert ``files`` once to ``cache_dir/openai-whisper-<sha[:16]>.pt`` and load it.

        The checkpoint is written to a temporary file in ``cache_dir`` and moved
        into place with ``os.replace``, so a crash never leaves a partial cache
        file; a cached file that fails to load is converted again.

        Args:
            files: CTranslate2 Whisper model files (see :func:`convert_to_openai`).
            model_sha256: hex SHA-256 of ``files["model.bin"]``; names the cache file.
            cache_dir: where the converted checkpoint lives (created if missing).
            threads: PyTorch CPU threads (``torch.set_num_threads``); 0 keeps its default.
            beam_size: decoder beam width at temperature 0 (1 = greedy).

        Raises:
            TranscribeError: torch/openai-whisper not installed, the model cannot
                be converted, or the cache directory cannot be written.
        """
        try:
            import torch
            import whisper
        except ImportError as exc:
            raise TranscribeError(NOT_INSTALLED) from exc
        if threads > 0:
            torch.set_num_threads(threads)
        cache_dir = Path(cache_dir)
        path = cache_dir / f"openai-whisper-{model_sha256[:16]}.pt"
        if path.is_file():
            try:
                return cls(cls._load_checkpoint(whisper, torch, path), path, beam_size)
            except Exception:  # damaged or from an older conversion: convert again below
                pass
        try:
            checkpoint = convert_to_openai(files)
        except ValueError as exc:
            raise TranscribeError(f"cannot convert the model for openai-whisper: {exc}") from exc
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=cache_dir)
            try:
                with os.fdopen(fd, "wb") as out:
                    torch.save(checkpoint, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TranscribeError(f"{cache_dir}: cannot write the openai-whisper model cache "
                                  f"({exc.strerror or exc})") from exc
        del checkpoint
        try:
            return cls(cls._load_checkpoint(whisper, torch, path), path, beam_size)
        except Exception as exc:
            raise TranscribeError(f"{path}: openai-whisper cannot load the converted model "
                                  f"({' '.join(str(exc).split())[:160]})") from exc

    @staticmethod
    def _load_checkpoint(whisper: Any, torch: Any, path: Path) -> Any:
        """``whisper.load_model(path)`` plus the alignment heads stored beside the weights."""
        meta = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{path}: checkpoint format {meta.get('format')}, want {CHECKPOINT_FORMAT}")
        heads = meta.get("alignment_heads") or []
        del meta
        model = whisper.load_model(str(path), device="cpu")
        if heads:
            model.set_alignment_heads(alignment_dump(heads, model.dims.n_text_layer, model.dims.n_text_head))
        return model.eval()

    def detect_language(self, speech: np.ndarray) -> str:
        """The spoken language (ISO 639-1, e.g. ``"en"``) by Whisper's language-ID head.

        Args:
            speech: ``(n,)`` float32 samples at 16 kHz, speech only (VAD applied
                by the caller); the first 30 s are used, shorter input is padded.
        """
        return self.detect_language_probability(speech)[0]

    def detect_language_probability(self, speech: np.ndarray) -> tuple[str, float]:
        """``(code, probability)`` of the most likely language (as :meth:`detect_language`)."""
        import torch
        import whisper

        audio = whisper.pad_or_trim(np.array(speech, dtype=np.float32, copy=True).reshape(-1))
        mel = whisper.log_mel_spectrogram(audio, n_mels=self.model.dims.n_mels)
        with torch.inference_mode():
            _tokens, probs = whisper.detect_language(self.model, mel)
        best = max(probs, key=probs.get)
        return best, float(probs[best])

    def transcribe_chunks(self, samples: np.ndarray, chunks: list[tuple[float, float]], *,
                          language: str, task: str, prompt: str | None) -> list[list[Segment]]:
        """Transcribe each chunk of ``samples`` on its own (no text carried between chunks).

        Args:
            samples: ``(n,)`` float32 at 16 kHz.
            chunks: ``(start_s, end_s)`` seconds within ``samples``, each meant to
                be at most 30 s (one Whisper window; longer ones are decoded in
                several windows).
            language: ISO 639-1 code of the speech.
            task: ``"transcribe"`` or ``"translate"``.
            prompt: text given as ``initial_prompt`` to every chunk, or ``None``.

        Returns:
            One list of segments per chunk, in order, with times in seconds from
            ``samples[0]`` (chunk start added, clipped to the chunk) and word
            timings; segments whose stripped text is empty are left out.

        Raises:
            ValueError: a chunk with ``end_s <= start_s`` or ``start_s < 0``.
        """
        return [self._decode(samples, chunk, language=language, task=task, prompt=prompt)
                for chunk in chunks]

    def redecode(self, samples: np.ndarray, chunk: tuple[float, float], *,
                 language: str, task: str, prompt: str | None) -> list[Segment]:
        """One chunk of :meth:`transcribe_chunks`, sampled at :data:`REDECODE_TEMPERATURES` only.

        For a chunk whose first decoding looped: skipping temperature 0 makes
        Whisper sample, which usually breaks the repetition.
        """
        return self._decode(samples, chunk, language=language, task=task, prompt=prompt,
                            temperature=REDECODE_TEMPERATURES)

    def _decode(self, samples: np.ndarray, chunk: tuple[float, float], *, language: str, task: str,
                prompt: str | None, temperature: tuple[float, ...] | None = None) -> list[Segment]:
        """Decode ``samples[chunk]``; ``temperature=None`` is openai-whisper's default fallback
        (0.0, then 0.2 … 1.0 when the text is too repetitive or too unlikely). Sampling is
        seeded from the chunk's place, so a resumed run decodes it as an uninterrupted one."""
        import torch

        start_s, end_s = float(chunk[0]), float(chunk[1])
        if start_s < 0 or end_s <= start_s:
            raise ValueError(f"bad chunk ({start_s}, {end_s}): want 0 <= start < end")
        a, b = int(round(start_s * SAMPLE_RATE)), int(round(end_s * SAMPLE_RATE))
        piece = np.array(samples[a:b], dtype=np.float32, copy=True).reshape(-1)
        if piece.size == 0:
            return []
        torch.manual_seed(a)
        with torch.inference_mode():
            result = self.model.transcribe(
                piece, language=language, task=task, word_timestamps=True,
                condition_on_previous_text=False, initial_prompt=prompt, fp16=False,
                beam_size=self.beam_size if self.beam_size > 1 else None, best_of=5, verbose=None,
                **({} if temperature is None else {"temperature": temperature}))
        end_s = min(end_s, start_s + piece.size / SAMPLE_RATE)

        def at(t: float) -> float:
            return round(min(start_s + float(t), end_s), 3)

        segments: list[Segment] = []
        for seg in result["segments"]:
            text = seg["text"].strip()
            if not text:
                continue
            words = [Word(at(w["start"]), at(w["end"]), w["word"], round(float(w["probability"]), 4))
                     for w in seg.get("words") or []]
            segments.append(Segment(at(seg["start"]), at(seg["end"]), text, words))
        return segments
