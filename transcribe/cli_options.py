"""Options of ``transcribe batch`` (:func:`transcribe.cli.batch`), kept here so that the command
line module stays small. The options shared with the other commands (``--llm``, ``--script``,
the subtitle options, ``--no-transcript``) are :mod:`transcribe.cli`'s own objects; these say
the same as the main command's options of the same names.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from transcribe.asr import BEAM_SIZE, BUNDLED_MODEL
from transcribe.batch import MAX_ATTEMPTS, WORKER_MEMORY_MB

INPUTS = typer.Argument(
    ..., metavar="INPUTS", show_default=False,
    help="Media files, folders (searched recursively for media files), globs ('talks/**/*.mp4', quoted) "
         "or text files (.txt, .lst, .list, .m3u) listing paths, one a line.")
OUTDIR = typer.Option(
    ..., "-o", "--output", metavar="OUTDIR", show_default=False,
    help="Folder for the outputs, mirroring the inputs' folders: OUTDIR/SUBFOLDER/NAME.mp4.md and "
         "NAME.mp4.transcript.json for each input, and OUTDIR/manifest.jsonl (a line per input).")
WORKERS = typer.Option(
    0, "--workers", metavar="N",
    help="Worker processes (or Ray actors), each loading the models once. 0: one per core, fewer when the "
         f"available memory ({WORKER_MEMORY_MB} MB a worker at its peak) or the number of files says so; the "
         "line at the start says what was chosen and why.")
RAY = typer.Option(
    None, "--ray", metavar="[ADDRESS]", show_default=False,
    help="Run the batch on Ray (pip install '.[ray]'): alone, a local Ray instance for this run; 'auto', the "
         "cluster 'ray start' made here; HOST:PORT or ray://HOST:PORT, that cluster's head. The inputs and "
         "OUTDIR must be on a file system every node sees at the same path. A cluster that cannot be "
         f"reached: one warning, then local workers. A file whose worker dies is retried ({MAX_ATTEMPTS} "
         "attempts in all), locally too.")
THREADS = typer.Option(0, "--threads", metavar="N",
                       help="ASR threads per worker; 0: the cores shared out among the workers (cores // workers).")
FORCE = typer.Option(False, "--force", help="Replace output files that exist and are not recorded in the "
                                            "manifest as done with these options.")
MODEL = typer.Option(BUNDLED_MODEL, "--model", help="ASR model, as for the main command (see transcribe --help).")
LANGUAGE = typer.Option("auto", "--language", help="Spoken language (ISO 639-1), or 'auto' to detect it per file.")
CHAPTERS = typer.Option(None, "--chapters", show_default=False, help="Force this many chapters in every file.")
DETAIL = typer.Option("normal", "--detail", help="How many chapters: coarse, normal or fine.")
LENGTH = typer.Option(15.0, "--length", metavar="WORDS", help="Notes words per 100 words of the talk.")
AUDIO_TRACK = typer.Option(0, "--audio-track", help="Which audio stream to transcribe, 0 = first.")
ENGINE = typer.Option("faster-whisper", "--engine", help="ASR engine: faster-whisper or openai-whisper.")
BEAM = typer.Option(None, "--beam-size", show_default=False,
                    help=f"Decoder beam width: {BEAM_SIZE} (greedy) by default, 5 with --translate.")
DEVICE = typer.Option("auto", "--device", help="auto, cpu or cuda.")
FORMATS = typer.Option([], "-f", "--format", show_default=False,
                       help="Output format, repeatable (md, json, srt, vtt, txt, youtube, ffmetadata, html); "
                            "default md.")
INITIAL_PROMPT = typer.Option("", "--initial-prompt", metavar="TEXT", show_default=False,
                              help="Text for Whisper before every chunk (names, spelling).")
HOTWORDS = typer.Option("", "--hotwords", metavar="TEXT", show_default=False,
                        help="Words for Whisper to favour (faster-whisper only).")
TRANSLATE = typer.Option(False, "--translate", help="English notes from non-English speech.")
QUIET = typer.Option(False, "-q", "--quiet", help="No progress lines (failures and warnings still show).")
DEBUG = typer.Option(False, "--debug", help="Show a full traceback on errors.")

_ADDRESS = re.compile(r"(auto|local|ray://\S+|[\w.-]+:\d+|\[[0-9a-fA-F:.]+\]:\d+)")


def ray_flag(args: list[str]) -> list[str]:
    """``--ray`` takes an optional value: a bare ``--ray`` (last, or before an option or an
    argument that is not an address such as ``HOST:PORT``, ``ray://…``, ``auto``) becomes
    ``--ray=local``. Arguments after ``--`` are left alone."""
    out, rest = [], list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            return out + [arg] + rest
        if arg == "--ray" and not (rest and _ADDRESS.fullmatch(rest[0]) and not Path(rest[0]).exists()):
            arg = "--ray=local"
        out.append(arg)
    return out
