"""Windowing and streaming: PCM blocks to a :class:`transcribe.model.Transcript`, window by window.

In: blocks of 16 kHz PCM (:func:`transcribe.media.stream`) or a whole
:class:`transcribe.media.Audio`. Out: :class:`Transcript`.

How a long recording is transcribed (:func:`transcribe_stream`):

1. PCM arrives in blocks; at most one window (:data:`WINDOW_S`) plus a look-ahead
   (:data:`LOOKAHEAD_S`) is held, so memory does not grow with the recording's length.
2. Silero VAD (faster-whisper's ``get_speech_timestamps``) finds the speech, once per
   30 s block of the stream (:mod:`transcribe.asr.vad`), and the speech is packed into contiguous chunks of at most 30 s
   (Whisper's input length; a silence over :data:`MAX_GAP_S` starts a new chunk), so
   music and silence never reach the decoder.
3. The window is cut in the silence after the last chunk that ends in its second half,
   so that every window but the last is made of whole chunks (the encoder costs the
   same for a 4 s chunk as for a 30 s one).
4. The engine decodes the chunks: faster-whisper's ``BatchedInferencePipeline``
   (several chunks per encoder/decoder call) by default, or the reference
   openai-whisper (:mod:`transcribe.asr.openai_engine`).
5. Chunks that fail Whisper's own checks (compression ratio > 2.4 or mean
   log-probability < -1) or where Whisper loops (an n-gram repeated back to back,
   :func:`find_loop`) are decoded again with Whisper's temperature fallback, without
   previous-text conditioning; a loop that survives is cut to two repeats. Segments
   Whisper itself marks as no speech (no-speech probability > 0.6 with mean
   log-probability < -1, Whisper's rule) are dropped.
6. Each finished window is handed to ``on_window`` (the pipeline journals it, so an
   interrupted run resumes at the last finished window).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from transcribe.asr.checks import (FULLWIDTH_LANGUAGES, Hints, chunk_prompt, fullwidth_segment, is_echo, join_subwords,
                                   joins_subwords, language_mismatch)
from transcribe.asr.engines import BUNDLED_MODEL, Engine
from transcribe.asr.faster import FasterWhisperEngine
from transcribe.asr.loops import cut_loops, is_looping
from transcribe.asr.vad import SpeechFinder, origin_for
from transcribe.media import SAMPLE_RATE, Audio
from transcribe.model import Segment, Transcript, Word

PROMPTS = {"zh": "以下是普通话的句子。"}
"""Prompts per language: for Mandarin it asks, by example, for simplified characters
with punctuation, which Whisper otherwise often leaves out. It precedes every chunk
(faster-whisper's ``hotwords``; openai-whisper's ``initial_prompt``, with
``condition_on_previous_text=False``, so each chunk gets it)."""
DETECT_WINDOW_S = 600.0
"""Language detection waits for 30 s of speech (what Whisper's language-ID head reads)
or this much audio from the start, whichever comes first."""
WINDOW_S = 120.0
"""Audio per window, seconds: up to four 30 s chunks, one batch of :data:`transcribe.asr.faster.BATCH_SIZE`; the
unit of the resume journal, so a kill loses at most the batch in flight. On lj001+lj002
(2,615 s) 120 s windows took 123 s of ASR against 127 s for 240 s, at the same WER."""
LOOKAHEAD_S = 30.0
"""Audio read past the window so that its cut can be placed in a silence."""
CUT_RULE = 3
"""Version of the window-cutting rule (:func:`choose_cut`), recorded in the resume journal:
windows cut by another rule are not reused. 2: after the last whole chunk; 3: the same, with
the speech found once per 30 s block (:mod:`transcribe.asr.vad`) instead of once per buffer."""
MAX_CHUNK_S = 30.0
"""Longest chunk handed to Whisper (its input length)."""
MAX_GAP_S = 2.0
"""A silence longer than this between two pieces of speech starts a new chunk."""


@dataclass
class Window:
    """One finished window of the stream: what the journal stores.

    Attributes:
        start_sample, end_sample: the window within the decoded stream, samples at 16 kHz
            (sample 0 = the stream's first sample, before any container offset).
        language: the language it was decoded as (``"und"`` before any speech).
        segments: its segments, seconds on the player's clock.
    """

    start_sample: int
    end_sample: int
    language: str
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Window":
        """Raises KeyError/TypeError/ValueError on bad data."""
        return cls(int(d["start_sample"]), int(d["end_sample"]), str(d["language"]),
                   [Segment.from_dict(s) for s in d["segments"]])



def choose_cut(chunks: list[tuple[int, int]], window: int, length: int) -> int:
    """Where to end a window of about ``window`` samples in a buffer of ``length`` samples
    whose speech is packed into ``chunks`` (:func:`pack_chunks`): in the latest silence
    before, between or after the chunks that reaches into ``[window/2, window]`` (the middle
    of its part there), so the window holds as many whole chunks as fit. Samples in and out.
    Chunks last at most 30 s, so such a silence (or the touching ends of two chunks that
    VAD split at 30 s) always exists when ``window/2`` exceeds 30 s."""
    lo, hi = window // 2, min(window, length)
    ends = [0] + [b for _a, b in chunks]
    starts = [a for a, _b in chunks] + [length]
    best = (lo + hi) // 2
    for a, b in zip(ends, starts):
        a2, b2 = max(a, lo), min(b, hi)
        if a2 <= b2:
            best = (a2 + b2) // 2
    return best


def pack_chunks(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Consecutive speech pieces joined into contiguous chunks of at most :data:`MAX_CHUNK_S`,
    a new chunk after any silence longer than :data:`MAX_GAP_S`. Samples in and out."""
    chunks: list[list[int]] = []
    for a, b in pieces:
        if chunks and b - chunks[-1][0] <= MAX_CHUNK_S * SAMPLE_RATE and a - chunks[-1][1] <= MAX_GAP_S * SAMPLE_RATE:
            chunks[-1][1] = b
        else:
            chunks.append([a, b])
    return [(a, b) for a, b in chunks]


def decode_window(samples: np.ndarray, chunks: list[tuple[int, int]], engine: Engine, *, language: str,
                  task: str, before: list[Word] | None = None, hints: Hints | None = None) -> list[Segment]:
    """Transcribe one window: the engine on its ``chunks`` (samples, :func:`pack_chunks`),
    then the loop checks. Times: seconds from ``samples[0]``.

    ``before``: the previous window's last words, for loops that cross the cut.
    ``hints``: the user's ``--initial-prompt`` / ``--hotwords``, given with
    :data:`PROMPTS` to every chunk (:func:`transcribe.asr.checks.chunk_prompt`).
    """
    default = PROMPTS.get(language) if task == "transcribe" else None
    prompt = chunk_prompt(default, hints)
    chunks_s = [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in chunks]
    results = engine.transcribe_chunks(samples, chunks_s, language=language, task=task, prompt=prompt)
    out: list[Segment] = []
    tail = list(before or [])[-20:]
    for chunk, segments in zip(chunks_s, results):
        segments = [s for s in segments if not is_echo(s.text, default, hints)]  # not speech
        if is_looping(segments, tail):
            segments = engine.redecode(samples, chunk, language=language, task=task, prompt=prompt)
            segments = cut_loops(segments, tail)
        segments = [s for s in segments if s.text.strip()]
        if joins_subwords(language, task):  # "D" + "eng" -> "Deng"
            segments = [join_subwords(s) for s in segments]
        if task == "transcribe" and language in FULLWIDTH_LANGUAGES:  # "今天," -> "今天，"
            segments = [fullwidth_segment(s) for s in segments]
        out.extend(segments)
        tail = (tail + [w for s in segments for w in s.words])[-20:]
    return out


def transcribe_stream(
    blocks: Iterable[np.ndarray],
    engine: Engine,
    *,
    offset: float = 0.0,
    model_name: str = BUNDLED_MODEL,
    language: str | None = None,
    task: str = "transcribe",
    source: dict[str, Any] | None = None,
    done: list[Window] | None = None,
    on_window: Callable[[Window], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
    hints: Hints | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> Transcript:
    """Transcribe a stream of PCM blocks window by window (see the module docstring).

    Args:
        blocks: ``(n,)`` float32 arrays at 16 kHz, in order (:func:`transcribe.media.stream`).
        engine: :class:`FasterWhisperEngine` or :class:`transcribe.asr.openai_engine.OpenAIWhisperEngine`.
        offset: seconds on the player's clock of the stream's first sample.
        model_name: recorded in the transcript.
        language: ISO 639-1 code, or ``None`` to detect it on the first 30 s of speech.
        task: ``"transcribe"`` or ``"translate"`` (into English).
        source: provenance stored in the transcript.
        done: windows finished by an earlier, interrupted run (from the journal); the stream
            is read from the start and their samples skipped, so the windows after them are
            cut exactly as an uninterrupted run would cut them.
        on_window: called with each newly finished :class:`Window`.
        on_progress: called with the seconds of the stream done.
        hints: ``--initial-prompt`` / ``--hotwords`` for every chunk; recorded in the transcript.
        on_warning: called with one line when a forced ``language`` is not what the
            language-ID head hears (:func:`transcribe.asr.checks.language_mismatch`).

    Returns:
        Transcript with times in seconds on the player's clock.
    """
    windows = list(done or [])
    check_forced = language is not None and not windows
    skip = windows[-1].end_sample if windows else 0
    pos = skip  # stream sample index of buffer[0]
    if language is None:
        language = next((w.language for w in reversed(windows) if w.language != "und"), None)
    given = language
    window, lookahead = int(WINDOW_S * SAMPLE_RATE), int(LOOKAHEAD_S * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    buffered = 0
    read = 0
    need = window + lookahead
    before = [w for s in windows[-1].segments for w in s.words][-20:] if windows else []
    finder = SpeechFinder(origin_for(skip))
    fed = finder.done

    def finish_window(buffer: np.ndarray, pieces: list[tuple[int, int]], final: bool) -> np.ndarray:
        """Decode the window at the start of ``buffer`` (VAD ``pieces`` of all of it); the rest."""
        nonlocal pos, language, before, check_forced
        if language is None and pieces:
            language = engine.detect_language(np.concatenate([buffer[a:b] for a, b in pieces]))
        elif check_forced and pieces:
            check_forced = False
            warning = language_mismatch(engine, np.concatenate([buffer[a:b] for a, b in pieces]), language)
            if warning and on_warning:
                on_warning(warning)
        chunks = pack_chunks(pieces)
        cut = len(buffer) if final else choose_cut(chunks, window, len(buffer))
        chunks = [(a, min(b, cut)) for a, b in chunks if a < cut]
        segments = []
        if chunks:
            segments = decode_window(buffer[:cut], chunks, engine, language=language or "en", task=task,
                                     before=before, hints=hints)
        shift = offset + pos / SAMPLE_RATE
        segments = [_shifted(s, shift) for s in segments]
        done_window = Window(pos, pos + cut, language or "und", segments)
        windows.append(done_window)
        if segments:
            before = [w for s in segments for w in s.words][-20:]
        if on_window:
            on_window(done_window)
        pos += cut
        finder.forget(pos)
        if on_progress:
            on_progress(pos / SAMPLE_RATE)
        return buffer[cut:].copy()

    def finish_windows(buffer: np.ndarray, pieces: list[tuple[int, int]] | None = None) -> np.ndarray:
        """Every full window (plus look-ahead) at the start of ``buffer``; the rest."""
        while len(buffer) >= window + lookahead:
            buffer = finish_window(buffer, pieces if pieces is not None else finder.pieces(pos, pos + len(buffer)),
                                   final=False)
            pieces = None
        return buffer

    if on_progress:
        on_progress(pos / SAMPLE_RATE)
    for block in blocks:
        if read + len(block) > fed:  # VAD sees every sample from the start of the block holding the resume point
            finder.feed(block[max(0, fed - read):])
            fed = read + len(block)
        if read + len(block) <= skip:
            read += len(block)
            continue
        if read < skip:
            block = block[skip - read:]
        read = max(read, skip) + len(block)
        pending.append(block)
        buffered += len(block)
        if buffered < need:
            continue
        buffer = np.concatenate(pending)
        pieces = None
        if language is None and not any(w.segments for w in windows) and len(buffer) < DETECT_WINDOW_S * SAMPLE_RATE:
            pieces = finder.pieces(pos, pos + len(buffer))
            if sum(b - a for a, b in pieces) < 30 * SAMPLE_RATE:  # too little speech to tell the language: read on
                need = int(DETECT_WINDOW_S * SAMPLE_RATE)
                pending, buffered = [buffer], len(buffer)
                if buffered < need:
                    continue
        buffer = finish_windows(buffer, pieces)
        pending, buffered, need = [buffer], len(buffer), window + lookahead
    finder.finish()
    buffer = finish_windows(np.concatenate(pending) if pending else np.zeros(0, np.float32))
    if len(buffer) > 0.1 * SAMPLE_RATE:
        finish_window(buffer, finder.pieces(pos, pos + len(buffer)), final=True)
    elif len(buffer):
        pos += len(buffer)
    segments = [s for w in windows for s in w.segments]
    duration = round(offset + max(pos, read) / SAMPLE_RATE, 3)
    # Without speech the detected language means nothing: record "und" (ISO 639-2 undetermined).
    spoken = given or (language if segments and language else "und")
    return Transcript(segments, spoken, duration, model_name, source or {}, task, engine.name,
                      hints.to_dict() if hints else {})


def _shifted(seg: Segment, shift: float) -> Segment:
    return Segment(round(seg.start + shift, 3), round(seg.end + shift, 3), seg.text,
                   [Word(round(w.start + shift, 3), round(w.end + shift, 3), w.text, w.probability)
                    for w in seg.words])


def transcribe(audio: Audio, engine, *, model_name: str = BUNDLED_MODEL, language: str | None = None,
               task: str = "transcribe", source: dict[str, Any] | None = None,
               on_progress: Callable[[float], None] | None = None) -> Transcript:
    """Transcribe in-memory ``audio`` (:func:`transcribe_stream` over its samples).

    Args:
        audio: 16 kHz mono PCM; its ``offset`` is added to every time.
        engine: an :class:`Engine`, or a ``faster_whisper.WhisperModel`` (wrapped in
            :class:`FasterWhisperEngine`).
        model_name, language, task, source, on_progress: as :func:`transcribe_stream`.
    """
    if not hasattr(engine, "transcribe_chunks"):
        engine = FasterWhisperEngine(engine)
    step = int(30 * SAMPLE_RATE)
    blocks = (audio.samples[i:i + step] for i in range(0, len(audio.samples), step))
    return transcribe_stream(blocks, engine, offset=audio.offset, model_name=model_name, language=language,
                             task=task, source=source, on_progress=on_progress)
