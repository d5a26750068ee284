"""Stage 5, summaries: extractive notes per chapter, titles of parts, and an overview.

In: chapters (and parts), sentences and sentence embeddings. Out: :class:`ChapterNotes`
per chapter, :class:`PartNotes` per part, :class:`OverviewItem` bullets.

Everything shown is the speaker's own words, cleaned of disfluencies
(:mod:`transcribe.cleanup`), so nothing is invented:

* **Title**: :func:`transcribe.titles.make_titles` (2–8 words that name what sets
  the chapter apart; parts get titles the same way, different from the chapters').
* **Budget**: titles, summaries and key points together take at most
  :data:`WORDS_PER_100` words per 100 words of the chapter (Mandarin: two
  characters a word), at least one summary sentence.
* **What to show** is a budgeted maximum coverage of the chapter's distinctive
  content words (their c-TF-IDF weight over the talk's chapters, as for
  titles): the greedy choice of the unit that adds the most weight not yet
  covered per word ** :data:`LENGTH_EXP` (Lin & Bilmes, 2011, "A class of
  submodular functions for document summarization"; Khuller, Moss & Naor,
  1999, for budgeted maximum coverage), weighted by closeness to the chapter's
  mean embedding (Radev et al., 2004, centroid-based summarisation).
* **Summary**: 1–:data:`SUMMARY_SENTENCES` whole sentences that stand on their
  own: 6–40 words (Mandarin 10–80 characters), with a finite verb (English, by
  spaCy's tags: not "The crew of the Shuttle Columbia."), not opening with a word that
  points back ("It", "This", "Which", "They", "这", "其中") or a conjunction
  (cleanup removes "And", "So", "But" at the start), in spoken order.
* **Key points**: up to :data:`MAX_KEY_POINTS` clauses (cut at commas,
  semicolons, dashes; 5–:data:`MAX_POINT_WORDS` words, numbers kept; with a
  finite verb in English; none that
  opens with "which", "because", "if" …, and a clause opening with a pronoun
  counts half), each with its sentence's start time, in spoken order.
* **Overview** (talks over :data:`OVERVIEW_MIN_S`): 5–8 bullets, one per major
  chapter (the longest, in spoken order), each its title and the first
  sentence of its summary.

Figures (``bench/notes.py``, the 10 written dev talks, key-point coverage by
``talks/tools/score_keypoints.py``): the earlier notes (1–3 most central
sentences and 5 MMR sentences, uncleaned) covered 0.34 of the key points at 35
notes words per 100 with the new chapters (0.04 with the old ones), 13 % of
summary sentences fragments. Within the budget of 15, an oracle that knows the
key points and picks clauses to cover them reaches 0.54 (English 0.64,
Mandarin 0.39: people's key points paraphrase the Mandarin talks, so that even
the whole transcript covers only 0.72 of them). This method: see the README.
Tried: a bonus for clauses with numbers (0.14 against 0.17 without), removing
hedges as well as fillers (no change), length exponents 0.5–1.0 (±0.01). Kept
at a cost: the finite-verb test on English summaries and key points (coverage
0.19 → 0.16 on the dev talks; without it the notes showed fragments such as
"The crew of the Shuttle Columbia." and "Did not return safely to earth").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from transcribe import cleanup
from transcribe.chapter_signals import content_words
from transcribe.model import Chapter, ChapterNotes, KeyPoint, OverviewItem, Part, PartNotes, Sentence
from transcribe.titles import class_counts, make_titles

WORDS_PER_100 = 15.0
"""Notes words (titles, summaries, key points) per 100 transcript words."""
SUMMARY_SENTENCES = 2
MAX_KEY_POINTS = 6
MIN_POINT_WORDS = 5
MAX_POINT_WORDS = 22
"""Key points are clauses of this many words at most (Mandarin: twice as many characters)."""
SUMMARY_WORDS = (6, 40)
LENGTH_EXP = 0.7
TF_EXP = 1.5
"""A word said k times in a chapter weighs k ** TF_EXP: what the chapter keeps coming back to, more than
what it mentions once (written dev talks: 0.17 coverage against 0.15 at 1.0 and 0.12 at 2.0)."""
SUMMARY_LENGTH_EXP = 0.7
PRIOR_EXP = 1.0
OVERVIEW_MIN_S = 300.0
OVERVIEW_ITEMS = (5, 8)
OVERVIEW_POINT_WORDS = 25
"""An overview bullet is the chapter's title and its summary's first sentence, or its first key
point when that sentence is longer than this."""

_POINTS_BACK_EN = re.compile(r"^(?:it|its|it's|this|that|these|those|they|them|their|he|she|his|her|him|which|who|"
                             r"whom|whose|such|here|there's|same|another|both|either)\b", re.I)
_SENTENCE_BREAK = re.compile(r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)(?<!\b[A-Z]\.)"
                             r"(?<=[.?!])\s+|(?<=[。？！])")
"""Between two sentences of a summary (not after "Mr." or an initial)."""
_POINTS_BACK_ZH = re.compile(r"^(?:这|那|其|它|此|该|上述|后者|前者)")
_SUBORDINATE = re.compile(r"^(?:which|who|whom|whose|because|although|though|while|whereas|unless|until|if|when|"
                          r"as|since|so that|than|that|where)\b|^(?:因为|虽然|如果|要是|而且|以及|比如)", re.I)
"""A clause opening like this leans on the one before: not a key point by itself."""


def summarize(chapters: list[Chapter], sentences: list[Sentence], embeddings: np.ndarray, language: str,
              nlp=None, words_per_100: float = WORDS_PER_100) -> list[ChapterNotes]:
    """Notes for every chapter (see the module docstring).

    Args:
        chapters: from :func:`transcribe.chapters.outline`.
        sentences: the talk's sentences.
        embeddings: ``(len(sentences), d)`` float32, rows L2-normalised.
        language: ISO 639-1 code of the text.
        nlp: the English spaCy pipeline (for title phrases); ``None`` for other languages.
        words_per_100: the length budget, notes words per 100 words of the chapter.

    Returns:
        One :class:`ChapterNotes` per chapter, same order.
    """
    sep = "" if language in ("zh", "ja") else " "
    weights = _unit_weights(chapters, sentences, language)
    texts, centrals, notes = [], [], []
    for ch, w in zip(chapters, weights):
        sents = sentences[ch.first:ch.last]
        centrality = _centrality(embeddings[ch.first:ch.last])
        centrals.append(sents[int(np.argmax(centrality))].text if sents else "")
        texts.append(sep.join(s.text for s in sents))
        notes.append(ChapterNotes(ch, "", "", []))
    for note, title in zip(notes, make_titles(texts, centrals, language, nlp)):
        note.title = title
    for note, w in zip(notes, weights):
        ch = note.chapter
        sents = sentences[ch.first:ch.last]
        budget = words_per_100 / 100.0 * sum(cleanup.words(s.text, language) for s in sents) \
            - cleanup.words(note.title, language)
        note.summary, note.key_points = _select(sents, _centrality(embeddings[ch.first:ch.last]), w, language,
                                                budget, nlp)
    return notes


_FINITE_TAGS = {"VBD", "VBZ", "VBP", "MD"}


def _finite(texts: list[str], nlp) -> list[bool]:
    """Whether each text is a sentence: a finite verb (spaCy tags VBD/VBZ/VBP/MD) with a noun or
    pronoun before it (so no imperatives either: "Consist principally of types" was the second
    half of a sentence, tagged as one); not a fragment such as "Great sadness to our country",
    "Invented in the early Middle Ages" or "Did not return safely to earth" (the second half of
    a sentence). All True without an English pipeline."""
    if nlp is None:
        return [True] * len(texts)
    out = []
    for doc in nlp.pipe(texts, disable=[p for p in ("parser", "ner", "lemmatizer") if p in nlp.pipe_names]):
        verbs = [t for t in doc if t.tag_ in _FINITE_TAGS]
        out.append(bool(verbs) and any(t.pos_ in ("NOUN", "PROPN", "PRON") for t in doc[:verbs[0].i]))
    return out


def _unit_weights(chapters: list[Chapter], sentences: list[Sentence], language: str) -> list[dict[str, float]]:
    """Per chapter, the weight of each content word: (its count there) ** TF_EXP × log(1 + C / df)."""
    counts, df = class_counts([[u for s in sentences[ch.first:ch.last] for u in content_words(s.text, language)]
                               for ch in chapters])
    n = len(chapters)
    return [{u: k ** TF_EXP * math.log(1.0 + n / df[u]) for u, k in c.items()} for c in counts]


@dataclass
class _Unit:
    sentence: int
    text: str
    words: float
    units: set[str]
    prior: float


def _select(sents: list[Sentence], centrality: np.ndarray, weight: dict[str, float], language: str,
            budget: float, nlp=None) -> tuple[str, list[KeyPoint]]:
    """The summary sentences and key-point clauses for one chapter, within ``budget`` words."""
    zh = language == "zh"
    cleaned = [cleanup.clean(s.text, language) for s in sents]
    prior = 0.5 + np.clip(centrality, 0.0, 1.0)
    lo, hi = SUMMARY_WORDS
    whole = [_Unit(i, t, cleanup.words(t, language), set(content_words(t, language)), float(prior[i]))
             for i, t in enumerate(cleaned) if t and lo <= cleanup.words(t, language) <= hi
             and not (_POINTS_BACK_ZH if zh else _POINTS_BACK_EN).match(t)]
    whole = [u for u, ok in zip(whole, _finite([u.text for u in whole], nlp)) if ok] or whole
    if not whole:  # no sentence of a summary's length (a chapter of short lines): its longest line
        best = max(range(len(cleaned)), key=lambda i: cleanup.words(cleaned[i], language), default=None)
        if best is not None and cleaned[best]:
            t = cleaned[best]
            whole = [_Unit(best, t, cleanup.words(t, language), set(content_words(t, language)), float(prior[best]))]
    covered: set[str] = set()
    summary = _greedy(whole, weight, covered, max(budget / 2.0, 0.0), SUMMARY_SENTENCES, at_least_one=True,
                      length_exp=SUMMARY_LENGTH_EXP, prior_exp=PRIOR_EXP)
    taken = {u.sentence for u in summary}
    spent = sum(u.words for u in summary)
    pieces = []
    for i, t in enumerate(cleaned):
        if not t or i in taken:
            continue
        for clause in cleanup.clauses(t, language, MIN_POINT_WORDS):
            clause = cleanup.clean(clause, language)
            n = cleanup.words(clause, language)
            if MIN_POINT_WORDS <= n <= MAX_POINT_WORDS and not _SUBORDINATE.match(clause):
                back = 0.5 if (_POINTS_BACK_ZH if zh else _POINTS_BACK_EN).match(clause) else 1.0
                pieces.append(_Unit(i, clause, n, set(content_words(clause, language)), back * float(prior[i])))
    pieces = [u for u, ok in zip(pieces, _finite([u.text for u in pieces], nlp)) if ok]
    points = _greedy(pieces, weight, covered, budget - spent, MAX_KEY_POINTS)
    summary_text = ("" if zh else " ").join(_sentence_end(u.text, zh) for u in sorted(summary, key=lambda u: u.sentence))
    key_points = [KeyPoint(sents[u.sentence].start, _capital(u.text))
                  for u in sorted(points, key=lambda u: (u.sentence, cleaned[u.sentence].find(u.text)))]
    return summary_text, key_points


def _greedy(pool: list[_Unit], weight: dict[str, float], covered: set[str], budget: float, most: int,
            at_least_one: bool = False, length_exp: float = LENGTH_EXP, prior_exp: float = 1.0) -> list[_Unit]:
    """Budgeted greedy coverage: repeatedly the unit with the most new weight per
    ``words ** LENGTH_EXP`` (times its centrality prior) that fits; updates ``covered``."""
    chosen: list[_Unit] = []
    spent = 0.0
    left = list(pool)
    while left and len(chosen) < most:
        fits = [u for u in left if spent + u.words <= budget] or ([] if chosen or not at_least_one else left)
        if not fits:
            break
        best = max(fits, key=lambda u: u.prior ** prior_exp * sum(weight.get(x, 0.0) for x in u.units - covered)
                   / u.words ** length_exp)
        if not (best.units - covered) and chosen:
            break
        chosen.append(best)
        spent += best.words
        covered |= best.units
        left = [u for u in left if u is not best and not (u.sentence == best.sentence and u.text in best.text)]
    return chosen


def _sentence_end(text: str, zh: bool) -> str:
    text = _capital(text.strip())
    if text and text[-1] not in ".?!。？！…\"'”’":
        text += "。" if zh else "."
    return text


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _centrality(vecs: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to the rows' mean: ``(n,)``."""
    if len(vecs) == 0:
        return np.zeros(0)
    centroid = vecs.mean(axis=0)
    norm = np.linalg.norm(centroid)
    return vecs @ (centroid / norm) if norm > 0 else np.zeros(len(vecs))


def title_parts(parts: list[Part], notes: list[ChapterNotes], sentences: list[Sentence], embeddings: np.ndarray,
                language: str, nlp=None) -> list[PartNotes]:
    """A title for each part, from its chapters' text, chosen like chapter titles (see
    :func:`transcribe.titles.make_titles`) and different from every chapter's title.

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


def overview(notes: list[ChapterNotes], duration: float, language: str) -> list[OverviewItem]:
    """5–8 bullets for a talk longer than :data:`OVERVIEW_MIN_S` (none for a shorter one):
    its major chapters (the longest, in spoken order; all of them when there are
    5 or fewer, and then second key points of the longest too), each "Title: its
    summary's first sentence" (its first key point when that sentence is long),
    at the chapter's start."""
    if duration <= OVERVIEW_MIN_S or not notes:
        return []
    lo, hi = OVERVIEW_ITEMS
    count = min(len(notes), max(lo, min(hi, len(notes))))
    major = sorted(sorted(range(len(notes)), key=lambda i: -(notes[i].chapter.end - notes[i].chapter.start))[:count])
    zh = language == "zh"

    def bullet(i: int, point: str, time: float) -> OverviewItem:
        point = point.rstrip(".。")
        return OverviewItem(time, f"{notes[i].title}{'：' if zh else ': '}{point}" if point else notes[i].title, i)

    items = []
    for i in major:
        n = notes[i]
        first = _SENTENCE_BREAK.split(n.summary)[0]
        short = cleanup.words(first, language) <= OVERVIEW_POINT_WORDS or not n.key_points
        items.append(bullet(i, first if short else n.key_points[0].text, n.chapter.start))
    extra = [(i, p) for i in major for p in notes[i].key_points[1:2]]  # a short talk: a second point
    extra.sort(key=lambda ip: -(notes[ip[0]].chapter.end - notes[ip[0]].chapter.start))
    for i, p in extra[:max(0, lo - len(items))]:
        items.append(bullet(i, p.text, p.time))
    return sorted(items, key=lambda it: it.time)
