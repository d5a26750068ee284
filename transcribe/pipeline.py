"""The whole job: media -> asr -> sentences -> chapters -> summaries -> render.

:func:`run` takes :class:`Options`, checks everything it can before the slow
work starts (input, output place, options), reuses a saved transcript that
matches the input and model, and writes the notes and the transcript atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from transcribe import allocator, asr, asr_checks, chapters, llm, media, render, scripts, sentences, summaries
from transcribe.outputs import (STDOUT, anchor, check_distinct, files, llm_cache_path, output_paths,
                                strip_transcript_suffix, transcript_path, write_stdout)
from transcribe.errors import TranscribeError, UsageError
from transcribe.journal import Journal
from transcribe.locks import OutputLock
from transcribe.progress import Reporter
from transcribe.writing import check_outputs, write_atomic



SCRIPTS = tuple(scripts.SCRIPTS)
"""``--script`` values (:data:`transcribe.scripts.SCRIPTS`)."""
TRANSLATE_BEAM_SIZE = 5
"""Default beam width for ``--translate``: greedy decoding left whole sentences of the
THCHS-30 clips untranslated (in hanzi); beam 5 translated them."""
TRIM_EVERY_WINDOWS = 5
"""ASR windows (about 10 minutes of audio) between two :func:`allocator.release_freed_memory`,
so that memory malloc keeps between windows goes back to the system now and then (the
resident size drops from about 1,220 MB to 860-1,080 MB at each trim). It does not lower
the peak, which the largest window sets: 3 h of speech peaked at 1,254 MB with it and
1,229 MB without (bench/long.py); the cost is within the run-to-run noise."""
TIMED_FORMATS = ("srt", "vtt", "youtube", "ffmetadata")
"""Formats that only make sense with times."""


@dataclass
class Options:
    """What the user asked for (see ``transcribe --help``)."""

    input: Path
    output: Path | None = None
    force: bool = False
    model: str = asr.BUNDLED_MODEL
    language: str | None = None
    chapters: int | None = None
    detail: str = "normal"
    """``coarse``, ``normal`` or ``fine``: how many chapters when ``chapters`` is not given."""
    length: float = summaries.WORDS_PER_100
    """Notes words (titles, summaries, key points) per 100 transcript words."""
    llm: llm.LLMSettings | None = None
    """A language model server for the notes (``--llm``), or None for extractive notes."""
    audio_track: int = 0
    device: str = "auto"
    threads: int = 0
    formats: list[str] = field(default_factory=list)
    """--format names; empty: the one ``output``'s suffix names, else md."""
    embed_chapters: Path | None = None
    script: str = "simplified"
    md_transcript: bool = True
    """md: each chapter's transcript as paragraphs (``--no-transcript``: False)."""
    max_line_width: int | None = None
    """Subtitles: characters per line (``None``: :data:`transcribe.render.CUE_LINE_CHARS`)."""
    max_line_count: int | None = None
    """Subtitles: lines per cue (``None``: :data:`transcribe.render.CUE_LINES`)."""
    translate: bool = False
    engine: str = "faster-whisper"
    beam_size: int | None = None
    """``None``: :data:`transcribe.asr.BEAM_SIZE` (greedy), 5 with ``translate``."""
    initial_prompt: str = ""
    """``--initial-prompt``: text for Whisper before every chunk (names, spelling)."""
    hotwords: str = ""
    """``--hotwords``: terms for Whisper to favour, also before every chunk (faster-whisper only)."""

    @property
    def beam(self) -> int:
        """The decoder beam width to use."""
        if self.beam_size is not None:
            return self.beam_size
        return TRANSLATE_BEAM_SIZE if self.translate else asr.BEAM_SIZE


def source_fingerprint(info: media.MediaInfo, track: int) -> dict:
    """What identifies the input for transcript reuse: name, size, SHA-256 of its first MiB, track.

    Not the mtime, so that a copied or cloned file still matches its saved transcript.
    """
    with open(info.path, "rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()
    return {"file": info.path.name, "size": info.path.stat().st_size, "head_sha256": head,
            "audio_track": track}


def model_label(model: str, engine: str = "faster-whisper") -> str:
    """Human description of the ASR model for the notes' header."""
    if model == asr.BUNDLED_MODEL:
        return f"Whisper base (multilingual, bundled), {engine}"
    return f"Whisper {model}, {engine}"


class Interrupted(TranscribeError):
    """Ctrl-C during transcription; the message says how to resume (exit status 130)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 130)


def run(opts: Options, reporter: Reporter | None = None) -> list[Path]:
    """Produce the notes for ``opts.input``; returns the paths written (notes first).

    Raises:
        TranscribeError: any problem with the input, model or output (one-line message).
        UsageError: a bad option value.
        Interrupted: Ctrl-C while transcribing (the finished part is kept for a re-run).
        Busy: another run is writing the same files (:mod:`transcribe.locks`).
    """
    with OutputLock("transcribing", opts.input) as lock:
        return _run(opts, reporter, lock)


def _run(opts: Options, reporter: Reporter | None, lock: OutputLock) -> list[Path]:
    reporter = reporter or Reporter(quiet=True)
    language = _check_options(opts, reporter)
    task = "translate" if opts.translate else "transcribe"
    outputs = output_paths(opts.formats, opts.output, opts.input.with_suffix(""))
    notes_file = anchor(outputs, opts.input.with_suffix(""))
    tpath = transcript_path(notes_file)
    info = media.probe(opts.input)
    if not 0 <= opts.audio_track < len(info.audio):
        raise UsageError(f"--audio-track {opts.audio_track}: {opts.input} has {len(info.audio)} "
                         f"audio track(s), numbered from 0")
    embed = [opts.embed_chapters] if opts.embed_chapters is not None else []
    if opts.embed_chapters is not None:
        media.check_embed_streams(info, opts.embed_chapters)
    beside_input = transcript_path(opts.input.with_suffix(".md"))
    jpath = transcript_path(notes_file, ".transcript.partial.jsonl")
    check_distinct([*outputs.values(), *embed], {opts.input: "the input file", tpath: "the transcript",
                                                  beside_input: "the transcript", jpath: "the resume journal"})
    lock.acquire([*files(outputs), tpath, *embed])
    source = source_fingerprint(info, opts.audio_track)

    transcript, found_at = None, None
    for candidate in dict.fromkeys([tpath, beside_input]):
        transcript = _saved_transcript(candidate, source, opts.model, language, task, opts.engine)
        if transcript is not None and transcript.hints != _hints(opts).to_dict():
            transcript = None  # made with another --initial-prompt / --hotwords
        if transcript is not None:
            found_at = candidate
            break
    if transcript is None:
        _check_not_anothers(tpath, jpath, source, opts.input, notes_file)
    check_outputs([*files(outputs), *([tpath] if transcript is None else []), *embed], opts.force)
    if transcript is not None:
        reporter.step(f"Reusing the transcript in {found_at}")
    else:
        transcript = _transcribe(opts, info, source, language, task, jpath, reporter)
        allocator.release_freed_memory()  # the ASR model and activations are gone
        unsure = asr_checks.low_confidence(transcript.segments, task)
        if unsure:
            reporter.warn(f"{opts.input}: {unsure}")
        write_atomic(tpath, transcript.to_json())
        Journal(jpath, {}).remove()

    header = render.NotesHeader(
        source=opts.input.name, duration=transcript.duration,
        language=transcript.text_language if transcript.has_speech else "und",
        model=model_label(transcript.model, transcript.engine), audio_track=opts.audio_track,
        audio_tracks=len(info.audio),
        spoken_language=transcript.language if opts.translate and transcript.language != "en" else None)
    if opts.llm is not None:
        opts.llm.cache = llm_cache_path(tpath)
    notes = build_notes(transcript, header, opts.chapters, opts.script, reporter, detail=opts.detail,
                        length=opts.length, llm_settings=opts.llm)
    notes.options = render_options(opts)
    _warn_unmet(notes, outputs, opts.chapters, reporter)
    written = []
    if opts.embed_chapters is not None:  # first: if the container refuses, no notes are written either
        if notes.chapters:
            reporter.step(f"Copying {opts.input} with chapters to {opts.embed_chapters}")
            media.embed_chapters(opts.input, render.render_ffmetadata(notes), opts.embed_chapters)
            written.append(opts.embed_chapters)
        else:
            reporter.warn(f"no chapters to embed; {opts.embed_chapters} not written")
    return _write_outputs(outputs, notes, reporter, written)


def _check_options(opts: Options, reporter: Reporter) -> str | None:
    """Fail fast on bad option values; returns the ``--language`` code (``None``: detect)."""
    if opts.embed_chapters is not None:  # before anything else: a container that cannot work is the first thing to say
        media.check_embed_target(opts.embed_chapters)
    _check_chapter_options(opts.chapters, opts.detail, opts.length)
    if opts.audio_track < 0:
        raise UsageError(f"--audio-track {opts.audio_track}: must be 0 or more")
    if opts.threads < 0:
        raise UsageError(f"--threads {opts.threads}: must be 0 (automatic) or more")
    cores = os.cpu_count() or 1
    if opts.threads > cores:
        reporter.warn(f"--threads {opts.threads} is more than this machine's {cores} cores; "
                      "that makes transcription slower, not faster")
    scripts.check_script(opts.script)
    render_options(opts)
    if not 1 <= opts.beam <= 16:
        raise UsageError(f"--beam-size {opts.beam_size}: use 1 (greedy) to 16")
    language = asr.check_language(opts.language)
    asr.model_directory(opts.model)  # a bad --model DIR fails now, not after decoding
    asr_checks.check_hints(_hints(opts), opts.engine)  # before check_engine: said even without openai-whisper
    asr.check_engine(opts.engine, opts.model, opts.device)
    return language


def _hints(opts: Options) -> asr_checks.Hints:
    return asr_checks.Hints(opts.initial_prompt.strip(), opts.hotwords.strip())


def journal_header(info: media.MediaInfo, source: dict, opts: Options, language: str | None,
                   task: str) -> dict:
    """What a journal's windows depend on: the input as it is now (with its mtime), the
    engine and model weights, task, language asked for, and the windowing settings."""
    st = info.path.stat()
    return {"source": {**source, "mtime_ns": st.st_mtime_ns}, "engine": opts.engine,
            "model": opts.model, "weights": asr.model_identity(opts.model), "task": task,
            "language": language,
            "beam_size": opts.beam, **({"hints": _hints(opts).to_dict()} if _hints(opts) else {}),
            "windowing": [asr.WINDOW_S, asr.LOOKAHEAD_S, asr.MAX_CHUNK_S, asr.MAX_GAP_S, asr.BATCH_SIZE,
                          asr.CUT_RULE]}


def _transcribe(opts: Options, info: media.MediaInfo, source: dict, language: str | None, task: str,
                jpath: Path, reporter: Reporter) -> asr.Transcript:
    """ASR of the input, streamed, journaled to ``jpath`` and resumed from it."""
    journal = Journal(jpath, journal_header(info, source, opts, language, task))
    done, why_not = journal.load()
    if why_not:
        reporter.warn(f"{jpath}: {why_not}; starting the transcription afresh (the old journal is "
                      "replaced when the first new window is finished)")
    reporter.step(f"Loading the ASR model ({opts.model}, {opts.engine})")
    engine = asr.load_engine(opts.engine, opts.model, opts.device, opts.threads, opts.beam)
    if done:
        journal.start(done)
    stream_info = info.audio[opts.audio_track]
    resumed = done[-1].end_sample / asr.SAMPLE_RATE if done else 0.0
    if done:
        reporter.step(f"Resuming at {render.hms(resumed)} from {jpath}")
    reporter.step(f"Decoding and transcribing {opts.input} (audio track {opts.audio_track})")
    label = "Translating" if opts.translate else "Transcribing"
    total = max(info.duration - stream_info.start, resumed)
    position, windows_done = [resumed], [0]

    def progress(done_s: float) -> None:
        position[0] = done_s
        update(done_s)

    def finished(window: asr.Window) -> None:
        journal.append(window)
        windows_done[0] += 1
        if windows_done[0] % TRIM_EVERY_WINDOWS == 0:
            allocator.release_freed_memory()

    try:
        with reporter.audio(label, total, start=resumed) as update:
            transcript = asr.transcribe_stream(
                media.stream(info, opts.audio_track), engine, offset=stream_info.start, model_name=opts.model,
                language=language, task=task, source=source, done=done, on_window=finished,
                on_progress=progress, hints=_hints(opts) or None,
                on_warning=lambda line: reporter.warn(f"{opts.input}: {line}"))
    except KeyboardInterrupt:
        journal.close()
        kept = position[0]
        raise Interrupted(
            f"interrupted at {render.hms(kept)} of {render.hms(total)}; run the same command again to "
            f"continue from there (the finished part is kept in {jpath})" if kept > 0 else
            "interrupted before the first window was finished; nothing to keep") from None
    finally:
        journal.close()
    if info.duration > 0 and transcript.duration < 0.9 * info.duration - 1.0:
        reporter.warn(f"{opts.input}: only {render.hms(transcript.duration)} of "
                      f"{render.hms(info.duration)} could be decoded; transcribed that part")
    return transcript


def _warn_unmet(notes: render.Notes, outputs: dict[str, Path], asked: int | None, reporter: Reporter) -> None:
    """What the notes could not give: ``--chapters N`` (how many fit, and why), and for a
    ``youtube`` output what YouTube will make of the chapters."""
    _warn_chapter_count(notes, asked, reporter)
    if "youtube" in outputs:
        _warn_youtube(notes, asked, reporter)


def _warn_chapter_count(notes: render.Notes, asked: int | None, reporter: Reporter) -> None:
    n = len(notes.chapters)
    if asked is None or not notes.chapters or n >= asked:
        return
    why = (f" of at least {chapters.MIN_CHAPTER_S:.0f} s" if notes.header.timed else "")
    reporter.warn(f"--chapters {asked}: only {n} chapter{'' if n == 1 else 's'}{why} "
                  f"fit{'s' if n == 1 else ''} this {'recording' if notes.header.timed else 'text'}")


def _warn_youtube(notes: render.Notes, asked: int | None, reporter: Reporter) -> None:
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


def _write_outputs(outputs: dict[str, Path], notes: render.Notes, reporter: Reporter,
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


def build_notes(transcript: asr.Transcript, header: render.NotesHeader, n_chapters: int | None = None,
                script: str = "simplified", reporter: Reporter | None = None,
                timed: bool = True, detail: str = "normal",
                length: float = summaries.WORDS_PER_100,
                llm_settings: llm.LLMSettings | None = None) -> render.Notes:
    """Sentences, chapters (and parts) and summaries for a transcript.

    Chinese notes are computed on simplified text, and the finished notes then converted to
    ``script`` (:func:`transcribe.scripts.convert_notes`), so that a transcript gets the same
    chapters and titles in every script. No speech gives notes without chapters. ``timed=False`` (text without times) places chapters by sentence.
    ``detail`` is ``coarse``, ``normal`` or ``fine`` (see :func:`transcribe.chapters.outline`);
    ``length`` is the notes' budget in words per 100 transcript words. With ``llm_settings``
    the chapters' notes and the overview are asked of that server (:mod:`transcribe.llm`);
    whatever it fails on keeps the extractive notes, with one warning.
    """
    reporter = reporter or Reporter(quiet=True)
    transcript = sentences.convert_script(transcript, "simplified")
    if not transcript.has_speech:
        reporter.step("No speech found")
        return scripts.convert_notes(render.Notes(header, [], [], transcript.segments), script)
    reporter.step("Splitting sentences and chapters")
    language = transcript.text_language
    nlp = sentences.load_nlp(language)
    sents = sentences.split_sentences(transcript, nlp)
    vectors = chapters.embed(sents, chapters.load_encoder())
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
    return scripts.convert_notes(render.Notes(header, chapter_notes, sents, transcript.segments, part_notes,
                                              overview), script)


def _saved_transcript(path: Path, source: dict, model: str, language: str | None,
                      task: str, engine: str = "faster-whisper") -> asr.Transcript | None:
    """The transcript at ``path`` if it was made from this input with this engine, model, task
    (and language)."""
    if not path.is_file():
        return None
    try:
        saved = asr.Transcript.load(path)
    except TranscribeError:
        return None
    if saved.source != source or saved.model != model or saved.task != task or saved.engine != engine:
        return None
    if language is not None and saved.language != language:
        return None
    return saved


def _made_from(path: Path) -> dict | None:
    """The ``source`` recorded in the transcript (or resume journal) at ``path``; None when
    there is none, or the file is not one of this tool's."""
    try:
        if path.name.endswith(".jsonl"):
            with open(path, "rb") as fh:
                source = json.loads(fh.readline()).get("source")
        else:
            source = asr.Transcript.load(path).source
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, TranscribeError):
        return None
    return source if isinstance(source, dict) and source.get("file") else None


def _check_not_anothers(tpath: Path, jpath: Path, source: dict, input: Path, notes: Path) -> None:
    """Refuse, even with ``--force``, to replace a transcript (or resume journal) made from
    another input: ``bush.mp3`` beside ``bush.ogg`` would otherwise replace ``bush.transcript.json``.
    The same recording under another name (same size and first MiB) is not another input.

    Raises:
        TranscribeError: the message names the file, whose it is, and an ``-o`` that avoids it.
    """
    for path, what in ((tpath, "the transcript"), (jpath, "the unfinished transcription")):
        theirs = _made_from(path) if path.is_file() else None
        if theirs is None or theirs.get("file") == source["file"] or (
                theirs.get("size") == source["size"] and theirs.get("head_sha256") == source["head_sha256"]):
            continue
        tag = input.suffix.lstrip(".") or "2"
        suffix = next((s for s, _ in render.FORMATS.values() if notes.name.endswith(s)), notes.suffix)
        own = notes.with_name(f"{transcript_path(notes, '').name}-{tag}{suffix}")
        raise TranscribeError(f"{path}: is {what} of {theirs['file']}, not of {input.name}; it is not "
                              f"replaced, even with --force: give this run its own name, e.g. -o {own}")


@dataclass
class ChaptersOptions:
    """What ``transcribe chapters TRANSCRIPT`` was asked for."""

    transcript: Path
    output: Path | None = None
    force: bool = False
    language: str | None = None
    chapters: int | None = None
    formats: list[str] = field(default_factory=list)
    """--format names; empty: the one ``output``'s suffix names, else md."""
    script: str = "simplified"
    detail: str = "normal"
    length: float = summaries.WORDS_PER_100
    llm: llm.LLMSettings | None = None
    md_transcript: bool = True
    max_line_width: int | None = None
    max_line_count: int | None = None


def _check_chapter_options(n_chapters: int | None, detail: str, length: float) -> None:
    """Raises UsageError for ``--chapters`` below 1, an unknown ``--detail`` or a ``--length``
    outside 1-100."""
    if n_chapters is not None and n_chapters < 1:
        raise UsageError(f"--chapters {n_chapters}: must be 1 or more")
    if detail not in chapters.DETAILS:
        raise UsageError(f"--detail {detail}: use {', '.join(chapters.DETAILS)}")
    if not 1 <= length <= 100:
        raise UsageError(f"--length {length:g}: notes words per 100 transcript words, from 1 to 100")


def render_options(opts: Options | ChaptersOptions) -> render.RenderOptions:
    """How to show the notes, from ``--no-transcript``, ``--max-line-width`` and ``--max-line-count``.

    Raises:
        UsageError: a line width or count outside :data:`transcribe.render.LINE_WIDTH_RANGE`
            or :data:`transcribe.render.LINE_COUNT_RANGE`.
    """
    for name, value, (low, high), what in (
            ("--max-line-width", opts.max_line_width, render.LINE_WIDTH_RANGE, "characters per subtitle line"),
            ("--max-line-count", opts.max_line_count, render.LINE_COUNT_RANGE, "lines per subtitle cue")):
        if value is not None and not low <= value <= high:
            raise UsageError(f"{name} {value}: {what}, from {low} to {high}")
    return render.RenderOptions(
        transcript=opts.md_transcript,
        line_width=render.CUE_LINE_CHARS if opts.max_line_width is None else opts.max_line_width,
        line_count=render.CUE_LINES if opts.max_line_count is None else opts.max_line_count)


def run_chapters(opts: ChaptersOptions, reporter: Reporter | None = None) -> list[Path]:
    """Notes from an existing transcript (JSON, SRT, WebVTT or plain text), no ASR.

    Raises:
        TranscribeError: unreadable transcript or output problem.
        UsageError: a bad option value.
        Busy: another run is writing the same files (:mod:`transcribe.locks`).
    """
    with OutputLock("making notes from", opts.transcript) as lock:
        return _run_chapters(opts, reporter, lock)


def _run_chapters(opts: ChaptersOptions, reporter: Reporter | None, lock: OutputLock) -> list[Path]:
    from transcribe import readers

    reporter = reporter or Reporter(quiet=True)
    _check_chapter_options(opts.chapters, opts.detail, opts.length)
    scripts.check_script(opts.script)
    render_options(opts)
    language = asr.check_language(opts.language)
    source = opts.transcript
    outputs = output_paths(opts.formats, opts.output, source.with_name(strip_transcript_suffix(source.name)))
    check_distinct(list(outputs.values()), {source: "the transcript itself"})
    lock.acquire(files(outputs))
    check_outputs(files(outputs), opts.force)
    transcript, timed = readers.load_transcript(source, language, reporter.warn)
    timeless = [f for f in outputs if f in TIMED_FORMATS]
    if not timed and timeless:
        raise UsageError(f"{source}: has no times, so it cannot give {', '.join(timeless)}; "
                         "use md or json, or add [HH:MM:SS] stamps to the lines")
    n = len(transcript.segments)
    reporter.step(f"Read {n} segment{'' if n == 1 else 's'} from {source}")
    header = render.NotesHeader(
        source=str(transcript.source.get("file") or source.name), duration=transcript.duration,
        language=transcript.text_language, model=model_label(transcript.model, transcript.engine) if transcript.model
        not in ("text", "subtitles") else f"none ({transcript.model} input)", timed=timed)
    if opts.llm is not None:
        opts.llm.cache = llm_cache_path(source)
    notes = build_notes(transcript, header, opts.chapters, opts.script, reporter, timed=timed, detail=opts.detail,
                        length=opts.length, llm_settings=opts.llm)
    notes.options = render_options(opts)
    _warn_unmet(notes, outputs, opts.chapters, reporter)
    return _write_outputs(outputs, notes, reporter, [])
