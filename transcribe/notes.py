"""Stages 3 to 6 for one transcript: sentences, chapters, summaries, then the files.

Shared by both commands (:mod:`transcribe.pipeline` after ASR, :mod:`transcribe.rechapter`
on a saved or imported transcript): :func:`build_notes` (sentences → chapters and parts →
summaries → the notes' script), :func:`render_options`, :func:`write_outputs` (each format
written atomically) and the warnings for what the notes could not give.
"""

from __future__ import annotations

from pathlib import Path

from transcribe import chapters, llm, render, scripts, sentences, summaries
from transcribe.asr.engines import BUNDLED_MODEL
from transcribe.errors import UsageError
from transcribe.model import Notes, NotesHeader, RenderOptions, Transcript
from transcribe.outputs import STDOUT, write_stdout
from transcribe.progress import Reporter
from transcribe.writing import write_atomic


def model_label(model: str, engine: str = "faster-whisper") -> str:
    """Human description of the ASR model for the notes' header."""
    if model == BUNDLED_MODEL:
        return f"Whisper base (multilingual, bundled), {engine}"
    return f"Whisper {model}, {engine}"


def check_chapter_options(n_chapters: int | None, detail: str, length: float) -> None:
    """Raises UsageError for ``--chapters`` below 1, an unknown ``--detail`` or a ``--length``
    outside 1-100."""
    if n_chapters is not None and n_chapters < 1:
        raise UsageError(f"--chapters {n_chapters}: must be 1 or more")
    if detail not in chapters.DETAILS:
        raise UsageError(f"--detail {detail}: use {', '.join(chapters.DETAILS)}")
    if not 1 <= length <= 100:
        raise UsageError(f"--length {length:g}: notes words per 100 transcript words, from 1 to 100")


def render_options(opts) -> RenderOptions:
    """How to show the notes, from ``--no-transcript``, ``--max-line-width`` and ``--max-line-count``
    (``opts``: :class:`transcribe.pipeline.Options` or :class:`transcribe.rechapter.ChaptersOptions`).

    Raises:
        UsageError: a line width or count outside :data:`transcribe.render.LINE_WIDTH_RANGE`
            or :data:`transcribe.render.LINE_COUNT_RANGE`.
    """
    for name, value, (low, high), what in (
            ("--max-line-width", opts.max_line_width, render.LINE_WIDTH_RANGE, "characters per subtitle line"),
            ("--max-line-count", opts.max_line_count, render.LINE_COUNT_RANGE, "lines per subtitle cue")):
        if value is not None and not low <= value <= high:
            raise UsageError(f"{name} {value}: {what}, from {low} to {high}")
    return RenderOptions(
        transcript=opts.md_transcript,
        line_width=render.CUE_LINE_CHARS if opts.max_line_width is None else opts.max_line_width,
        line_count=render.CUE_LINES if opts.max_line_count is None else opts.max_line_count)


def warn_unmet(notes: Notes, outputs: dict[str, Path], asked: int | None, reporter: Reporter) -> None:
    """What the notes could not give: ``--chapters N`` (how many fit, and why), and for a
    ``youtube`` output what YouTube will make of the chapters."""
    _warn_chapter_count(notes, asked, reporter)
    if "youtube" in outputs:
        _warn_youtube(notes, asked, reporter)


def _warn_chapter_count(notes: Notes, asked: int | None, reporter: Reporter) -> None:
    n = len(notes.chapters)
    if asked is None or not notes.chapters or n >= asked:
        return
    why = (f" of at least {chapters.MIN_CHAPTER_S:.0f} s" if notes.header.timed else "")
    reporter.warn(f"--chapters {asked}: only {n} chapter{'' if n == 1 else 's'}{why} "
                  f"fit{'s' if n == 1 else ''} this {'recording' if notes.header.timed else 'text'}")


def _warn_youtube(notes: Notes, asked: int | None, reporter: Reporter) -> None:
    """What YouTube will make of the chapters, with advice only where it can work."""
    kept, messages = render.youtube_chapters(notes)
    if kept and len(kept) < render.YOUTUBE_MIN_CHAPTERS:
        fit = notes.header.duration >= render.YOUTUBE_MIN_CHAPTERS * chapters.MIN_CHAPTER_S
        messages[-1] += (f"; this recording is too short for {render.YOUTUBE_MIN_CHAPTERS} chapters of "
                         f"{chapters.MIN_CHAPTER_S:.0f} s" if not fit else
                         "" if asked is not None and asked >= render.YOUTUBE_MIN_CHAPTERS else
                         f"; try --chapters {render.YOUTUBE_MIN_CHAPTERS}")
    for message in messages:
        reporter.warn(f"youtube: {message}")


def write_outputs(outputs: dict[str, Path], notes: Notes, reporter: Reporter,
                   written: list[Path]) -> list[Path]:
    """Render and write each format atomically; report and return everything written."""
    for fmt, path in outputs.items():
        text = render.FORMATS[fmt][1](notes)
        if path == STDOUT:
            write_stdout(text)
        else:
            write_atomic(path, text)
        written.append(path)
    n = len(notes.chapters)
    names = ["standard output" if p == STDOUT else str(p) for p in written]
    reporter.step(f"Wrote {', '.join(names)} ({n} chapter{'' if n == 1 else 's'})")
    return written


class NotesModels:
    """The models the notes need, each loaded once and kept: a spaCy pipeline per language
    (:func:`transcribe.sentences.load_nlp`) and the sentence encoder
    (:func:`transcribe.chapters.load_encoder`). One holder serves any number of transcripts
    (a batch worker keeps one for all its files).

    Tried and dropped: loading them on a background thread while ASR still runs (CTranslate2
    releases the GIL): the sample took 25.1 s instead of 25.7 s, but its peak RSS rose from
    948 MB to 1,079 MB, as the pipelines (111 MB) and the encoder (120 MB) then sat beside
    the ASR model's peak instead of in the memory it had freed.
    """

    def __init__(self) -> None:
        self._nlp: dict[str, object] = {}
        self._encoder = None

    def nlp(self, language: str):
        """The spaCy pipeline for ``language`` (ISO 639-1), loaded on first use."""
        if language not in self._nlp:
            self._nlp[language] = sentences.load_nlp(language)
        return self._nlp[language]

    def encoder(self):
        """The sentence encoder, loaded on first use."""
        if self._encoder is None:
            self._encoder = chapters.load_encoder()
        return self._encoder


def build_notes(transcript: Transcript, header: NotesHeader, n_chapters: int | None = None,
                script: str = "simplified", reporter: Reporter | None = None,
                timed: bool = True, detail: str = "normal",
                length: float = summaries.WORDS_PER_100,
                llm_settings: llm.LLMSettings | None = None, models: NotesModels | None = None) -> Notes:
    """Sentences, chapters (and parts) and summaries for a transcript.

    Chinese notes are computed on simplified text, and the finished notes then converted to
    ``script`` (:func:`transcribe.scripts.convert_notes`), so that a transcript gets the same
    chapters and titles in every script. No speech gives notes without chapters. ``timed=False`` (text without times) places chapters by sentence.
    ``detail`` is ``coarse``, ``normal`` or ``fine`` (see :func:`transcribe.chapters.outline`);
    ``length`` is the notes' budget in words per 100 transcript words. With ``llm_settings``
    the chapters' notes and the overview are asked of that server (:mod:`transcribe.llm`);
    whatever it fails on keeps the extractive notes, with one warning. ``models``: the
    pipelines and encoder already loaded (:class:`NotesModels`); ``None``: loaded here.
    """
    reporter = reporter or Reporter(quiet=True)
    models = models or NotesModels()
    transcript = sentences.convert_script(transcript, "simplified")
    if not transcript.has_speech:
        reporter.step("No speech found")
        return scripts.convert_notes(Notes(header, [], [], transcript.segments), script)
    reporter.step("Splitting sentences and chapters")
    language = transcript.text_language
    nlp = models.nlp(language)
    sents = sentences.split_sentences(transcript, nlp)
    vectors = chapters.embed(sents, models.encoder())
    found = chapters.outline(sents, vectors, transcript.duration, language, n_chapters, timed=timed, detail=detail)
    english = nlp if language == "en" else None
    chapter_notes = summaries.summarize(found.chapters, sents, vectors, language, english, length)
    part_notes = summaries.title_parts(found.parts, chapter_notes, sents, vectors, language, english)
    overview = summaries.overview(chapter_notes, transcript.duration if timed else 0.0, language)
    if llm_settings is not None and chapter_notes:
        chapter_notes, overview, warning = llm.write_notes(chapter_notes, overview, sents, language, llm_settings,
                                                           reporter.step)
        if warning:
            reporter.warn(warning)
    return scripts.convert_notes(Notes(header, chapter_notes, sents, transcript.segments, part_notes,
                                              overview), script)
