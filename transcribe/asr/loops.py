"""Whisper's decoding loops: finding an n-gram repeated back to back, and cutting it.

A chunk whose words loop (:func:`is_looping`) is decoded again with the temperature fallback;
a loop that survives is cut to two repeats (:func:`cut_loops`). Whisper's own compression-ratio
check (> 2.4, openai-whisper's ``transcribe.py``) is used as well.
"""

from __future__ import annotations

import zlib

from transcribe.model import Segment, Word


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
