"""What the chapter stage measures in the sentences: topic vectors, cue phrases, pauses.

In: :class:`transcribe.sentences.Sentence` lists (and their sentence embeddings).
Out: numpy arrays, one row or value per sentence, for :mod:`transcribe.chapters`.

* :func:`topic_gram`: the similarity (Gram) matrix of each sentence's topic
  vector: its sentence embedding centred on the talk's mean (what all of a
  talk's sentences share — its speaker, its register — says nothing about
  where its topics change), beside a TF-IDF vector of its content words
  (lexical cohesion: Hearst, 1997, "TextTiling"; Choi, 2000, "C99"), each part
  unit length, the words weighted :data:`LEXICAL_SHARE`.
* :func:`cue_scores`: how much a sentence sounds like the start of a new
  section: announcements ("Now, let's talk about …", "Last thing", "接下来",
  "好，下一个", "说到这儿") and sentences that are only a marker ("So.", "好。"). Cue
  phrases as segment boundaries: Hirschberg & Litman, 1993, "Empirical
  studies on the disambiguation of cue phrases"; Passonneau & Litman, 1997,
  "Discourse segmentation by human and automated means".
* :func:`pause_scores`: silence before a sentence, capped at :data:`PAUSE_CAP_S`.

Figures for these choices are in :mod:`transcribe.chapters`.
"""

from __future__ import annotations

import math
import re

import numpy as np

from transcribe.model import Sentence

LEXICAL_SHARE = 0.3
"""Weight of the TF-IDF part of a sentence's topic vector (the embedding has the rest)."""
MAX_TERMS = 3000
"""Largest vocabulary of the TF-IDF vectors (the terms used in most sentences are kept)."""
PAUSE_CAP_S = 3.0
OPENER_SHARE = 0.0
"""Cue score of a discourse marker that merely starts a sentence ("So the …")."""

_WORD = re.compile(r"[a-z][a-z'\-]+|\d+")
_ZH_STOP = set(
    "的 了 是 我 你 他 她 它 们 这 那 个 就 在 也 都 和 有 吧 啊 呢 吗 嘛 哈 呀 么 一 不 说 要 会 对 很 还 没 把 被 "
    "让 给 到 去 来 上 下 里 着 过 又 再 跟 从 但 而 就是 然后 所以 因为 我们 你们 他们 这个 那个 什么 怎么 一个 "
    "一下 其实 可能 觉得 知道 大家 今天 现在 时候 已经 还是 这样 那么 这么 自己 还有 如果 的话 可以 没有 不是 "
    "这种 一些 对吧 是不是 就是说 比如说 然后呢 那个时候".split())

_EN_OPENER = re.compile(
    r"^(?:so|now|okay|ok|alright|all right|right|well|next|finally|lastly|first|firstly|second|secondly|"
    r"third|thirdly|anyway|moving on|turning to|speaking of|back to|let's|let me|let us)\b", re.I)
_EN_ANNOUNCE = re.compile(
    r"\b(?:let's (?:talk|move|turn|look|go|start|get|switch|come)|let me (?:tell|talk|turn|move|start|show)|"
    r"i want to (?:talk|turn|move|change|start|tell)|i'd like to (?:talk|turn|move|start)|"
    r"(?:the )?next (?:thing|topic|question|part|section|one)|one more (?:thing|look)|last thing|"
    r"the other (?:big )?thing|change gears?|moving on|(?:that|which) brings (?:us|me)|brings me to|"
    r"before we (?:get|go|start|wrap))", re.I)
_ZH_OPENER = re.compile(r"^(?:好|好的|那|那么|接下来|下面|下一个|然后|最后|首先|其次|第[一二三四五六七八九十]|另外|"
                        r"还有|再|说到|讲到|回到|我们来|来看|OK|ok|所以)")
_ZH_ANNOUNCE = re.compile(r"(?:接下来|下一个|下面我|我们来(?:看|讲|聊|说)|(?:我|我们)(?:想|要|再|先|来)?(?:讲|聊|说)"
                          r"(?:一下|一件|一个|两件|几件)|最后一个|最后一件|说到这儿|讲了这么多|回到(?:开头|刚才|我们)|"
                          r"换个话题|先说|再说)")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _is_chinese(text: str) -> bool:
    return bool(_HAN.search(text))


def content_words(text: str, language: str) -> list[str]:
    """The words of ``text`` that can carry a topic: jieba words for Chinese (no stop words,
    at least 2 characters), else lower-cased words of 3+ letters that are not spaCy stop
    words, cut to 6 letters (a crude stem: "printer", "printers", "printing" share one)."""
    if language == "zh" or _is_chinese(text):
        import jieba

        return [w for w in jieba.lcut(text) if len(w) > 1 and w not in _ZH_STOP
                and re.search(r"[\u4e00-\u9fffA-Za-z0-9]", w)]
    stop = _english_stop_words()
    return [w[:6] for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in stop]


_STOP: set[str] = set()


def _english_stop_words() -> set[str]:
    if not _STOP:
        from transcribe.sentences import _import_spacy

        _import_spacy()
        from spacy.lang.en.stop_words import STOP_WORDS

        _STOP.update(STOP_WORDS)
    return _STOP


def lexical_vectors(sentences: list[Sentence], language: str) -> np.ndarray:
    """``(n, V) float32`` TF-IDF rows (sublinear term frequency, IDF over the talk's
    sentences; terms in at least two sentences, at most :data:`MAX_TERMS`), L2-normalised
    (a row of zeros for a sentence without such terms)."""
    docs = [content_words(s.text, language) for s in sentences]
    df: dict[str, int] = {}
    for d in docs:
        for w in set(d):
            df[w] = df.get(w, 0) + 1
    terms = sorted((w for w, c in df.items() if c >= 2), key=lambda w: (-df[w], w))[:MAX_TERMS]
    col = {w: i for i, w in enumerate(terms)}
    n = len(docs)
    x = np.zeros((n, max(1, len(terms))), dtype=np.float32)
    for r, d in enumerate(docs):
        for w in d:
            if w in col:
                x[r, col[w]] += 1.0
    x = np.where(x > 0, 1.0 + np.log(np.maximum(x, 1.0)), 0.0).astype(np.float32)  # sublinear tf
    if terms:
        x *= np.array([math.log(n / df[w]) for w in terms], dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-9)


def centred(embeddings: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Rows minus their (weighted) mean, L2-normalised again: ``(n, d)`` float32."""
    x = embeddings.astype(np.float64)
    x = x - np.average(x, axis=0, weights=weights)
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)).astype(np.float32)


def topic_gram(embeddings: np.ndarray, lexical: np.ndarray, weights: np.ndarray | None = None,
               share: float = LEXICAL_SHARE) -> np.ndarray:
    """``(n, n) float64``: inner products of the topic vectors
    ``[sqrt(1 - share) * centred embedding, sqrt(share) * TF-IDF]``."""
    e = centred(embeddings, weights).astype(np.float64)
    x = lexical.astype(np.float64)
    return (1.0 - share) * (e @ e.T) + share * (x @ x.T)


def cue_scores(sentences: list[Sentence]) -> np.ndarray:
    """``(n,)`` in [0, 1]: how much each sentence sounds like the opening of a new section.

    0.6 for an announcement anywhere in it ("let's talk about", "one more thing",
    "that brings us to", "接下来", "说到这儿"), 0.4 for a sentence that is nothing but a
    discourse marker ("So.", "Okay.", "Now.", "好。", "那么。"). A marker that merely
    starts a sentence ("So the …", "那我们 …") does not count, nor does a question:
    both are everywhere in conversation (see :mod:`transcribe.chapters` for the figures).
    """
    out = np.zeros(len(sentences))
    for i, s in enumerate(sentences):
        t = s.text.strip()
        if _is_chinese(t):
            opener, announce = _ZH_OPENER.match(t), _ZH_ANNOUNCE.search(t)
            bare = opener is not None and len(_HAN.findall(t)) <= 4
        else:
            opener, announce = _EN_OPENER.match(t), _EN_ANNOUNCE.search(t)
            bare = opener is not None and len(t.split()) <= 2
        out[i] = min(1.0, 0.6 * bool(announce) + 0.4 * bare + OPENER_SHARE * bool(opener))
    return out


def pause_scores(sentences: list[Sentence]) -> np.ndarray:
    """``(n,)`` in [0, 1]: silence before each sentence over :data:`PAUSE_CAP_S` (0 for the first)."""
    out = np.zeros(len(sentences))
    for i in range(1, len(sentences)):
        out[i] = min(max(0.0, sentences[i].start - sentences[i - 1].end), PAUSE_CAP_S) / PAUSE_CAP_S
    return out
