"""The whole job: media -> asr -> sentences -> chapters -> summaries -> render.

:func:`run` takes :class:`Options`, checks everything it can before the slow
work starts (input, output place, options), reuses a saved transcript that
matches the input and model, and writes the notes and the transcript atomically.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from transcribe import asr, chapters, media, render, sentences, summaries
from transcribe.errors import TranscribeError, UsageError
from transcribe.progress import Reporter
from transcribe.writing import check_output, write_atomic


NAME_MAX = 255
"""Longest file name, bytes, on common file systems (ext4, APFS, NTFS)."""


SCRIPTS = ("simplified", "traditional")


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
    formats: list[str] = field(default_factory=lambda: ["md"])
    embed_chapters: Path | None = None
    script: str = "simplified"
    translate: bool = False


def output_paths(opts: Options) -> dict[str, Path]:
    """Where each ``--format`` goes: ``-o`` for the first, the others beside it with
    their own suffixes (:data:`transcribe.render.FORMATS`); without ``-o``, beside the input.

    Raises:
        UsageError: an unknown format name.
    """
    for fmt in opts.formats:
        if fmt not in render.FORMATS:
            raise UsageError(f"--format {fmt}: unknown format (choose from {', '.join(render.FORMATS)})")
    formats = list(dict.fromkeys(opts.formats)) or ["md"]
    if opts.output is not None:
        first_suffix = render.FORMATS[formats[0]][0]
        name = opts.output.name
        stem = name[: -len(first_suffix)] if name.endswith(first_suffix) else opts.output.stem
        base = opts.output.with_name(stem or name)
    else:
        base = opts.input.with_suffix("")
    paths = {fmt: base.with_name(base.name + render.FORMATS[fmt][0]) for fmt in formats}
    if opts.output is not None:
        paths[formats[0]] = opts.output
    return paths


def transcript_path(notes_path: Path) -> Path:
    """Where the transcript JSON goes: ``talk.md`` -> ``talk.transcript.json``.

    A stem too long for the file system's 255-byte names is shortened (at a character boundary).
    """
    suffix = ".transcript.json"
    stem = notes_path.name
    for fmt_suffix, _ in render.FORMATS.values():
        if stem.endswith(fmt_suffix) and len(stem) > len(fmt_suffix):
            stem = stem[: -len(fmt_suffix)]
            break
    else:
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


def run(opts: Options, reporter: Reporter | None = None) -> list[Path]:
    """Produce the notes for ``opts.input``; returns the paths written (notes first).

    Raises:
        TranscribeError: any problem with the input, model or output (one-line message).
        UsageError: a bad option value.
    """
    reporter = reporter or Reporter(quiet=True)
    if opts.chapters is not None and opts.chapters < 1:
        raise UsageError(f"--chapters {opts.chapters}: must be 1 or more")
    if opts.audio_track < 0:
        raise UsageError(f"--audio-track {opts.audio_track}: must be 0 or more")
    if opts.script not in SCRIPTS:
        raise UsageError(f"--script {opts.script}: use simplified or traditional")
    language = asr.check_language(opts.language)
    task = "translate" if opts.translate else "transcribe"
    asr.model_directory(opts.model)  # a bad --model DIR fails now, not after decoding
    outputs = output_paths(opts)
    tpath = transcript_path(next(iter(outputs.values())))
    info = media.probe(opts.input)
    if not 0 <= opts.audio_track < len(info.audio):
        raise UsageError(f"--audio-track {opts.audio_track}: {opts.input} has {len(info.audio)} "
                         f"audio track(s), numbered from 0")
    for path in outputs.values():
        check_output(path, opts.force)
    if opts.embed_chapters is not None:
        media.check_embed_target(opts.input, opts.embed_chapters, opts.force)
        check_output(opts.embed_chapters, opts.force)
    source = source_fingerprint(info, opts.audio_track)

    transcript = _saved_transcript(tpath, source, opts.model, language, task)
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
        label = "Translating" if opts.translate else "Transcribing"
        with reporter.audio(label, audio.duration) as update:
            transcript = asr.transcribe(audio, model, model_name=opts.model, language=language,
                                        task=task, source=source, on_progress=update)
        del audio, model
        write_atomic(tpath, transcript.to_json())

    header = render.NotesHeader(
        source=opts.input.name, duration=transcript.duration,
        language=transcript.text_language if transcript.has_speech else "und",
        model=model_label(transcript.model), audio_track=opts.audio_track, audio_tracks=len(info.audio),
        spoken_language=transcript.language if opts.translate else None)
    notes = build_notes(transcript, header, opts.chapters, opts.script, reporter)
    if "youtube" in outputs:
        for message in render.youtube_chapters(notes)[1]:
            reporter.warn(f"youtube: {message}")
    written = []
    for fmt, path in outputs.items():
        write_atomic(path, render.FORMATS[fmt][1](notes))
        written.append(path)
    if opts.embed_chapters is not None:
        if notes.chapters:
            reporter.step(f"Copying {opts.input} with chapters to {opts.embed_chapters}")
            media.embed_chapters(opts.input, render.render_ffmetadata(notes), opts.embed_chapters)
            written.append(opts.embed_chapters)
        else:
            reporter.warn(f"no chapters to embed; {opts.embed_chapters} not written")
    n = len(notes.chapters)
    reporter.step(f"Wrote {', '.join(str(p) for p in written)} ({n} chapter{'' if n == 1 else 's'})")
    return written


def build_notes(transcript: asr.Transcript, header: render.NotesHeader, n_chapters: int | None = None,
                script: str = "simplified", reporter: Reporter | None = None) -> render.Notes:
    """Sentences, chapters and summaries for a transcript.

    Chinese text is first converted to ``script``. No speech gives notes without chapters.
    """
    reporter = reporter or Reporter(quiet=True)
    transcript = sentences.convert_script(transcript, script)
    if not transcript.has_speech:
        reporter.step("No speech found")
        return render.Notes(header, [], [], transcript.segments)
    reporter.step("Splitting sentences and chapters")
    language = transcript.text_language
    nlp = sentences.load_nlp(language)
    sents = sentences.split_sentences(transcript, nlp)
    vectors = chapters.embed(sents, chapters.load_encoder())
    spans = chapters.segment(sents, vectors, transcript.duration, n_chapters)
    chapter_notes = summaries.summarize(spans, sents, vectors, language, nlp if language == "en" else None)
    return render.Notes(header, chapter_notes, sents, transcript.segments)


def _saved_transcript(path: Path, source: dict, model: str, language: str | None,
                      task: str) -> asr.Transcript | None:
    """The transcript at ``path`` if it was made from this input with this model, task (and language)."""
    if not path.is_file():
        return None
    try:
        saved = asr.Transcript.load(path)
    except TranscribeError:
        return None
    if saved.source != source or saved.model != model or saved.task != task:
        return None
    if language is not None and saved.language != language:
        return None
    return saved
