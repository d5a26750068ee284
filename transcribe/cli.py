"""Command line: ``transcribe INPUT [-o OUT.md] [options]``.

Thin by design: it turns options into :class:`transcribe.pipeline.Options`,
runs the pipeline, and turns every error into one line on stderr with exit
status 1 (input, model, output) or 2 (usage).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path
from typing import List, Optional

import typer

from transcribe import __version__, allocator
from transcribe import cli_options as batch_opt
from transcribe.asr import BEAM_SIZE, BUNDLED_MODEL
from transcribe.batch import BatchOptions, run_batch
from transcribe.errors import EXIT_INPUT, TranscribeError
from transcribe.llm import LLMSettings
from transcribe.pipeline import Interrupted, Options, run
from transcribe.progress import Reporter
from transcribe.rechapter import ChaptersOptions, run_chapters
from transcribe.writing import FULL, REFUSED, cannot_write

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]})


LLM_URL = typer.Option(
    None, "--llm", metavar="URL", show_default=False,
    help="Also have a language model write the notes: the base URL of an OpenAI-compatible server "
         "(Ollama: http://localhost:11434/v1; llama.cpp, vLLM, LM Studio, OpenAI). Key from "
         "TRANSCRIBE_LLM_KEY or OPENAI_API_KEY; also settable as TRANSCRIBE_LLM_URL. Where it fails, "
         "the extractive notes stay.")
LLM_MODEL = typer.Option(None, "--llm-model", metavar="NAME", show_default=False,
                         help="Model name for --llm (or TRANSCRIBE_LLM_MODEL).")
LLM_TIMEOUT = typer.Option(None, "--llm-timeout", metavar="SECONDS", show_default=False,
                           help="Longest wait for one answer of --llm (default 120, or TRANSCRIBE_LLM_TIMEOUT).")
"""The --llm options, shared by both commands."""
SCRIPT = typer.Option(
    "simplified", "--script",
    help="Script of Chinese text (OpenCC): simplified, traditional (OpenCC's standard traditional), "
         "tw (Taiwan characters), tw-phrases (Taiwan characters and phrases), hk (Hong Kong characters). "
         "The labels of the notes follow it; the chapters and titles are the same in every script.")
NO_TRANSCRIPT = typer.Option(False, "--no-transcript",
                             help="md: leave out each chapter's transcript (time-stamped paragraphs "
                                  "under its summary and key points).")
MAX_LINE_WIDTH = typer.Option(None, "--max-line-width", metavar="N", show_default=False,
                              help="Subtitles (srt, vtt): at most N characters a line (default 42).")
MAX_LINE_COUNT = typer.Option(None, "--max-line-count", metavar="N", show_default=False,
                              help="Subtitles (srt, vtt): at most N lines a cue (default 2).")
"""Options of the notes' text, shared by both commands."""


def _version(value: bool) -> None:
    if value:
        print(f"transcribe {__version__}")
        raise typer.Exit()


@app.command()
def transcribe(
    input: Path = typer.Argument(..., metavar="INPUT", readable=False, help="Audio or video file (anything ffmpeg reads).", show_default=False),
    output: Optional[str] = typer.Option(
        None, "-o", "--output",
        help="Notes to write (the first --format; '-' for standard output). Default: INPUT's name with "
             "the format's suffix, beside INPUT. The transcript is saved beside it as NAME.transcript.json.",
        show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
    model: str = typer.Option(
        BUNDLED_MODEL, "--model",
        help="ASR model: 'base' (bundled multilingual Whisper base), a faster-whisper model "
             "name such as 'small' (downloaded when online), or a CTranslate2 model directory."),
    language: str = typer.Option(
        "auto", "--language", help="Spoken language as an ISO 639-1 code (en, zh, ...), or 'auto' to detect."),
    chapters: Optional[int] = typer.Option(
        None, "--chapters", help="Force this many chapters. Default: chosen from the talk's length and "
        "where its topic changes (see --detail).", show_default=False),
    detail: str = typer.Option(
        "normal", "--detail", help="How many chapters: coarse (about one per part of the talk), normal "
        "(as video and podcast editors mark them: about 8 for 20 minutes, 12-13 for an hour), or fine "
        "(1.7 times as many). Long talks also get parts grouping the chapters."),
    length: float = typer.Option(
        15.0, "--length", metavar="WORDS",
        help="Length of the notes (titles, summaries, key points): words per 100 words of the talk."),
    llm_url: Optional[str] = LLM_URL,
    llm_model: Optional[str] = LLM_MODEL,
    llm_timeout: Optional[float] = LLM_TIMEOUT,
    audio_track: int = typer.Option(0, "--audio-track", help="Which audio stream to transcribe, 0 = first."),
    engine: str = typer.Option(
        "faster-whisper", "--engine",
        help="ASR engine: faster-whisper (fast, CTranslate2) or openai-whisper (the reference "
             "implementation, CPU, on the same weights; needs pip install '.[openai]' in the project folder)."),
    beam_size: Optional[int] = typer.Option(
        None, "--beam-size", show_default=False,
        help=f"Decoder beam width: {BEAM_SIZE} (greedy, fastest) by default, 5 with --translate; "
             "5 is Whisper's command-line default (slower, sometimes a little more accurate)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda (int8 on CPU, float16 on CUDA)."),
    threads: int = typer.Option(0, "--threads", help="CPU threads for the ASR model in all; 0 = one per core. "
                                "On the CPU two decoders share them, each decoding part of every window."),
    formats: List[str] = typer.Option(
        [], "-f", "--format", show_default=False,
        help="Output format, repeatable: md (notes), json (everything, see transcribe/notes.schema.json), "
             "srt, vtt (subtitles), txt (the transcript, a sentence a line), youtube (chapter list for a "
             "video description), ffmetadata (ffmpeg chapter file), html (a page with a player, timeline and "
             "searchable transcript). The first goes to -o, the others "
             "beside it. Default: the one -o's suffix names, else md."),
    embed_chapters: Optional[Path] = typer.Option(
        None, "--embed-chapters", metavar="OUT",
        help="Also write a copy of INPUT with the chapters in the file itself "
             "(.mp4 .m4v .m4a .mov .mkv .mka .webm; streams copied, not re-encoded). "
             "INPUT is never modified.", show_default=False),
    script: str = SCRIPT,
    no_transcript: bool = NO_TRANSCRIPT,
    max_line_width: Optional[int] = MAX_LINE_WIDTH,
    max_line_count: Optional[int] = MAX_LINE_COUNT,
    initial_prompt: str = typer.Option(
        "", "--initial-prompt", metavar="TEXT", show_default=False,
        help="Text for Whisper before every chunk, as in the whisper CLI: names and their spelling, "
             "jargon, the style of the text (e.g. 'Kubernetes, Zhang Wei, Q3 OKRs.')."),
    hotwords: str = typer.Option(
        "", "--hotwords", metavar="TEXT", show_default=False,
        help="Words or phrases for Whisper to favour (faster-whisper's hotwords), also before every "
             "chunk; needs --engine faster-whisper."),
    translate: bool = typer.Option(False, "--translate",
                                   help="English notes from non-English speech (Whisper's translate "
                                        "task); times stay those of the speech."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress output (warnings and errors still show)."),
    debug: bool = typer.Option(False, "--debug", help="Show a full traceback on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Turn a recorded talk into time-coded markdown chapter notes, offline.

    Notes from an existing transcript, without ASR: transcribe chapters TRANSCRIPT
    (see transcribe chapters --help). Many recordings at once: transcribe batch INPUTS... -o OUTDIR
    (see transcribe batch --help).
    """
    _check_url(input)
    _check_output_option(output, input)
    opts = Options(input=input, output=Path(output) if output is not None else None, force=force, model=model,
                   language=None if language == "auto" else language, chapters=chapters, detail=detail,
                   length=length, audio_track=audio_track, device=device, threads=threads, formats=formats,
                   embed_chapters=embed_chapters, script=script, translate=translate, engine=engine,
                   beam_size=beam_size, md_transcript=not no_transcript, max_line_width=max_line_width,
                   max_line_count=max_line_count, initial_prompt=initial_prompt, hotwords=hotwords)
    if engine == "faster-whisper":  # not for PyTorch: there it costs time and 700 MB (bench/speed.py)
        allocator.keep_freed_memory()

    def job() -> None:
        opts.llm = LLMSettings.from_options(llm_url, llm_model, llm_timeout)
        run(opts, Reporter(quiet=quiet))
    _guarded(job, input, debug)


chapters_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                           context_settings={"help_option_names": ["-h", "--help"]})


@chapters_app.command()
def chapters(
    transcript: Path = typer.Argument(
        ..., metavar="TRANSCRIPT", show_default=False, readable=False,
        help="A NAME.transcript.json of this tool, an .srt or .vtt file, or plain text with one "
             "sentence or utterance per line, each optionally starting with [HH:MM:SS]. "
             "Text without times gets chapters by sentence."),
    output: Optional[str] = typer.Option(
        None, "-o", "--output", show_default=False,
        help="File for the first --format ('-' for standard output). Default: the transcript's name with "
             "the format's suffix."),
    formats: List[str] = typer.Option([], "-f", "--format", show_default=False,
                                      help="md, json, srt, vtt, txt, youtube, ffmetadata or html; repeatable. "
                                           "Default: the one -o's suffix names, else md."),
    n_chapters: Optional[int] = typer.Option(None, "--chapters", show_default=False,
                                             help="Force this many chapters."),
    detail: str = typer.Option("normal", "--detail",
                               help="How many chapters: coarse (about one per part), normal, or fine."),
    length: float = typer.Option(15.0, "--length", metavar="WORDS",
                                 help="Notes words per 100 words of the talk."),
    llm_url: Optional[str] = LLM_URL,
    llm_model: Optional[str] = LLM_MODEL,
    llm_timeout: Optional[float] = LLM_TIMEOUT,
    language: str = typer.Option("auto", "--language",
                                 help="Language of the text (ISO 639-1); auto: the JSON's, else zh or en "
                                      "by the characters used."),
    script: str = SCRIPT,
    no_transcript: bool = NO_TRANSCRIPT,
    max_line_width: Optional[int] = MAX_LINE_WIDTH,
    max_line_count: Optional[int] = MAX_LINE_COUNT,
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress output."),
    debug: bool = typer.Option(False, "--debug", help="Show a full traceback on errors."),
) -> None:
    """Chapter notes from an existing transcript, without running ASR."""
    _check_output_option(output, transcript)
    opts = ChaptersOptions(transcript=transcript, output=Path(output) if output is not None else None,
                           force=force, language=None if language == "auto" else language,
                           chapters=n_chapters, formats=formats, script=script, detail=detail,
                           length=length, md_transcript=not no_transcript, max_line_width=max_line_width,
                           max_line_count=max_line_count)

    def job() -> None:
        opts.llm = LLMSettings.from_options(llm_url, llm_model, llm_timeout)
        run_chapters(opts, Reporter(quiet=quiet))
    _guarded(job, transcript, debug)


batch_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                        context_settings={"help_option_names": ["-h", "--help"]})


@batch_app.command()
def batch(
    inputs: List[str] = batch_opt.INPUTS, outdir: Path = batch_opt.OUTDIR, workers: int = batch_opt.WORKERS,
    ray: Optional[str] = batch_opt.RAY, threads: int = batch_opt.THREADS, force: bool = batch_opt.FORCE,
    model: str = batch_opt.MODEL, language: str = batch_opt.LANGUAGE, chapters: Optional[int] = batch_opt.CHAPTERS,
    detail: str = batch_opt.DETAIL, length: float = batch_opt.LENGTH, llm_url: Optional[str] = LLM_URL,
    llm_model: Optional[str] = LLM_MODEL, llm_timeout: Optional[float] = LLM_TIMEOUT,
    audio_track: int = batch_opt.AUDIO_TRACK, engine: str = batch_opt.ENGINE,
    beam_size: Optional[int] = batch_opt.BEAM, device: str = batch_opt.DEVICE,
    formats: List[str] = batch_opt.FORMATS, script: str = SCRIPT, no_transcript: bool = NO_TRANSCRIPT,
    max_line_width: Optional[int] = MAX_LINE_WIDTH, max_line_count: Optional[int] = MAX_LINE_COUNT,
    initial_prompt: str = batch_opt.INITIAL_PROMPT, hotwords: str = batch_opt.HOTWORDS,
    translate: bool = batch_opt.TRANSLATE, quiet: bool = batch_opt.QUIET, debug: bool = batch_opt.DEBUG,
) -> None:
    """Notes for many recordings: one set of outputs per input under OUTDIR, on every core (or on Ray).

    A re-run skips the files done with the same options, resumes a long file cut short and
    retries the failed ones. Exit status: 0 when every file is done, 1 when any failed (their
    messages are in OUTDIR/manifest.jsonl) or for bad inputs, 2 for bad options, 130 after Ctrl-C.
    """
    opts = Options(input=Path("."), force=force, model=model, language=None if language == "auto" else language,
                   chapters=chapters, detail=detail, length=length, audio_track=audio_track, device=device,
                   threads=threads, formats=formats, script=script, translate=translate, engine=engine,
                   beam_size=beam_size, md_transcript=not no_transcript, max_line_width=max_line_width,
                   max_line_count=max_line_count, initial_prompt=initial_prompt, hotwords=hotwords)
    failed = []

    def job() -> None:
        opts.llm = LLMSettings.from_options(llm_url, llm_model, llm_timeout)
        summary = run_batch(BatchOptions(inputs, outdir, opts, workers, ray), Reporter(quiet=quiet))
        failed.append(summary.failed)
    _guarded(job, outdir, debug)
    if failed and failed[0]:
        raise typer.Exit(EXIT_INPUT)


def _check_url(source: Path) -> None:
    """A URL is not a file: say so, and how to get one (Path() has turned ``//`` into ``/``)."""
    if str(source).lower().startswith("file:/") and not source.exists():
        path = re.sub(r"^file:/+", "/", str(source), flags=re.I)
        print(f"transcribe: error: {source}: give the file's path ({path}), not a file: URL", file=sys.stderr)
        raise typer.Exit(2)
    if re.match(r"^[a-z][a-z0-9+.-]*:/", str(source), re.I) and not source.exists():
        url = re.sub(r"^([a-z][a-z0-9+.-]*):/+", r"\1://", str(source), flags=re.I)
        print(f"transcribe: error: {url}: URLs are not supported (this tool works offline); download "
              f"the recording first (for example: yt-dlp -x {url}) and give its file", file=sys.stderr)
        raise typer.Exit(2)


def _check_output_option(output: str | None, source: Path) -> None:
    if output is not None and (output.endswith(("/", os.sep)) or Path(output).is_dir()):
        print(f"transcribe: error: -o {output}: is a folder; give a file name such as "
              f"{Path(output) / (source.stem + '.md')}", file=sys.stderr)
        raise typer.Exit(2)


def _guarded(job, source: Path, debug: bool) -> None:
    """Run ``job``; every failure becomes one line on stderr and an exit status."""
    try:
        job()
    except Interrupted as exc:
        print(f"transcribe: {exc.message}", file=sys.stderr)
        raise typer.Exit(exc.exit_code)
    except TranscribeError as exc:
        if debug:
            traceback.print_exc()
        print(f"transcribe: error: {exc.message}", file=sys.stderr)
        raise typer.Exit(exc.exit_code)
    except KeyboardInterrupt:
        print("transcribe: interrupted; every output file is either complete or not written "
              "(run the same command again to finish)", file=sys.stderr)
        raise typer.Exit(130)
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        if isinstance(exc, OSError) and exc.errno in (*FULL, *REFUSED):  # a write no check caught
            why = FULL.get(exc.errno) or REFUSED[exc.errno]
            print("transcribe: error: " + (cannot_write(Path(exc.filename), exc).message if exc.filename else
                                           f"a file for {source} could not be written: {why}"), file=sys.stderr)
            raise typer.Exit(EXIT_INPUT)
        detail = " ".join(str(exc).split())[:200]
        print(f"transcribe: error: {source}: {type(exc).__name__}: {detail} "
              "(run with --debug for details)", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the command, exits with its status.

    ``transcribe chapters ...`` runs the transcript-only command and ``transcribe batch ...``
    the one for many files, whatever files exist here (a media file named ``chapters`` or
    ``batch`` is ``./chapters``, ``./batch``). Click's own usage
    errors (a missing argument, a non-integer ``--chapters``) are turned into
    the same one-line format as ours, exit status 2.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    sub = args[0] if args and args[0] in ("chapters", "batch") else ""
    command = typer.main.get_command({"chapters": chapters_app, "batch": batch_app}.get(sub, app))
    rest = batch_opt.ray_flag(args[1:]) if sub == "batch" else args[1:] if sub else args
    try:
        status = command.main(args=rest, standalone_mode=False, prog_name=f"transcribe {sub}".strip())
    except typer.TyperException as exc:  # Click's UsageError/BadParameter (exit_code 2)
        print(f"transcribe: error: {exc.format_message()} (see transcribe{' ' + sub if sub else ''} --help)",
              file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("transcribe: interrupted; every output file is either complete or not written", file=sys.stderr)
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)
