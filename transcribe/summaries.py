"""Stage 5, summaries: an extractive title, summary and key points per chapter (and titles of parts).

In: chapters, sentences and sentence embeddings. Out: a list of :class:`ChapterNotes`.

Everything shown is taken from the talk itself, so nothing is invented:

* **Title**: :func:`transcribe.titles.make_titles` (2–8 words that name what sets
  the chapter apart; parts get titles the same way, different from the chapters').
* **Summary**: the 1–3 sentences closest to the chapter's mean embedding
  (centroid-based extractive summarisation, Radev et al., 2004, "Centroid-based
  summarization of multiple documents"), in spoken order.
* **Key points**: up to :data:`MAX_KEY_POINTS` further sentences chosen by
  maximal marginal relevance (Carbonell & Goldstein, 1998), each with its time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from transcribe.chapters import Chapter, Part
from transcribe.sentences import Sentence
from transcribe.titles import make_titles

MAX_KEY_POINTS = 5
MAX_POINT_CHARS = 200
"""Longer key-point sentences are cut at a word boundary and end with an ellipsis."""
MAX_SUMMARY_CHARS = 600
MMR_LAMBDA = 0.7
"""Weight of relevance against redundancy in maximal marginal relevance."""



@dataclass
class KeyPoint:
    """A sentence worth reading on its own. ``time`` in seconds (its start)."""

    time: float
    text: str


@dataclass
class ChapterNotes:
    """What the reader sees for one chapter.

    Attributes:
        chapter: the span (times in seconds, sentence indices).
        title: ≤ 60 characters (≤ 20 for Chinese), never empty.
        summary: 1–3 sentences of the chapter, in spoken order.
        key_points: up to 5 other sentences with their start times.
    """

    chapter: Chapter
    title: str
    summary: str
    key_points: list[KeyPoint] = field(default_factory=list)


@dataclass
class PartNotes:
    """What the reader sees for one part of a long talk: its span and a title
    (same limits as a chapter's, distinct from the chapters' titles)."""

    part: Part
    title: str


def title_parts(parts: list[Part], notes: list[ChapterNotes], sentences: list[Sentence], embeddings: np.ndarray,
                language: str, nlp=None) -> list[PartNotes]:
    """A title for each part, from its chapters' text, chosen like chapter titles (see
    :func:`make_titles`) and different from every chapter's title.

    Args:
        parts: from :func:`transcribe.chapters.outline`; chapter indices into ``notes``.
        notes: the chapters' notes (their titles are avoided).
        sentences, embeddings: the talk's sentences and their ``(n, d)`` unit vectors.
        language, nlp: as for :func:`summarize`.
    """
    if not parts:
        return []
    sep = "" if language in ("zh", "ja") else " "
    texts, centrals = [], []
    for p in parts:
        a, b = notes[p.first].chapter.first, notes[p.last - 1].chapter.last
        texts.append(sep.join(s.text for s in sentences[a:b]))
        centrality = _centrality(embeddings[a:b])
        centrals.append(sentences[a + int(np.argmax(centrality))].text if b > a else "")
    titles = make_titles(texts, centrals, language, nlp, avoid={n.title.lower() for n in notes})
    return [PartNotes(p, t) for p, t in zip(parts, titles)]


def summarize(
    chapters: list[Chapter],
    sentences: list[Sentence],
    embeddings: np.ndarray,
    language: str,
    nlp=None,
) -> list[ChapterNotes]:
    """Notes for every chapter.

    Args:
        chapters: from :func:`transcribe.chapters.segment`.
        sentences: the talk's sentences.
        embeddings: ``(len(sentences), d)`` float32, rows L2-normalised.
        language: ISO 639-1 code of the text.
        nlp: the English spaCy pipeline (for TextRank key phrases); ``None`` for other languages.

    Returns:
        One :class:`ChapterNotes` per chapter, same order.
    """
    sep = "" if language in ("zh", "ja") else " "
    texts, centrals, notes = [], [], []
    for ch in chapters:
        sents = sentences[ch.first:ch.last]
        vecs = embeddings[ch.first:ch.last]
        centrality = _centrality(vecs)
        summary_idx = _summary_indices(sents, centrality)
        candidates = [i for i in range(len(sents)) if i not in summary_idx and _substantial(sents[i].text)]
        points_idx = _mmr(candidates, vecs, centrality)
        summary = sep.join(sents[i].text for i in summary_idx)
        summary = _clip(summary, MAX_SUMMARY_CHARS)
        points = [KeyPoint(sents[i].start, _clip(sents[i].text, MAX_POINT_CHARS)) for i in sorted(points_idx)]
        centrals.append(sents[int(np.argmax(centrality))].text if sents else "")
        texts.append(sep.join(s.text for s in sents))
        notes.append(ChapterNotes(ch, "", summary, points))
    for note, title in zip(notes, make_titles(texts, centrals, language, nlp)):
        note.title = title
    return notes


def _centrality(vecs: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to the rows' mean: ``(n,)``."""
    if len(vecs) == 0:
        return np.zeros(0)
    centroid = vecs.mean(axis=0)
    norm = np.linalg.norm(centroid)
    return vecs @ (centroid / norm) if norm > 0 else np.zeros(len(vecs))


def _summary_indices(sents: list[Sentence], centrality: np.ndarray) -> list[int]:
    """Indices (in spoken order) of the 1–3 most central sentences with at least 4 words."""
    k = 1 if len(sents) < 6 else 2 if len(sents) < 20 else 3
    weight = np.array([1.0 if len(s.text.split()) >= 4 or _is_cjk(s.text) else 0.5 for s in sents])
    order = np.argsort(-(centrality * weight), kind="stable")
    return sorted(int(i) for i in order[:k])


def _mmr(candidates: list[int], vecs: np.ndarray, centrality: np.ndarray) -> list[int]:
    """Up to MAX_KEY_POINTS candidates by maximal marginal relevance (Carbonell & Goldstein, 1998)."""
    chosen: list[int] = []
    pool = list(candidates)
    while pool and len(chosen) < MAX_KEY_POINTS:
        def gain(i: int) -> float:
            redundancy = max((float(vecs[i] @ vecs[j]) for j in chosen), default=0.0)
            return MMR_LAMBDA * float(centrality[i]) - (1 - MMR_LAMBDA) * redundancy
        best = max(pool, key=gain)
        chosen.append(best)
        pool.remove(best)
    return chosen


def _substantial(text: str) -> bool:
    """Worth a key point: at least 5 words (8 characters of CJK), not "I'll check."."""
    return len(text.split()) >= 5 or sum(1 for c in text if "\u4e00" <= c <= "\u9fff") >= 8


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not _is_cjk(cut) and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


