"""Stage 5, titles: a title for each chapter and part, as an editor would write it.

In: each chapter's (or part's) text and its most central sentence. Out: one title each.

Everything in a title is taken from the talk, so nothing is invented. A title
names what sets its chapter apart from the rest of the talk, in 2–8 words
(:data:`MIN_TITLE_WORDS`, :data:`MAX_TITLE_WORDS`; 3–20 characters for Chinese),
and no two titles of a talk are the same.

* **Candidates** are phrases of the chapter: for English, spaCy noun chunks cut
  down to a clean noun phrase (no determiners, pronouns, numbers, vague
  modifiers such as "other", "first", "great", spoken fillers such as "so",
  "you know", "um", or filler heads such as "thing", "time", "people"), and two
  chunks joined by "of" ("history of world maps"); for Chinese, runs of
  nouns, names, numbers and their modifiers from ``jieba.posseg``, joined by
  "的" ("芜湖的第二工厂", "扫地机S2的召回").
* **Scores**: each word is weighted by class-based TF-IDF over the talk's
  chapters (its count in the chapter times ``log(1 + C / df)``, df of the C
  chapters using it; the c-TF-IDF of Grootendorst, 2022, "BERTopic", after the
  TF×IDF keyphrase scoring of Witten et al., 1999, "KEA"); a phrase scores its
  words' summed weight over ``len ** PHRASE_LENGTH_EXP``.
* **Composition**: the best phrase whose head noun no earlier title used; a
  phrase of fewer than 3 words (4 characters) takes the best second phrase
  that shares no word with it and scores at least :data:`SECOND_PHRASE_RATIO`
  of it: "Name: phrase" after a name when the phrase has 2+ words ("Hob: home robot"), "X and Y" otherwise
  ("Portolan charts and compass bearings"), "X与Y" in Chinese. Without
  a usable phrase, or for other languages, the first clause of the chapter's
  most central sentence, without fillers, cut to :data:`MAX_TITLE_WORDS` words.

The dev talks' titles before this module, for the record: "Arc phone", "World
map", "Hob", "手机、小米", "西瓜、师傅" (a head noun, or two keywords).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MAX_TITLE_CHARS = 60
MAX_TITLE_CJK = 20
MIN_TITLE_WORDS = 2
MAX_TITLE_WORDS = 8
SHORT_TITLE_WORDS = 3
"""A phrase of fewer words than this takes a second phrase when a good one exists."""
SHORT_TITLE_CJK = 4
SECOND_PHRASE_RATIO = 0.35
"""A second phrase joins the title only if it scores at least this share of the first."""
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
               "一下", "地方", "方面", "部分", "情况", "时间", "今天", "现在", "一点", "样子", "谢谢", "感谢",
               "朋友", "小心", "意思", "感觉", "东东", "人家"}


@dataclass
class _Phrase:
    text: str
    key: str
    """Lower-cased lemmas: "printed letters" and "printed letter" share one."""
    head: str
    score: float
    words: int = 1
    name: bool = False
    """Its head is a proper noun ("Hob", "Cursor Tab")."""


def make_titles(texts: list[str], centrals: list[str], language: str, nlp=None,
                avoid: set[str] | None = None) -> list[str]:
    """One title per chapter, chosen in order so that they differ (see the module docstring).

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
    elif language == "en" and nlp is not None:
        ranked = _english_phrases(texts, nlp)
    else:
        ranked = [[] for _ in texts]
    used: set[str] = set(avoid or ())
    used_heads: set[str] = set()
    titles = []
    for phrases, central in zip(ranked, centrals):
        title = _compose(phrases, language == "zh", used, used_heads)
        if title is None:
            title = _fallback_title(central, used)
        used.add(title.lower())
        titles.append(title)
    return titles


def _length(text: str, cjk: bool) -> int:
    return len(text) if cjk else len(text.split())


def _compose(phrases: list[_Phrase], cjk: bool, used: set[str], used_heads: set[str]) -> str | None:
    """The best phrase not yet used by another title, with a second one when it is short."""
    fresh = [p for p in phrases if p.head not in used_heads] + [p for p in phrases if p.head in used_heads]
    short, most = (SHORT_TITLE_CJK, MAX_TITLE_CJK) if cjk else (SHORT_TITLE_WORDS, MAX_TITLE_WORDS)
    for i, first in enumerate(fresh):
        if _length(first.text, cjk) > most or (not cjk and len(first.text) > MAX_TITLE_CHARS):
            continue
        title = _sentence_case(first.text)
        if _length(first.text, cjk) < short:
            for second in fresh[i + 1:]:
                if second.score < SECOND_PHRASE_RATIO * first.score:
                    break
                if second.head == first.head or _overlaps(first, second, cjk):
                    continue
                named = first.name and second.words >= 2  # "Hob: home robot", not "Marcus: tip"
                joined = (f"{first.text}与{second.text}" if cjk else
                          f"{first.text}: {second.text}" if named else f"{first.text} and {second.text}")
                if _length(joined, cjk) <= most and len(joined) <= MAX_TITLE_CHARS and joined.lower() not in used:
                    title = _sentence_case(joined)
                    break
        too_short = len(title) < 3 if cjk else len(title.split()) < MIN_TITLE_WORDS
        if title.lower() in used or too_short:
            continue
        used_heads.add(first.head)
        return title
    return None


def _overlaps(a: _Phrase, b: _Phrase, cjk: bool) -> bool:
    if cjk:
        return a.text in b.text or b.text in a.text or bool(set(a.key.split()) & set(b.key.split()))
    return bool(_stems(a.key) & _stems(b.key)) or " and " in f" {b.text} "


_CLAUSE = re.compile(r"[,;:，；：、。！？!?]")


def _fallback_title(central: str, used: set[str]) -> str:
    """The first clause of the chapter's most central sentence that has 2+ words, without
    filler words, at most :data:`MAX_TITLE_WORDS` words (:data:`MAX_TITLE_CJK` characters)."""
    cjk = _is_cjk(central)
    text = _FILLER_RUN.sub(" ", " " + central + " ").strip()
    clauses = [c.strip() for c in _CLAUSE.split(text) if c.strip()]
    pick = ""
    for clause in clauses:
        clause = _LEADING_WORDS.sub("", clause).strip(" -").rstrip(".")
        if (len(clause) >= 4 if cjk else len(clause.split()) >= MIN_TITLE_WORDS):
            pick = clause
            break
    pick = pick or _LEADING_WORDS.sub("", text).strip(" ,;:-").rstrip(".?!。？！")
    pick = pick[:MAX_TITLE_CJK] if cjk else " ".join(pick.split()[:MAX_TITLE_WORDS])[:MAX_TITLE_CHARS]
    title = _sentence_case(pick.strip(" ,;:")) or _sentence_case(central.strip()[:MAX_TITLE_CHARS]) or "…"
    if title.lower() in used and title != "…":  # same opening words as another chapter's: number it
        limit = MAX_TITLE_CJK if cjk else MAX_TITLE_CHARS
        for n in range(2, 100):
            numbered = title[: limit - len(f" ({n})")].rstrip() + f" ({n})"
            if numbered.lower() not in used:
                return numbered
    return title


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def class_counts(words: list[list[str]]) -> tuple[list[dict[str, int]], dict[str, int]]:
    """Each chapter's word counts, and in how many chapters each word occurs (for c-TF-IDF)."""
    counts = []
    for chapter in words:
        c: dict[str, int] = {}
        for w in chapter:
            c[w] = c.get(w, 0) + 1
        counts.append(c)
    df: dict[str, int] = {}
    for c in counts:
        for w in c:
            df[w] = df.get(w, 0) + 1
    return counts, df


def _english_phrases(texts: list[str], nlp) -> list[list[_Phrase]]:
    """Each chapter's candidate noun phrases, best first, scored by distinctive word weight.

    A word's weight in a chapter is class-based TF-IDF: its count there (nouns,
    proper nouns and adjectives that are not stop or filler words) times
    ``log(1 + C / df)`` for C chapters, df of them using it. A
    phrase scores the sum of its words' weights over ``len ** PHRASE_LENGTH_EXP``,
    so it is specific ("space shuttle Columbia") without padding ("Newgate Vol").
    """
    docs = [nlp(t[:100000]) for t in texts]
    counts, df = class_counts([[_lemma(tok) for tok in doc if _content(tok)] for doc in docs])
    n_ch = len(docs)
    out = []
    for doc, c in zip(docs, counts):
        def weight(lemma: str) -> float:
            tf = c.get(lemma, 0)
            return tf * math.log(1.0 + n_ch / df[lemma]) if tf else 0.0
        best: dict[str, _Phrase] = {}
        forms: dict[str, dict[str, tuple[int, bool]]] = {}

        def add(toks: list, text: str, key: str, head) -> None:
            count, _ = forms.setdefault(key, {}).get(text, (0, False))
            forms[key][text] = (count + 1, head.tag_ in ("NNS", "NNPS"))
            content = [t for t in toks if _content(t)]
            if key in best or not content:
                return
            score = sum(weight(_lemma(t)) for t in {_lemma(t): t for t in content}.values())
            best[key] = _Phrase(text, key, _lemma(head), score / (len(toks) + (key.count(" of ") > 0))
                                ** PHRASE_LENGTH_EXP, len(text.split()), head.pos_ == "PROPN")

        chunks = [(c, _clean_chunk(list(c))) for c in doc.noun_chunks]
        for (chunk, toks), (nxt, nxt_toks) in zip(chunks, chunks[1:] + [(None, [])]):
            if not toks:
                continue
            add(toks, _surface(toks), " ".join(_lemma(t) for t in toks), toks[-1])
            if nxt_toks and nxt.start == chunk.end + 1 and doc[chunk.end].lower_ == "of" \
                    and len(toks) + len(nxt_toks) <= MAX_TITLE_WORDS - 1:
                both = toks + nxt_toks
                add(both, f"{_surface(toks)} of {_surface(nxt_toks)}",
                    " ".join(_lemma(t) for t in toks) + " of " + " ".join(_lemma(t) for t in nxt_toks), toks[-1])
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


_ZH_NOUN = {"n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "eng", "vn", "j", "an", "ng"}
_ZH_MODIFIER = {"m", "mq", "b", "a", "q"}


def _chinese_phrases(texts: list[str]) -> list[list[_Phrase]]:
    """Each chapter's noun phrases (runs of nouns, names, numbers and modifiers in
    ``jieba.posseg``, joined by "的", ending in a noun or a nominal verb), best first,
    scored by the c-TF-IDF of their nouns."""
    import jieba.posseg as pseg

    tagged = [[(t.word, t.flag) for t in pseg.cut(text)] for text in texts]
    counts, df = class_counts([[w for w, f in tokens if f in _ZH_NOUN and len(w) > 1 and w not in _CJK_FILLER]
                                for tokens in tagged])
    n_ch = len(texts)
    out = []
    for tokens, c in zip(tagged, counts):
        best: dict[str, _Phrase] = {}
        for run in _zh_runs(tokens):
            nouns = [w for w, f in run if f in _ZH_NOUN and w in c]
            text = "".join(w for w, _ in run)
            if not nouns or not 2 <= len(text) <= MAX_TITLE_CJK or text in best:
                continue
            score = sum(c[w] * math.log(1.0 + n_ch / df[w]) for w in set(nouns)) / len(run) ** PHRASE_LENGTH_EXP
            best[text] = _Phrase(text, " ".join(nouns), nouns[-1], score, len(text))
        out.append(sorted(best.values(), key=lambda p: (-p.score, p.text)))
    return out


def _zh_runs(tokens: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Maximal runs of noun-phrase tokens, trimmed to end in a noun (or a verb right after "的")."""
    runs, current = [], []
    for i, (word, flag) in enumerate(tokens):
        joins = flag in _ZH_NOUN or flag in _ZH_MODIFIER or (word == "的" and current)
        final_verb = flag.startswith("v") and current and current[-1][0] == "的"
        if joins or final_verb:
            current.append((word, flag))
            if final_verb:
                runs.append(current)
                current = []
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    out = []
    for run in runs:
        while run and (run[-1][1] not in _ZH_NOUN and not (run[-1][1].startswith("v") and len(run) > 1
                                                           and run[-2][0] == "的")):
            run = run[:-1]
        while run and (run[0][0] == "的" or run[0][1] in ("q", "a") or run[0][0] in _CJK_FILLER):
            run = run[1:]
        if run and any(f in _ZH_NOUN for _, f in run):
            out.append(run)
    return out


def _stems(text: str) -> set[str]:
    """Crude stems (first 5 letters of words of 3+ letters): "letter" and "letters" share one."""
    return {w[:5] for w in re.findall(r"\w{3,}", text.lower())}


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
