"""The whole job: media -> asr -> sentences -> chapters -> summaries -> render.

:func:`run` takes :class:`Options`, checks everything it can before the slow
work starts (input, output place, options), reuses a saved transcript that
matches the input and model (:mod:`transcribe.saved`), transcribes the rest with a resume
journal, and writes the notes (:mod:`transcribe.notes`) and the transcript atomically.
``transcribe chapters`` (notes from a transcript, no ASR) is :mod:`transcribe.rechapter`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from transcribe import allocator, asr, embed, media, render, scripts, summaries
from transcribe.asr import checks as asr_checks
from transcribe.notes import (NotesModels, build_notes, check_chapter_options, model_label, render_options,
                              warn_unmet, write_outputs)
from transcribe.outputs import anchor, check_distinct, files, llm_cache_path, output_paths, transcript_path
from transcribe.llm import LLMSettings
from transcribe.saved import check_not_anothers, saved_transcript, source_fingerprint
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
    llm: LLMSettings | None = None
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






@dataclass
class Models:
    """Models kept from one :func:`run` to the next (a batch worker's, :mod:`transcribe.batch`):
    the ASR engines, keyed by ``(engine, model, device, threads, beam)``, and the notes' spaCy
    pipelines and sentence encoder (:class:`transcribe.notes.NotesModels`). Without one, each
    run loads them afresh: on 2 cores the ASR model takes 1.2 s and the English spaCy pipeline
    1.5 s, and two batch workers took 10-11 s for their first 9-11 s clip, 3-4 s for each next one."""

    engines: dict[tuple, asr.Engine] = field(default_factory=dict)
    notes: NotesModels = field(default_factory=NotesModels)

    def engine(self, opts: Options) -> asr.Engine:
        """The loaded engine for ``opts`` (loaded on first use; raises as :func:`asr.load_engine`)."""
        key = (opts.engine, opts.model, opts.device, opts.threads, opts.beam)
        if key not in self.engines:
            self.engines[key] = asr.load_engine(*key)
        return self.engines[key]


class Interrupted(TranscribeError):
    """Ctrl-C during transcription; the message says how to resume (exit status 130)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 130)


def run(opts: Options, reporter: Reporter | None = None, models: Models | None = None) -> list[Path]:
    """Produce the notes for ``opts.input``; returns the paths written (notes first).

    ``models``: models already loaded, kept for the next run (:class:`Models`); ``None``: loaded here.

    Raises:
        TranscribeError: any problem with the input, model or output (one-line message).
        UsageError: a bad option value.
        Interrupted: Ctrl-C while transcribing (the finished part is kept for a re-run).
        Busy: another run is writing the same files (:mod:`transcribe.locks`).
    """
    with OutputLock("transcribing", opts.input) as lock:
        return _run(opts, reporter, lock, models)


def _run(opts: Options, reporter: Reporter | None, lock: OutputLock, models: Models | None = None) -> list[Path]:
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
    embed_out = [opts.embed_chapters] if opts.embed_chapters is not None else []
    if opts.embed_chapters is not None:
        embed.check_embed_streams(info, opts.embed_chapters)
    beside_input = transcript_path(opts.input.with_suffix(".md"))
    jpath = transcript_path(notes_file, ".transcript.partial.jsonl")
    check_distinct([*outputs.values(), *embed_out], {opts.input: "the input file", tpath: "the transcript",
                                                  beside_input: "the transcript", jpath: "the resume journal"})
    lock.acquire([*files(outputs), tpath, *embed_out])
    source = source_fingerprint(info, opts.audio_track)

    transcript, found_at = None, None
    for candidate in dict.fromkeys([tpath, beside_input]):
        transcript = saved_transcript(candidate, source, opts.model, language, task, opts.engine)
        if transcript is not None and transcript.hints != _hints(opts).to_dict():
            transcript = None  # made with another --initial-prompt / --hotwords
        if transcript is not None:
            found_at = candidate
            break
    if transcript is None:
        check_not_anothers(tpath, jpath, source, opts.input, notes_file)
    check_outputs([*files(outputs), *([tpath] if transcript is None else []), *embed_out], opts.force)
    if transcript is not None:
        reporter.step(f"Reusing the transcript in {found_at}")
    else:
        transcript = _transcribe(opts, info, source, language, task, jpath, reporter, models)
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
                        length=opts.length, llm_settings=opts.llm, models=models.notes if models else None)
    notes.options = render_options(opts)
    notes.options.media_href = render.media_href(opts.input, outputs.get("html"))
    warn_unmet(notes, outputs, opts.chapters, reporter)
    written = []
    if opts.embed_chapters is not None:  # first: if the container refuses, no notes are written either
        if notes.chapters:
            reporter.step(f"Copying {opts.input} with chapters to {opts.embed_chapters}")
            embed.embed_chapters(opts.input, render.render_ffmetadata(notes), opts.embed_chapters)
            written.append(opts.embed_chapters)
        else:
            reporter.warn(f"no chapters to embed; {opts.embed_chapters} not written")
    return write_outputs(outputs, notes, reporter, written)


def check_options(opts: Options, reporter: Reporter | None = None) -> None:
    """What :func:`run` checks before it reads the input, alone: a batch checks its options once
    for all its files. Raises UsageError or TranscribeError (a bad ``--model`` folder, an engine
    that is not installed) with a one-line message."""
    _check_options(opts, reporter or Reporter(quiet=True))


def _check_options(opts: Options, reporter: Reporter) -> str | None:
    """Fail fast on bad option values; returns the ``--language`` code (``None``: detect)."""
    if opts.embed_chapters is not None:  # before anything else: a container that cannot work is the first thing to say
        embed.check_embed_target(opts.embed_chapters)
    check_chapter_options(opts.chapters, opts.detail, opts.length)
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
                jpath: Path, reporter: Reporter, models: Models | None = None) -> asr.Transcript:
    """ASR of the input, streamed, journaled to ``jpath`` and resumed from it."""
    journal = Journal(jpath, journal_header(info, source, opts, language, task))
    done, why_not = journal.load()
    if why_not:
        reporter.warn(f"{jpath}: {why_not}; starting the transcription afresh (the old journal is "
                      "replaced when the first new window is finished)")
    reporter.step(f"Loading the ASR model ({opts.model}, {opts.engine})")
    engine = (models.engine(opts) if models is not None else
              asr.load_engine(opts.engine, opts.model, opts.device, opts.threads, opts.beam))
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














