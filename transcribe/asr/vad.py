"""Voice activity detection: where the speech is, each sample looked at once.

Silero VAD (faster-whisper's ``get_speech_timestamps``, snakers4/silero-vad) runs over fixed
blocks of :data:`VAD_BLOCK_S` seconds aligned to the stream's first sample, and each block's
speech pieces are kept (:class:`SpeechFinder`). The window loop asks for the pieces of its
buffer, whose look-ahead becomes the next window's start: before, VAD ran over every
buffer, so the 30 s look-ahead (and more) was looked at twice. A block's pieces depend only on
its own samples, so a resumed run, which starts again at the block holding the resume point,
finds exactly the pieces an uninterrupted run found.

A piece of speech that crosses a block boundary comes out as two pieces that touch there;
:func:`transcribe.asr.stream.pack_chunks` joins them again unless the chunk would pass 30 s.
"""

from __future__ import annotations

import numpy as np

from transcribe.media import SAMPLE_RATE

VAD_BLOCK_S = 30.0
"""Seconds per VAD block: the size of :func:`transcribe.media.stream`'s blocks, so that a buffer
read from the stream always ends on a block boundary and no block is looked at twice."""
MAX_PIECE_S = 30.0
"""Longest piece of speech VAD returns (Whisper's input length)."""
MIN_SILENCE_MS = 160


def speech_pieces(samples: np.ndarray) -> list[tuple[int, int]]:
    """Speech in ``samples`` ((n,) float32, 16 kHz) by Silero VAD: ``[(start, end)]`` in samples,
    each at most 30 s including its 0.4 s padding (faster-whisper's ``get_speech_timestamps``)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(samples) == 0:
        return []
    opts = VadOptions(max_speech_duration_s=MAX_PIECE_S, min_silence_duration_ms=MIN_SILENCE_MS)
    return [(p["start"], p["end"]) for p in get_speech_timestamps(samples, opts)]


class SpeechFinder:
    """The speech pieces of a stream, found block by block as the samples arrive.

    A piece that runs into the end of a block and one that starts with the next block are one
    piece of speech cut by the block boundary: they are joined, and where the joined piece is
    longer than :data:`MAX_PIECE_S`, VAD is run again over it (the samples of the two blocks are
    at hand), so that it is split in a pause, as VAD over the whole stream would split it.

    Args:
        origin: stream sample index of the first sample :meth:`feed` will get; a multiple of
            the block size (:func:`origin_for`).
        block: samples per block (default :data:`VAD_BLOCK_S` at 16 kHz).
    """

    def __init__(self, origin: int = 0, block: int = int(VAD_BLOCK_S * SAMPLE_RATE)) -> None:
        if origin % block:
            raise ValueError(f"origin {origin} is not on a block boundary ({block} samples)")
        self.block = block
        self.done = origin
        """Stream samples up to here are in finished blocks."""
        self._pending: list[np.ndarray] = []
        self._pending_len = 0
        self._last = np.zeros(0, np.float32)
        """The samples of the last finished block."""
        self._found: list[list[int]] = []
        """``[start, end]`` of the pieces in finished blocks, stream samples, in order."""

    def feed(self, samples: np.ndarray) -> None:
        """Add the next ``samples`` of the stream; every block they complete is looked at now."""
        self._pending.append(samples)
        self._pending_len += len(samples)
        if self._pending_len < self.block:
            return
        data = np.concatenate(self._pending)
        used = 0
        while len(data) - used >= self.block:
            self._finish_block(data[used:used + self.block])
            used += self.block
        rest = data[used:]
        self._pending, self._pending_len = ([rest] if len(rest) else []), len(rest)

    def finish(self) -> None:
        """The stream has ended: its last, shorter block is looked at now, once."""
        if self._pending_len:
            tail = np.concatenate(self._pending)
            self._pending, self._pending_len = [], 0
            self._finish_block(tail)

    def _finish_block(self, samples: np.ndarray) -> None:
        start = self.done
        new = [[start + a, start + b] for a, b in speech_pieces(samples)]
        if self._found and new and self._found[-1][1] == start and new[0][0] == start:  # cut by the boundary
            a0, b1 = self._found[-1][0], new[0][1]
            if b1 - a0 <= MAX_PIECE_S * SAMPLE_RATE:
                self._found[-1][1] = b1
            else:
                region = np.concatenate([self._last[len(self._last) - (start - a0):], samples[:b1 - start]])
                self._found[-1:] = [[a0 + a, a0 + b] for a, b in speech_pieces(region)]
            new = new[1:]
        self._found += new
        self._last = samples
        self.done += len(samples)

    def pieces(self, start: int, end: int) -> list[tuple[int, int]]:
        """The speech in stream samples ``[start, end)``, as ``(a, b)`` relative to ``start``.

        Blocks not yet finished (the stream's last, shorter one, or a stream fed in other
        sizes) are looked at as far as they go, and not kept.
        """
        out = [(a, b) for a, b in self._found if b > start and a < end]
        if end > self.done and self._pending_len:
            tail = np.concatenate(self._pending)[:end - self.done]
            out += [(self.done + a, self.done + b) for a, b in speech_pieces(tail)]
        clipped = [(max(a, start) - start, min(b, end) - start) for a, b in out if b > start and a < end]
        return [(a, b) for a, b in clipped if b > a]

    def forget(self, before: int) -> None:
        """Drop the pieces that end at or before stream sample ``before``."""
        keep = next((i for i, (_a, b) in enumerate(self._found) if b > before), len(self._found))
        del self._found[:keep]


def origin_for(skip: int, block: int = int(VAD_BLOCK_S * SAMPLE_RATE)) -> int:
    """Where VAD must start for a stream read from sample ``skip`` on (a resumed run): one block
    before the block holding ``skip``, so that a piece cut by that block's boundary is joined
    as in an uninterrupted run."""
    return max(0, skip - skip % block - block)
