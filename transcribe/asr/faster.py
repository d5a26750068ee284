"""The default ASR engine: faster-whisper (CTranslate2), chunks decoded in batches.

SYSTRAN/faster-whisper's ``BatchedInferencePipeline`` decodes several chunks per encoder and
decoder call; chunks that fail Whisper's checks are decoded again one by one with the
temperature fallback (:meth:`FasterWhisperEngine.redecode`).

On the CPU a window's chunks are split between CTranslate2 workers (``inter_threads``) that
decode at the same time, each with its share of the threads (:func:`workers_and_threads`):
on 2 cores, 2 workers of 1 thread decoded 240 s of the sample (9 chunks) in 8.9 s against
11.8 s for 1 worker of 2 threads (best of 2 runs each, the same text to the byte): one
worker's two threads keep both cores busy for only part of each batch (1 thread alone: 15.2 s).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from transcribe.media import SAMPLE_RATE
from transcribe.model import Segment, Word

BATCH_SIZE = 4
"""Chunks decoded together by faster-whisper's batched pipeline (per worker). With one worker of
2 threads, 4 was as fast as 8 (13.3 s against 13.2 s for a 240 s window) with 370 MB less peak
memory, and 2 slower; with 2 workers a window's 4 chunks make one batch of 2 for each."""
MAX_WORKERS = 2
"""CTranslate2 workers on the CPU (batches decoded at once). Measured only on 2 cores."""
BEAM_SIZE = 1
"""Default beam width of the decoder, both engines: greedy. On LJ Speech (first 600 s of
lj001) beam 5 gave WER 6.76 % against 6.83 % greedy, for 18 % more time."""
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""Whisper's temperature fallback for a chunk decoded again: each temperature is tried
until the text passes Whisper's checks (compression ratio ≤ 2.4, mean log-probability ≥ -1)."""


def workers_and_threads(device: str, threads: int = 0) -> tuple[int, int]:
    """``(workers, threads per worker)`` for CTranslate2 (``inter_threads``, ``intra_threads``).

    ``threads`` is the CPU threads to use in all (0: one per core, ``os.cpu_count()``). On the CPU,
    :data:`MAX_WORKERS` workers share them (at least one thread each); on CUDA one worker
    (the GPU runs one batch at a time) and ``threads`` as given.
    """
    if device == "cuda":
        return 1, threads
    total = threads or os.cpu_count() or 1
    workers = max(1, min(MAX_WORKERS, total))
    return workers, max(1, total // workers)


class FasterWhisperEngine:
    """faster-whisper (CTranslate2): chunks decoded in batches by ``BatchedInferencePipeline``.

    Args:
        model: a loaded ``faster_whisper.WhisperModel`` (:func:`transcribe.asr.engines.load_model`);
            its CTranslate2 workers (``num_workers``) decode that many groups of chunks at once.
        batch_size: chunks per batch (of one worker).
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
        if not chunks:
            return []
        workers = max(1, min(int(getattr(self.model.model, "num_workers", 1)), len(chunks)))
        groups = [list(range(k, len(chunks), workers)) for k in range(workers)]  # interleaved: even shares
        out: list[list[Segment]] = [[] for _ in chunks]
        failed: set[int] = set()
        if workers == 1:
            decoded = [self._decode_group(samples, chunks, groups[0], language, task, prompt)]
        else:
            with ThreadPoolExecutor(workers) as pool:
                decoded = list(pool.map(lambda g: self._decode_group(samples, chunks, g, language, task, prompt),
                                        groups))
        for segments, bad in decoded:
            for index, segs in segments.items():
                out[index] = segs
            failed |= bad
        for index in sorted(failed):  # what openai-whisper does inside, batched decoding cannot
            out[index] = self.redecode(samples, chunks[index], language=language, task=task, prompt=prompt)
        return out

    def _decode_group(self, samples, chunks, group: list[int], language, task, prompt):
        """Chunks ``group`` (indices into ``chunks``) in batches: ``({index: segments}, failed indices)``."""
        from faster_whisper import BatchedInferencePipeline

        # A new pipeline per call: it keeps the last word time as state between calls,
        # and each window must decode the same whether or not the run was resumed.
        pipeline = BatchedInferencePipeline(self.model)
        clips = [{"start": chunks[i][0], "end": chunks[i][1]} for i in group]
        keys = {int(int(chunks[i][0] * SAMPLE_RATE) / SAMPLE_RATE * self.model.frames_per_second): i for i in group}
        pieces, _info = pipeline.transcribe(
            samples, language=language, task=task, clip_timestamps=clips, batch_size=self.batch_size,
            beam_size=self.beam_size, word_timestamps=True, hotwords=prompt)
        out: dict[int, list[Segment]] = {i: [] for i in group}
        failed: set[int] = set()
        for seg in pieces:
            if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:  # Whisper's no-speech rule
                continue
            index = keys.get(seg.seek, group[0])
            if seg.avg_logprob < -1.0 or seg.compression_ratio > 2.4:  # Whisper's fallback rule
                failed.add(index)
            out[index].append(_segment(seg))
        return out, failed

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
