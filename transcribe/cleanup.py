"""Spoken text made readable for the notes: fillers, repeats and leading markers out.

In: a sentence as spoken (a :class:`transcribe.sentences.Sentence`'s text). Out: the
same words without the disfluencies, or its clauses. Only what is shown in the
notes is cleaned; the transcript keeps every word.

Removed (English): "um", "uh", "erm", "er", "ah", "hmm"; "you know" and "I mean"
as fillers (not "you know that …" or "I mean it"); hedges that carry no fact
("honestly", "basically", "kind of", "sort of"; "actually", "like" only set off
by commas; never "I think", which says whose view it is, nor "just", which can
mean "only"); a word or phrase said twice in a row ("in the, in the green",
"I, I think"); discourse markers at the start ("So,", "And", "But", "Well,",
"Okay,", "Now,"). Mandarin: 嗯, 呃, 就是说, 那个 (before a comma), 然后呢,
对吧, 是吧, 哈哈, a repeated 谢谢/对/是, and 所以/那/然后/好/对/但是/其实 at the start.
The meaning stays: nothing is added or reordered, and a number is never touched.
Disfluency classes after Shriberg, 1994, "Preliminaries to a theory of speech disfluencies".
"""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u4e00-\u9fff]")
_FILLER_WORDS = (r"um+|uh+|erm|er|ah+|hmm+|mm+|uh-huh|you know|i mean|honestly|basically|actually|literally|"
                 r"kind of|sort of|pretty much|you see|like")
_EN_SET_OFF = re.compile(rf",\s*(?:{_FILLER_WORDS})\s*,", re.I)
"""A filler between commas ("which is, you know, our busy time"): both commas go with it."""
_EN_FILLER = re.compile(
    r"(?:(?<=[\s,])|^)(?:um+|uh+|erm|er|ah+|hmm+|mm+|uh-huh|"
    r"you know(?! (?:that|what|how|why|where|who|when|if|the|a|it|this|him|her|them|me|us)\b)|"
    r"i mean(?! (?:it|that|the|a|this|what|how)\b))[,.]?(?=[\s,.?!]|$)", re.I)
_EN_HEDGE = re.compile(
    r"(?:(?<=[\s,])|^)(?:honestly|basically|literally|kind of|sort of|pretty much)(?:,(?=\s)|(?=\s))|"
    r"(?:^|(?<=^\s)|(?<=,\s))like,\s", re.I)
"""Hedges that carry no fact ("kind of", "basically"); "like" only before a comma ("Like, forty-one")."""
_EN_REPEAT = re.compile(r"\b(\w+(?:['’-]\w+)?(?:\s+\w+(?:['’-]\w+)?){0,2})(?:,\s*|\s+)\1\b", re.I)
_EN_LEAD = re.compile(
    r"^(?:(?:and|so|but|or|well|now|okay|ok|alright|all right|right|yeah|yes|look|anyway|also|then|plus)"
    r"\b[\s,]*)+", re.I)
_ZH_FILLER = re.compile(r"(?:嗯+[，,]?|呃+[，,]?|就是说[，,]?|那个[，,]|然后呢[，,]?|对吧[，,]?|是吧[，,]?|哈哈+[，,]?|"
                        r"(?<=[，,。])哈|哈(?=[，,。]))")
_ZH_REPEAT = re.compile(r"(谢谢)(?:[，,]?\1)+|(对|是|好)(?:[，,]\2)+|(对|是)\3{2,}")
"""谢谢谢谢, 对，对, 是是是; not 好好 (好好学习) or 一台一台 (grammar, not a repeat)."""
_ZH_LEAD = re.compile(r"^(?:(?:所以|那么|那|然后|好的|好|对|但是|不过|而且|其实|哎|诶|唉|嗯|啊)[，,、]?)+")
_CLAUSE_EN = re.compile(r"(?<=[,;:])\s+|\s+[–—]\s+")
_CLAUSE_ZH = re.compile(r"(?<=[，；：、])")


def is_chinese(text: str) -> bool:
    """True when a third or more of the letters are Chinese characters."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and 3 * len(_HAN.findall(text)) >= len(letters)


def clean(text: str, language: str) -> str:
    """``text`` without fillers, hedges, repeats and leading markers, first letter
    capitalised; ``""`` when nothing is left (a bare "So." or "嗯。")."""
    if language == "zh" or is_chinese(text):
        t = _ZH_FILLER.sub("", text)
        t = _ZH_REPEAT.sub(lambda m: m[1] or m[2] or m[3], t)
        t = _ZH_LEAD.sub("", t.strip()).strip("，,、 ")
        return t if _HAN.search(t) or re.search(r"\w", t) else ""
    t = " " + " ".join(text.split()) + " "
    t = re.sub(r"(?:\.\.\.|…)\s*(?=[a-z])", " ", t)  # a hesitation: "just... stopped"
    for _ in range(3):
        t = _EN_REPEAT.sub(r"\1", t)
    t = _EN_SET_OFF.sub(" ", t)
    t = _EN_FILLER.sub(" ", t)
    t = _EN_HEDGE.sub(" ", t)
    t = re.sub(r"\s+([,.?!;:])", r"\1", " ".join(t.split()))
    t = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", t)
    t = _EN_LEAD.sub("", t).strip(" ,;:-")
    if not re.search(r"[A-Za-z0-9]", t):
        return ""
    return t[:1].upper() + t[1:]


def clauses(text: str, language: str, min_words: int = 5) -> list[str]:
    """``text`` cut at clause boundaries (commas, semicolons, colons, dashes), short pieces
    joined to the next so that each has at least ``min_words`` words (twice as many
    characters for Chinese); the trailing punctuation of each piece is dropped."""
    zh = language == "zh" or is_chinese(text)
    parts = [p for p in (_CLAUSE_ZH if zh else _CLAUSE_EN).split(text) if p.strip()]
    out: list[str] = []
    current = ""
    for part in parts:
        current = f"{current}{'' if zh else ' '}{part}".strip() if current else part.strip()
        if (len(current) >= 2 * min_words) if zh else (len(current.split()) >= min_words):
            out.append(current)
            current = ""
    if current:
        if out:
            out[-1] = f"{out[-1]}{'' if zh else ' '}{current}"
        else:
            out.append(current)
    return [p.strip(" ,;:，；：、–—") for p in out if p.strip(" ,;:，；：、–—")]


def words(text: str, language: str) -> float:
    """Length in words: whitespace words, or for Chinese two characters a word."""
    if language == "zh" or is_chinese(text):
        return len(re.sub(r"\s", "", text)) / 2.0
    return float(len(text.split()))
