"""Stage 5, summaries: an extractive title, summary and key points per chapter.

In: chapters, sentences and sentence embeddings. Out: a list of :class:`ChapterNotes`.

Everything shown is taken from the talk itself, so nothing is invented:

* **Title**: the chapter's top key phrases, by TextRank (Mihalcea & Tarau,
  2004, "TextRank: Bringing Order into Texts"): ``pytextrank`` over spaCy noun
  chunks for English, ``jieba.analyse.textrank`` for Mandarin. Other languages,
  or a chapter without usable phrases, take the start of its most central
  sentence. At most :data:`MAX_TITLE_CHARS` characters (:data:`MAX_TITLE_CJK`
  for Chinese); titles are kept distinct across chapters.
* **Summary**: the 1–3 sentences closest to the chapter's mean embedding
  (centroid-based extractive summarisation, Radev et al., 2004, "Centroid-based
  summarization of multiple documents"), in spoken order.
* **Key points**: up to :data:`MAX_KEY_POINTS` further sentences chosen by
  maximal marginal relevance (Carbonell & Goldstein, 1998), each with its time.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field

import numpy as np

from transcribe.chapters import Chapter
from transcribe.sentences import Sentence

MAX_TITLE_CHARS = 60
MAX_TITLE_CJK = 20
MAX_KEY_POINTS = 5
MAX_POINT_CHARS = 200
"""Longer key-point sentences are cut at a word boundary and end with an ellipsis."""
MAX_SUMMARY_CHARS = 600
MMR_LAMBDA = 0.7
"""Weight of relevance against redundancy in maximal marginal relevance."""

_LEADING_WORDS = re.compile(
    r"^(?:(?:the|a|an|this|that|these|those|our|your|my|his|her|its|their|some|any|"
    r"so|well|and|but|now|okay|ok|you know|i mean)\s+)+", re.IGNORECASE)
_FILLER = {"thing", "things", "way", "lot", "kind", "sort", "something", "anything",
           "everything", "nothing", "people", "one", "ones", "time", "times", "stuff", "quote", "end quote",
           "someplace", "somewhere", "anywhere", "everyone", "someone", "guy", "guys", "bit", "yeah", "okay"}


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
    ranker = _textrank(nlp) if language == "en" and nlp is not None else None
    used_titles: set[str] = set()
    notes = []
    for ch in chapters:
        sents = sentences[ch.first:ch.last]
        vecs = embeddings[ch.first:ch.last]
        centrality = _centrality(vecs)
        summary_idx = _summary_indices(sents, centrality)
        candidates = [i for i in range(len(sents)) if i not in summary_idx and _substantial(sents[i].text)]
        points_idx = _mmr(candidates, vecs, centrality)
        sep = "" if language in ("zh", "ja") else " "
        summary = sep.join(sents[i].text for i in summary_idx)
        summary = _clip(summary, MAX_SUMMARY_CHARS)
        points = [KeyPoint(sents[i].start, _clip(sents[i].text, MAX_POINT_CHARS)) for i in sorted(points_idx)]
        central_text = sents[int(np.argmax(centrality))].text if sents else ""
        title = make_title(sep.join(s.text for s in sents), central_text, language, ranker, nlp, used_titles)
        used_titles.add(title.lower())
        notes.append(ChapterNotes(ch, title, summary, points))
    return notes


def _textrank(nlp):
    """A pytextrank component usable on docs of ``nlp`` (not added to its pipeline)."""
    with contextlib.redirect_stdout(io.StringIO()):  # pytextrank prints a git error on import
        import pytextrank  # noqa: F401  (registers the "textrank" factory)
    return nlp.create_pipe("textrank")


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


def make_title(text: str, central: str, language: str, ranker, nlp, used: set[str]) -> str:
    """A short title for a chapter whose text is ``text`` (see the module docstring).

    Args:
        text: the chapter's sentences joined.
        central: its most central sentence (fallback source).
        language: ISO 639-1 code.
        ranker: a pytextrank component, or ``None``.
        nlp: the spaCy pipeline matching ``ranker``.
        used: titles already given (lower-cased); the result avoids them.

    Returns:
        A non-empty title; ``"…"`` only if the chapter has no text at all.
    """
    phrases: list[str] = []
    if language == "zh":
        import jieba.analyse

        phrases = jieba.analyse.textrank(text, topK=6, allowPOS=("ns", "n", "nr", "nz", "vn", "nt"))
        for k in range(len(phrases), 0, -1):
            title = "、".join(phrases[:min(k, 2)])
            if len(title) <= MAX_TITLE_CJK and title.lower() not in used:
                return title
    elif ranker is not None:
        doc = ranker(nlp(text[:100000]))
        for p in doc._.phrases:
            phrase = _LEADING_WORDS.sub("", p.text.strip()).strip(" ,.;:!?\"'")
            if phrase and p.chunks[0][0].pos_ != "PROPN" and not phrase[:2].isupper():
                phrase = phrase[0].lower() + phrase[1:]
            if len(phrase) < 3 or phrase.lower() in _FILLER or not any(c.isalpha() for c in phrase):
                continue
            chunk = p.chunks[0]
            if all(t.is_stop or t.pos_ == "PRON" for t in chunk):
                continue
            if chunk.root.pos_ not in ("NOUN", "PROPN") or chunk.root.lower_ in _FILLER:
                continue  # titles are noun phrases about something
            if phrase.lower() not in (x.lower() for x in phrases):
                phrases.append(phrase)
            if len(phrases) == 4:
                break
        for first in range(len(phrases)):
            for second in range(first + 1, len(phrases)):
                a, b = phrases[first], phrases[second]
                if _stems(a) & _stems(b):
                    continue  # "eyewitness accounts and eyewitness descriptions"
                title = _sentence_case(f"{a} and {b}")
                if len(title) <= MAX_TITLE_CHARS and title.lower() not in used:
                    return title
            title = _sentence_case(phrases[first])
            if len(title) <= MAX_TITLE_CHARS and title.lower() not in used:
                return title
    limit = MAX_TITLE_CJK if _is_cjk(central) else MAX_TITLE_CHARS
    title = _clip(_LEADING_WORDS.sub("", central).rstrip(".?!。？！"), limit) or "…"
    return _sentence_case(title)


def _stems(text: str) -> set[str]:
    """Crude stems (first 5 letters of words of 3+ letters): "letter" and "letters" share one."""
    return {w[:5] for w in re.findall(r"\w{3,}", text.lower())}


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
