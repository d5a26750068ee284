"""``transcribe chapters TRANSCRIPT``: notes from a transcript already made, no ASR.

In: a saved transcript (``NAME.transcript.json``) or an imported one (SRT, WebVTT, plain text;
:mod:`transcribe.readers`). Out: the notes files (:mod:`transcribe.notes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transcribe import asr, readers, render, scripts, summaries
from transcribe.llm import LLMSettings
from transcribe.errors import UsageError
from transcribe.locks import OutputLock
from transcribe.notes import build_notes, check_chapter_options, model_label, render_options, warn_unmet, write_outputs
from transcribe.outputs import check_distinct, files, llm_cache_path, output_paths, strip_transcript_suffix
from transcribe.progress import Reporter
from transcribe.writing import check_outputs

TIMED_FORMATS = ("srt", "vtt", "youtube", "ffmetadata")
"""Formats that only make sense with times."""


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
    llm: LLMSettings | None = None
    md_transcript: bool = True
    max_line_width: int | None = None
    max_line_count: int | None = None


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
    reporter = reporter or Reporter(quiet=True)
    check_chapter_options(opts.chapters, opts.detail, opts.length)
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
    page = outputs.get("html")
    notes.options.media_href = render.media_href(_recording(transcript, source, page), page)
    warn_unmet(notes, outputs, opts.chapters, reporter)
    return write_outputs(outputs, notes, reporter, [])


def _recording(transcript, source: Path, page: Path | None) -> Path | None:
    """The recording a saved transcript was made from (its ``source.file``), for the ``html`` page's
    player: beside the page, else beside the transcript; None when it is in neither place, when no
    ``html`` is written (``page`` None) and for imported text and subtitles (which name no recording)."""
    name = transcript.source.get("file") if transcript.model not in ("text", "subtitles") else None
    if not name or page is None:
        return None
    return next((p for p in (page.parent / Path(name).name, source.parent / Path(name).name) if p.is_file()), None)
