"""The whole job: media -> asr -> sentences -> chapters -> summaries -> render.

:func:`run` takes :class:`Options`, checks everything it can before the slow
work starts (input, output place, options), reuses a saved transcript that
matches the input and model, and writes the notes and the transcript atomically.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from transcribe import asr, chapters, media, render, sentences, summaries
from transcribe.errors import TranscribeError, UsageError
from transcribe.progress import Reporter
from transcribe.writing import check_output, write_atomic


NAME_MAX = 255
"""Longest file name, bytes, on common file systems (ext4, APFS, NTFS)."""


@dataclass
class Options:
    """What the user asked for (see ``transcribe --help``)."""

    input: Path
    output: Path | None = None
    force: bool = False
    model: str = asr.BUNDLED_MODEL
    language: str | None = None
    chapters: int | None = None
    audio_track: int = 0
    device: str = "auto"
    threads: int = 0


def output_path(opts: Options) -> Path:
    """``-o`` if given, else the input's stem + ``.md`` beside the input."""
    return opts.output if opts.output is not None else opts.input.with_suffix(".md")


def transcript_path(notes_path: Path) -> Path:
    """Where the transcript JSON goes: ``talk.md`` -> ``talk.transcript.json``.

    A stem too long for the file system's 255-byte names is shortened (at a character boundary).
    """
    suffix = ".transcript.json"
    stem = notes_path.stem
    while len((stem + suffix).encode("utf-8")) > NAME_MAX:
        stem = stem[:-1]
    return notes_path.with_name(stem + suffix)


def source_fingerprint(info: media.MediaInfo, track: int) -> dict:
    """What identifies the input for transcript reuse: name, size, SHA-256 of its first MiB, track.

    Not the mtime, so that a copied or cloned file still matches its saved transcript.
    """
    with open(info.path, "rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()
    return {"file": info.path.name, "size": info.path.stat().st_size, "head_sha256": head,
            "audio_track": track}


def model_label(model: str) -> str:
    """Human description of the ASR model for the notes' header."""
    if model == asr.BUNDLED_MODEL:
        return "Whisper base (multilingual, bundled), faster-whisper"
    return f"Whisper {model}, faster-whisper"


def run(opts: Options, reporter: Reporter | None = None) -> Path:
    """Produce the notes for ``opts.input``; returns the notes' path.

    Raises:
        TranscribeError: any problem with the input, model or output (one-line message).
        UsageError: a bad option value.
    """
    reporter = reporter or Reporter(quiet=True)
    if opts.chapters is not None and opts.chapters < 1:
        raise UsageError(f"--chapters {opts.chapters}: must be 1 or more")
    if opts.audio_track < 0:
        raise UsageError(f"--audio-track {opts.audio_track}: must be 0 or more")
    language = asr.check_language(opts.language)
    asr.model_directory(opts.model)  # a bad --model DIR fails now, not after decoding
    out = output_path(opts)
    tpath = transcript_path(out)
    info = media.probe(opts.input)
    if not 0 <= opts.audio_track < len(info.audio):
        raise UsageError(f"--audio-track {opts.audio_track}: {opts.input} has {len(info.audio)} "
                         f"audio track(s), numbered from 0")
    check_output(out, opts.force)
    source = source_fingerprint(info, opts.audio_track)

    transcript = _saved_transcript(tpath, source, opts.model, language)
    if transcript is not None:
        reporter.step(f"Reusing the transcript in {tpath}")
    else:
        check_output(tpath, opts.force)
        reporter.step(f"Loading the ASR model ({opts.model})")
        model = asr.load_model(opts.model, opts.device, opts.threads)
        reporter.step(f"Decoding {opts.input} (audio track {opts.audio_track})")
        audio = media.decode(info, opts.audio_track)
        if info.duration > 0 and audio.offset + audio.duration < 0.9 * info.duration - 1.0:
            reporter.warn(f"{opts.input}: only {render.hms(audio.offset + audio.duration)} of "
                          f"{render.hms(info.duration)} could be decoded; transcribing that part")
        with reporter.audio("Transcribing", audio.duration) as update:
            transcript = asr.transcribe(audio, model, model_name=opts.model, language=language,
                                        source=source, on_progress=update)
        del audio, model
        write_atomic(tpath, transcript.to_json())

    notes = notes_from_transcript(transcript, opts.chapters, reporter)
    header = render.NotesHeader(
        source=opts.input.name, duration=transcript.duration, language=transcript.language,
        model=model_label(transcript.model), audio_track=opts.audio_track, audio_tracks=len(info.audio))
    write_atomic(out, render.render_markdown(header, notes))
    reporter.step(f"Wrote {out} ({len(notes)} chapter{'' if len(notes) == 1 else 's'})")
    return out


def notes_from_transcript(transcript: asr.Transcript, n_chapters: int | None,
                          reporter: Reporter) -> list[summaries.ChapterNotes]:
    """Sentences, chapters and summaries for a transcript; empty when there is no speech."""
    if not transcript.has_speech:
        reporter.step("No speech found")
        return []
    reporter.step("Splitting sentences and chapters")
    nlp = sentences.load_nlp(transcript.language)
    sents = sentences.split_sentences(transcript, nlp)
    vectors = chapters.embed(sents, chapters.load_encoder())
    spans = chapters.segment(sents, vectors, transcript.duration, n_chapters)
    return summaries.summarize(spans, sents, vectors, transcript.language,
                               nlp if transcript.language == "en" else None)


def _saved_transcript(path: Path, source: dict, model: str, language: str | None) -> asr.Transcript | None:
    """The transcript at ``path`` if it was made from this input with this model (and language)."""
    if not path.is_file():
        return None
    try:
        saved = asr.Transcript.load(path)
    except TranscribeError:
        return None
    if saved.source != source or saved.model != model:
        return None
    if language is not None and saved.language != language:
        return None
    return saved
