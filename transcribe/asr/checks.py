"""ASR helpers that look at what Whisper is given and what it gave back, outside the decoding loop.

* :class:`Hints`, :func:`chunk_prompt`: ``--initial-prompt`` and ``--hotwords``. Chunks are
  decoded in batches without the previous chunk's text (see :mod:`transcribe.asr`), so
  where the whisper CLI gives the initial prompt to its first 30 s window and then
  conditions on what it wrote, here the prompt text precedes every chunk (after the
  language's own prompt, :data:`transcribe.asr.PROMPTS`), as the whisper CLI's
  ``--carry_initial_prompt True`` does: faster-whisper's ``hotwords`` slot (which both
  its batched and its sequential decoding give to every 30 s window; ``initial_prompt``
  there would reach only a chunk's first window when it is re-decoded), openai-whisper's
  ``initial_prompt`` (with ``condition_on_previous_text=False`` each chunk gets it).
  A name spelled in the prompt is spelled so wherever it is said, not only in the first
  minute. openai-whisper has no hotwords: :func:`check_hints` refuses them up front.
* :func:`join_subwords`: in Whisper's translate task the word timings of a Mandarin
  recording are cut like Mandarin (faster-whisper and openai-whisper split words on
  spaces only for languages written with them), so English comes out in sub-word tokens
  ("D", "eng") that subtitles cut apart; they are joined into words, for both engines
  (:func:`transcribe.asr.decode_window`), and for the Latin words of Chinese and Japanese.
* :func:`language_mismatch`: a forced ``--language`` that is not what is spoken gives
  garbage (``--language en`` on Mandarin: a 100-character "word", repeated text); the
  language-ID head is asked once anyway, on the first 30 s of speech.
* :func:`low_confidence`: the mean word probability of the whole transcript; very low on
  speech Whisper cannot follow (8 kHz radio, a wrong forced language). Not for translations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from transcribe.errors import UsageError

MISMATCH_PROBABILITY = 0.5
"""A forced language is reported when the language-ID head gives another language at least
this probability. Measured with the bundled base model: the spoken language gets 0.96-1.00
(the sample's first 2 minutes 'en' 0.97, its first 20 s 'en' 0.96 whether --language says
zh or fr, 46 s of THCHS-30 Mandarin 'zh' 1.00). The check costs one pass of the encoder and
one decoder step on the first 30 s of speech: 1.1-2.0 s on 2 busy cores (the 2 minutes
themselves take 10.7 s), once per run, only with a forced ``--language``."""
LOW_CONFIDENCE = 0.6
"""Mean word probability under which the transcript is reported as unreliable. Measured with the
bundled base model (mean of the words' ``probability``): clean speech 0.93-0.95 (the sample's
first 2 minutes 0.94, JFK 0.93); the 20 clips of *Night of the Living Dead* (1968 film sound)
0.74-0.95 where they have 20 words or more; the sample made hard but still recognised right
(pink noise 0.25 in a 300-3000 Hz band, pink noise 0.6, pitched up 1.7x) 0.71-0.76. Below the
line: the Apollo 11 air-to-ground radio clip (8 kHz, "VA LAMI GDA") 0.52-0.53, the sample in
the same band with pink noise 0.45 ("in the Indian" for "in the exhibition") 0.47-0.49, pitched
up 1.5x with noise 0.45, Mandarin forced to --language en 0.27-0.43, English forced to
--language fr 0.33. Not used for the translate task (:func:`low_confidence`)."""
LOW_CONFIDENCE_MIN_WORDS = 20
"""Fewer words than this are too few to judge."""


@dataclass(frozen=True)
class Hints:
    """The user's text for Whisper: ``initial_prompt`` (names, spelling, style) and
    ``hotwords`` (terms to favour). Either may be empty."""

    initial_prompt: str = ""
    hotwords: str = ""

    def __bool__(self) -> bool:
        return bool(self.initial_prompt or self.hotwords)

    def to_dict(self) -> dict[str, str]:
        """The non-empty fields, for the transcript and the resume journal."""
        return {k: v for k, v in (("initial_prompt", self.initial_prompt), ("hotwords", self.hotwords)) if v}


def check_hints(hints: Hints, engine: str) -> None:
    """Fail before any work on hints the engine cannot take.

    Raises:
        UsageError: ``--hotwords`` with openai-whisper (it has ``initial_prompt`` only).
    """
    if hints.hotwords and engine != "faster-whisper":
        raise UsageError(f"--hotwords needs --engine faster-whisper ({engine} has no hotwords); "
                         "with openai-whisper give the words in --initial-prompt instead")


def is_echo(text: str, default: str | None, hints: Hints | None) -> bool:
    """Whether a segment's ``text`` is Whisper repeating a prompt rather than speech: any text
    containing the language's own prompt (:data:`transcribe.asr.PROMPTS`), or the user's
    ``initial_prompt`` itself (case, spaces and punctuation aside), or containing it whole when
    it has :data:`ECHO_CONTAINED_CHARS` letters or more. A shorter prompt inside a segment
    ("the Gutenberg Bible") is the speech saying it, which is what the prompt is for."""
    said = _letters(text)
    if default and _letters(default) in said:
        return True
    echo = _letters(hints.initial_prompt) if hints else ""
    return bool(echo) and (said == echo or (len(echo) >= ECHO_CONTAINED_CHARS and echo in said))


ECHO_CONTAINED_CHARS = 60
"""A user's prompt of this many letters (a sentence or more) found whole in a segment is an
echo: speech does not repeat a long prompt word for word."""


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def chunk_prompt(default: str | None, hints: Hints | None) -> str | None:
    """The text that precedes every chunk: the language's prompt, the initial prompt, the
    hotwords, joined by spaces; ``None`` when there is none."""
    parts = [p.strip() for p in (default, hints and hints.initial_prompt, hints and hints.hotwords) if p and p.strip()]
    return " ".join(parts) or None


SPLIT_ON_CHARACTERS = ("zh", "ja", "yue", "th", "lo", "my")
"""Languages whose word timings Whisper cuts at token boundaries rather than spaces (openai-whisper's
and faster-whisper's ``split_to_word_tokens``)."""


def joins_subwords(language: str, task: str) -> bool:
    """Whether :func:`join_subwords` is needed: the translate task (English text, cut like the
    spoken language), or Chinese/Japanese/Cantonese text, whose Latin words ("iPhone", "2024")
    are cut in tokens too. Not Thai, Lao, Burmese: their words are not separated by spaces
    either, so every phrase would become one "word"."""
    return task == "translate" or language in ("zh", "ja", "yue")


def join_subwords(segment):
    """``segment`` (a :class:`transcribe.asr.Segment`) with each word that does not start with a
    space joined to the word before it: start of the first piece, end of the last, the mean of
    their probabilities (as Whisper gives a word the mean of its tokens'). Ideographs, kana and
    full-width marks stay words of their own. For the translate task's English ("D" + "eng")
    and the Latin words of Chinese text."""
    words, pieces = [], []
    for w in segment.words:
        if (words and w.text and not w.text[0].isspace() and not words[-1].text.endswith(" ")
                and not _cjk(w.text[0]) and not _cjk(words[-1].text[-1:])):
            last = words[-1]
            pieces[-1].append(w.probability)
            words[-1] = replace(last, end=w.end, text=last.text + w.text,
                                probability=round(sum(pieces[-1]) / len(pieces[-1]), 4))
        else:
            words.append(w)
            pieces.append([w.probability])
    return replace(segment, words=words)


FULLWIDTH = {",": "，", ".": "。", "?": "？", "!": "！", ";": "；", ":": "："}
"""ASCII sentence punctuation and its full-width form, for Chinese text."""
FULLWIDTH_LANGUAGES = ("zh", "yue")


def _hanzi(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def fullwidth_punctuation(text: str, drop_spaces: bool = True) -> str:
    """``text`` with each ASCII ``, . ? ! ; :`` next to a Chinese character (spaces between
    not counted) in its full-width form (``，。？！；：``): Whisper's Mandarin mixes the two
    ("我们今天,讨论一下。"); so does a mark that ends Chinese text after a Latin word ("讨论
    iPhone?"). "3.5", "1,000", "3:30", "U.S.政府" and punctuation between Latin words ("Hello,
    world") stay as they are. With ``drop_spaces`` the spaces around a converted
    mark go too; without, every character maps to one (for word texts, sliced back by length).
    """
    out: list[str] = []
    n, i = len(text), 0
    while i < n:
        c = text[i]
        if c in FULLWIDTH:
            j = i - 1
            while j >= 0 and text[j] == " ":
                j -= 1
            k = i + 1
            while k < n and text[k] == " ":
                k += 1
            before = text[j] if j >= 0 else ""
            after = text[k] if k < n else ""
            latin = before.isascii() and before.isalnum()
            abbreviation = c == "." and latin and (before.isdigit() or (j > 0 and text[j - 1] == "."))
            if _hanzi(before) or (not abbreviation and (
                    (_hanzi(after) and not (c == "." and latin)) or (not after and any(map(_hanzi, text))))):
                if drop_spaces:
                    while out and out[-1] == " ":
                        out.pop()
                    out.append(FULLWIDTH[c])
                    i = k
                    continue
                c = FULLWIDTH[c]
        out.append(c)
        i += 1
    return "".join(out)


def fullwidth_segment(segment):
    """``segment`` with :func:`fullwidth_punctuation` applied to its text and to its words
    (their texts joined, converted one character for one, and cut back at the same places)."""
    joined = fullwidth_punctuation("".join(w.text for w in segment.words), drop_spaces=False)
    words, at = [], 0
    for w in segment.words:
        words.append(replace(w, text=joined[at:at + len(w.text)]))
        at += len(w.text)
    return replace(segment, text=fullwidth_punctuation(segment.text), words=words)


def _cjk(char: str) -> bool:
    """An ideograph or a full-width mark: Whisper's translate task sometimes writes Chinese,
    whose characters stay words of their own."""
    return bool(char) and ("\u3000" <= char <= "\u9fff" or "\uf900" <= char <= "\uffef")


def language_mismatch(engine, speech, forced: str) -> str | None:
    """One warning line when ``engine``'s language-ID head hears another language than
    ``forced`` in ``speech`` (``(n,)`` float32, 16 kHz, speech only), else ``None``."""
    heard, probability = engine.detect_language_probability(speech)
    if heard == forced or probability < MISMATCH_PROBABILITY:
        return None
    return (f"the speech sounds like '{heard}' (probability {probability:.2f}), not '{forced}' as --language "
            f"says; if the text is garbage, run again with --language {heard} or --language auto")


def low_confidence(segments, task: str = "transcribe") -> str | None:
    """One warning line when the mean word probability of ``segments`` is under
    :data:`LOW_CONFIDENCE` (at least :data:`LOW_CONFIDENCE_MIN_WORDS` words), else ``None``.
    Never for the translate task: there the words' probabilities measure the wording of the
    translation, not the hearing (46 s of Mandarin well translated gave 0.41, the same half
    left in hanzi 0.56)."""
    if task == "translate":
        return None
    probs = [w.probability for s in segments for w in s.words]
    if len(probs) < LOW_CONFIDENCE_MIN_WORDS:
        return None
    mean = sum(probs) / len(probs)
    if mean >= LOW_CONFIDENCE:
        return None
    return (f"recognition confidence is very low (mean word probability {mean:.2f}): noisy or narrow-band "
            "audio, or another language than the one recognised; check the transcript before trusting the notes")
