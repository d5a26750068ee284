"""Stage 5, summaries: an extractive title, summary and key points per chapter.

In: chapters, sentences and sentence embeddings. Out: a list of :class:`ChapterNotes`.

Everything shown is taken from the talk itself, so nothing is invented:

* **Title**: a noun phrase that names what sets the chapter apart, as an
  editor would. Candidates are the chapter's spaCy noun chunks for English,
  cut down to a clean noun phrase (no determiners, pronouns, numbers, vague
  modifiers such as "other", "first", "great", spoken fillers such as "so",
  "you know", "um", or filler heads such as "thing", "time", "people"). Each
  word is weighted by class-based TF-IDF over the talk's chapters (its count in
  the chapter times ``log(1 + C / df)``, df of the C chapters using it; the
  c-TF-IDF of Grootendorst, 2022, "BERTopic", after the TF×IDF keyphrase
  scoring of Witten et al., 1999, "KEA"), so a title says what this chapter
  has and the others lack. A phrase scores its words' summed weight over
  ``len ** PHRASE_LENGTH_EXP`` (specific, "credit card interest rates", but not
  padded, "Newgate Vol"); a lone noun takes a second strong noun ("Newgate and
  debtors"). Mandarin ranks ``jieba.analyse.textrank`` nouns (TextRank,
  Mihalcea & Tarau, 2004) by the same cross-chapter weighting and joins two
  with "、". Titles are chosen chapter by chapter so that none repeats another's
  title or head noun while a fresh one exists. Other languages, or a chapter
  without a usable phrase, take the start of its most central sentence without
  leading fillers. At most :data:`MAX_TITLE_CHARS` characters
  (:data:`MAX_TITLE_CJK` for Chinese), never empty.
* **Summary**: the 1–3 sentences closest to the chapter's mean embedding
  (centroid-based extractive summarisation, Radev et al., 2004, "Centroid-based
  summarization of multiple documents"), in spoken order.
* **Key points**: up to :data:`MAX_KEY_POINTS` further sentences chosen by
  maximal marginal relevance (Carbonell & Goldstein, 1998), each with its time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from transcribe.chapters import Chapter, Part
from transcribe.sentences import Sentence

MAX_TITLE_CHARS = 60
MAX_TITLE_CJK = 20
MAX_KEY_POINTS = 5
MAX_POINT_CHARS = 200
"""Longer key-point sentences are cut at a word boundary and end with an ellipsis."""
MAX_SUMMARY_CHARS = 600
MMR_LAMBDA = 0.7
"""Weight of relevance against redundancy in maximal marginal relevance."""

SECOND_PHRASE_RATIO = 0.6
"""A second phrase joins the title ("X and Y") only if it scores at least this share of the first."""
JOIN_MAX_WORDS = 1
"""Only a phrase of at most this many words gets a second one joined to it."""
MAX_JOINED_CHARS = 45
"""Two joined phrases stay under this length; a single phrase may use all of :data:`MAX_TITLE_CHARS`."""
PHRASE_LENGTH_EXP = 0.3
"""A phrase's score is its words' summed weight over (number of words) ** this."""

_LEADING_WORDS = re.compile(
    r"^(?:(?:the|a|an|this|that|these|those|our|your|my|his|her|its|their|some|any|"
    r"so|well|and|but|now|okay|ok|yeah|yes|um+|uh+|oh|right|like|you know|i mean|"
    r"basically|actually|anyway|alright|all right)\b[\s,]*)+", re.IGNORECASE)
_FILLER_RUN = re.compile(
    r"(?<=\s)(?:um+|uh+|er|ah|hmm+|mm+|mm-hmm|uh-huh|you know|i mean|kind of|sort of)[,.]?(?=\s)", re.IGNORECASE)
"""Spoken fillers: never in a title."""
_FILLER_WORDS = {"so", "well", "okay", "ok", "yeah", "yes", "um", "uh", "umm", "uhh", "er", "ah", "oh", "hmm",
                 "mm", "like", "basically", "actually", "really", "just", "anyway", "gonna", "wanna"}
_FILLER = {
    "thing", "things", "way", "ways", "lot", "lots", "kind", "kinds", "sort", "sorts", "bit", "bunch", "couple",
    "piece", "stuff", "something", "anything", "everything", "nothing", "whatever", "one", "ones", "other",
    "others", "people", "person", "folks", "everyone", "someone", "everybody", "anybody", "somebody", "nobody",
    "guy", "guys", "man", "woman", "ladies", "gentlemen", "friends", "someplace", "somewhere", "anywhere",
    "place", "side", "end", "beginning", "start", "rest", "part", "point", "fact", "case", "idea", "sense",
    "matter", "course", "example", "reason", "question", "questions", "answer", "problem", "issue", "issues",
    "aspect", "aspects", "detail", "details", "item", "items", "topic", "topics", "area", "level", "stage",
    "step", "term", "terms", "number", "use", "deal", "look", "talk", "mind", "face", "country", "quote",
    "end quote", "yeah", "okay", "gosh", "god", "hell", "meeting", "o'clock",
    "time", "times", "moment", "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days",
    "week", "weeks", "month", "months", "year", "years", "today", "tomorrow", "yesterday", "morning",
    "evening", "night", "half", "percent", "per", "pound", "pounds", "dollar", "dollars", "euro", "euros",
    "cent", "cents", "foot", "feet", "inch", "inches", "mile", "miles", "metre", "metres", "meter", "meters",
    "mister", "mr", "mrs", "ms", "sir", "madam", "dr", "doctor", "professor", "colonel", "commander",
    "captain", "lieutenant", "sergeant", "chair", "chairman", "member", "members"}
"""Nouns too general to name a chapter."""
_VAGUE = {
    "first", "second", "third", "last", "next", "previous", "following", "further", "other", "another", "such",
    "many", "much", "more", "most", "few", "fewer", "several", "various", "certain", "same", "whole", "entire",
    "own", "different", "particular", "specific", "actual", "real", "main", "basic", "overall", "great", "good",
    "bad", "nice", "big", "little", "small", "large", "huge", "high", "low", "long", "short", "top", "new", "old",
    "simple", "important", "interesting", "obvious", "possible", "able", "sure", "right", "wrong", "whatever",
    "very", "quite", "pretty"}
"""Modifiers dropped from the front of a title phrase ("the first eyewitness accounts")."""
_INNER_BAN = {"PRON", "INTJ", "AUX", "CCONJ", "SCONJ", "NUM", "ADP", "DET", "SYM", "X"}
_SKIP_POS = {"DET", "PRON", "NUM", "ADP", "CCONJ", "SCONJ", "PART", "PUNCT", "INTJ", "ADV", "AUX", "SYM", "X"}
_CJK_FILLER = {"东西", "时候", "事情", "问题", "大家", "我们", "你们", "他们", "这个", "那个", "就是", "然后",
               "一下", "地方", "方面", "部分", "情况", "时间", "今天", "现在", "一点", "样子"}


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


def make_titles(texts: list[str], centrals: list[str], language: str, nlp=None,
                avoid: set[str] | None = None) -> list[str]:
    """One title per chapter, chosen jointly so that they differ (see the module docstring).

    Args:
        texts: each chapter's sentences joined.
        centrals: each chapter's most central sentence (fallback source).
        language: ISO 639-1 code.
        nlp: the English spaCy pipeline (POS tags and noun chunks), or ``None``.
        avoid: lower-cased titles already taken elsewhere (the chapters', for part titles).

    Returns:
        Non-empty titles, distinct (case-insensitively) wherever the chapters allow;
        ``"…"`` only for a chapter with no text at all.
    """
    if language == "zh":
        ranked = _chinese_phrases(texts)
        joiner, limit = "、", MAX_TITLE_CJK
    elif language == "en" and nlp is not None:
        ranked = _english_phrases(texts, nlp)
        joiner, limit = " and ", MAX_TITLE_CHARS
    else:
        ranked = [[] for _ in texts]
        joiner, limit = " and ", MAX_TITLE_CHARS
    used: set[str] = set(avoid or ())
    used_heads: set[str] = set()
    titles = []
    for phrases, central in zip(ranked, centrals):
        title = _compose(phrases, joiner, limit, used, used_heads)
        if title is None:
            title = _fallback_title(central, used)
        used.add(title.lower())
        titles.append(title)
    return titles


@dataclass
class _Phrase:
    text: str
    key: str
    """Lower-cased lemmas: "printed letters" and "printed letter" share one."""
    head: str
    score: float


def _compose(phrases: list[_Phrase], joiner: str, limit: int, used: set[str], used_heads: set[str]) -> str | None:
    """The best phrase, joined with a second one when both are short, not yet used by another chapter."""
    fresh = [p for p in phrases if p.head not in used_heads] + [p for p in phrases if p.head in used_heads]
    for i, first in enumerate(fresh):
        if len(first.text) > limit:
            continue
        title = None
        if joiner == " and " and len(first.text.split()) <= JOIN_MAX_WORDS:
            for second in fresh[i + 1:]:
                if second.score < SECOND_PHRASE_RATIO * first.score:
                    break
                if " and " in f" {second.text} " or len(second.text.split()) > 2:
                    continue
                if _stems(first.key) & _stems(second.key):
                    continue  # "eyewitness accounts and eyewitness descriptions"
                both = _sentence_case(f"{first.text}{joiner}{second.text}")
                if len(both) <= MAX_JOINED_CHARS and both.lower() not in used:
                    title = both
                    break
        elif joiner == "、":
            for second in fresh[i + 1:]:
                if second.score < SECOND_PHRASE_RATIO * first.score:
                    break
                both = f"{first.text}{joiner}{second.text}"
                if first.text not in second.text and second.text not in first.text \
                        and len(both) <= limit and both not in used:
                    title = both
                    break
        if title is None:
            title = _sentence_case(first.text)
            if title.lower() in used:
                continue
        used_heads.add(first.head)
        return title
    return None


def _fallback_title(central: str, used: set[str]) -> str:
    """The start of the chapter's most central sentence, without leading filler words."""
    limit = MAX_TITLE_CJK if _is_cjk(central) else MAX_TITLE_CHARS
    text = _FILLER_RUN.sub(" ", " " + central + " ").strip()
    text = _LEADING_WORDS.sub("", text).strip(" ,;:-").rstrip(".?!。？！")
    title = _sentence_case(_clip(text, limit)) or _sentence_case(_clip(central.strip(), limit)) or "…"
    if title.lower() in used and title != "…":  # same opening words as another chapter's: number it
        for n in range(2, 100):
            numbered = _clip(title, limit - len(f" ({n})")) + f" ({n})"
            if numbered.lower() not in used:
                return numbered
    return title


def _english_phrases(texts: list[str], nlp) -> list[list[_Phrase]]:
    """Each chapter's candidate noun phrases, best first, scored by distinctive word weight.

    A word's weight in a chapter is class-based TF-IDF: its count there (nouns,
    proper nouns and adjectives that are not stop or filler words) times
    ``log(1 + C / df)`` for C chapters, df of them using it. A
    phrase scores the sum of its words' weights over ``len ** PHRASE_LENGTH_EXP``,
    so it is specific ("space shuttle Columbia") without padding ("Newgate Vol").
    """
    docs = [nlp(t[:100000]) for t in texts]
    counts = []
    for doc in docs:
        c: dict[str, int] = {}
        for tok in doc:
            if _content(tok):
                c[_lemma(tok)] = c.get(_lemma(tok), 0) + 1
        counts.append(c)
    df: dict[str, int] = {}
    for c in counts:
        for lemma in c:
            df[lemma] = df.get(lemma, 0) + 1
    n_ch = len(docs)
    out = []
    for doc, c in zip(docs, counts):
        def weight(lemma: str) -> float:
            tf = c.get(lemma, 0)
            return tf * math.log(1.0 + n_ch / df[lemma]) if tf else 0.0
        best: dict[str, _Phrase] = {}
        forms: dict[str, dict[str, tuple[int, bool]]] = {}
        for chunk in doc.noun_chunks:
            toks = _clean_chunk(list(chunk))
            if not toks:
                continue
            key = " ".join(_lemma(t) for t in toks)
            text = _surface(toks)
            count, _ = forms.setdefault(key, {}).get(text, (0, False))
            forms[key][text] = (count + 1, toks[-1].tag_ in ("NNS", "NNPS"))
            content = [t for t in toks if _content(t)]
            if key in best or not content:
                continue
            score = sum(weight(_lemma(t)) for t in content) / len(toks) ** PHRASE_LENGTH_EXP
            best[key] = _Phrase(text, key, _lemma(toks[-1]), score)
        for key, p in best.items():  # the most frequent spelling ("Columbia", not "columbia"); plural on a tie
            p.text = max(forms[key].items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0][:1].isupper()))[0]
        out.append(sorted((p for p in best.values() if p.score > 0), key=lambda p: (-p.score, p.key)))
    return out


def _content(tok) -> bool:
    """A word that can carry a chapter's topic."""
    return (tok.pos_ in ("NOUN", "PROPN", "ADJ") and tok.is_alpha and len(tok.text) > 1
            and not tok.is_stop and tok.lower_ not in _FILLER and tok.lower_ not in _VAGUE
            and _lemma(tok) not in _FILLER)


def _lemma(tok) -> str:
    return (tok.lemma_ or tok.text).lower()


def _clean_chunk(toks: list) -> list:
    """A noun chunk cut down to a title-worthy noun phrase, or ``[]``.

    Drops everything up to a possessive ("Mr. Akerman's time" -> "time"),
    leading determiners, pronouns, numbers, adverbs and vague modifiers
    ("the first eyewitness accounts" -> "eyewitness accounts"), repeated words
    ("the the remote control"), and a trailing filler noun ("remote control
    thing" -> "remote control"); refuses phrases with filler words, or whose
    last word is not a noun.
    """
    for i in range(len(toks) - 1, -1, -1):
        if toks[i].tag_ == "POS" or (toks[i].pos_ == "PRON" and i < len(toks) - 1):
            toks = toks[i + 1:]
            break
    toks = [t for i, t in enumerate(toks) if i == 0 or t.lower_ != toks[i - 1].lower_]
    while toks and (toks[0].pos_ in _SKIP_POS or toks[0].tag_ in ("JJS", "RBS") or toks[0].lower_ in _VAGUE
                    or toks[0].lower_ in _FILLER_WORDS or not any(ch.isalnum() for ch in toks[0].text)):
        toks = toks[1:]  # superlatives too: "the earliest book" -> "book"
    while toks and (toks[-1].pos_ in ("PUNCT", "PART") or not any(ch.isalnum() for ch in toks[-1].text)):
        toks = toks[:-1]
    while len(toks) > 1 and (toks[-1].lower_ in _FILLER or _lemma(toks[-1]) in _FILLER) \
            and toks[-2].pos_ in ("NOUN", "PROPN"):
        toks = toks[:-1]
    if not toks or toks[-1].pos_ not in ("NOUN", "PROPN") or len(toks) > 5:
        return []
    last = toks[-1]
    if last.is_stop or last.lower_ in _FILLER or _lemma(last) in _FILLER or len(last.text) < 3:
        return []
    if any(t.lower_ in _FILLER_WORDS or (t.pos_ in _INNER_BAN and t.lower_ != "and") for t in toks):
        return []  # but "oil and gas sector" stays
    if any((t.pos_ == "PUNCT" or not t.is_alpha) and not (t.text == "-" and not toks[i - 1].whitespace_)
           for i, t in enumerate(toks[:-1]) if i > 0) or any(len(t.text) == 1 and t.text != "-" for t in toks):
        return []  # "volume, channels", "mobile phone f design"
    text = _surface(toks)
    if _FILLER_RUN.search(f" {text.lower()} ") or not any(ch.isalpha() for ch in text):
        return []
    return toks


def _surface(toks: list) -> str:
    """The phrase as spoken, lower-cased except for names, acronyms and capitals mid-sentence ("Canadian")."""
    words = []
    for i, t in enumerate(toks):
        word = t.text
        if t.pos_ != "PROPN" and not word[:2].isupper() and (t.is_sent_start or not word[:1].isupper()):
            word = word.lower()
        words.append(word + ("" if i + 1 == len(toks) else t.whitespace_ or ""))
    return "".join(words).strip()


def _chinese_phrases(texts: list[str]) -> list[list[_Phrase]]:
    """Each chapter's TextRank nouns (jieba), weighted down when other chapters use them too."""
    import jieba.analyse

    ranked = [jieba.analyse.textrank(t, topK=12, withWeight=True, allowPOS=("ns", "n", "nr", "nz", "vn", "nt"))
              for t in texts]
    n_ch = len(texts)
    out = []
    for words in ranked:
        phrases = []
        for word, rank in words:
            if word in _CJK_FILLER or len(word) > MAX_TITLE_CJK:
                continue
            df = sum(1 for t in texts if word in t)
            phrases.append(_Phrase(word, word, word, rank * math.log(1.0 + n_ch / max(df, 1))))
        out.append(sorted(phrases, key=lambda p: -p.score))
    return out


def _stems(text: str) -> set[str]:
    """Crude stems (first 5 letters of words of 3+ letters): "letter" and "letters" share one."""
    return {w[:5] for w in re.findall(r"\w{3,}", text.lower())}


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
