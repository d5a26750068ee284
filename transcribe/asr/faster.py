"""The default ASR engine: faster-whisper (CTranslate2), chunks decoded in batches.

SYSTRAN/faster-whisper's ``BatchedInferencePipeline`` decodes several chunks per encoder and
decoder call; chunks that fail Whisper's checks are decoded again one by one with the
temperature fallback (:meth:`FasterWhisperEngine.redecode`).
"""

from __future__ import annotations

import numpy as np

from transcribe.media import SAMPLE_RATE
from transcribe.model import Segment, Word

BATCH_SIZE = 4
"""Chunks decoded together by faster-whisper's batched pipeline. On 2 cores, 4 is as fast
as 8 (13.3 s against 13.2 s for a 240 s window) with 370 MB less peak memory; 2 is slower."""
BEAM_SIZE = 1
"""Default beam width of the decoder, both engines: greedy. On LJ Speech (first 600 s of
lj001) beam 5 gave WER 6.76 % against 6.83 % greedy, for 18 % more time."""
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""Whisper's temperature fallback for a chunk decoded again: each temperature is tried
until the text passes Whisper's checks (compression ratio ≤ 2.4, mean log-probability ≥ -1)."""


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
