"""Benchmark the whole pipeline on ``samples/talk.mp4``.

Prints the wall time of each stage, the real-time factor (RTF = processing
seconds / audio seconds) of the whole job, and how the chapters compare with
the true topic starts in ``samples/talk.chapters.json`` (hits within ±20 s).

Run: ``python bench/sample.py [--threads N] [--beam-size N]`` from the repository root.
Decoding and ASR run together, streamed, with the CLI's malloc settings ("decode+asr").
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from transcribe import allocator, asr, chapters, media, sentences, summaries

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", type=Path, default=ROOT / "samples" / "talk.mp4")
    ap.add_argument("--truth", type=Path, default=ROOT / "samples" / "talk.chapters.json")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--beam-size", type=int, default=asr.BEAM_SIZE)
    args = ap.parse_args()

    times: dict[str, float] = {}
    t0 = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = now - t
        t = now

    allocator.keep_freed_memory()  # as the CLI does for faster-whisper
    info = media.probe(args.input)
    engine = asr.load_engine(threads=args.threads, beam_size=args.beam_size)
    lap("load model")
    tr = asr.transcribe_stream(media.stream(info), engine, offset=info.audio[0].start)
    lap("decode+asr")
    del engine
    allocator.release_freed_memory()
    nlp = sentences.load_nlp(tr.language)
    sents = sentences.split_sentences(tr, nlp)
    lap("sentences")
    vecs = chapters.embed(sents, chapters.load_encoder())
    chs = chapters.segment(sents, vecs, tr.duration)
    lap("chapters")
    summaries.summarize(chs, sents, vecs, tr.language, nlp)
    lap("summaries")
    total = time.perf_counter() - t0

    print(f"input: {args.input.name}, {tr.duration:.1f} s of audio, {len(sents)} sentences, "
          f"beam {args.beam_size}")
    for name, secs in times.items():
        print(f"  {name:<11} {secs:7.2f} s")
    print(f"  {'total':<11} {total:7.2f} s   RTF {total / tr.duration:.3f}")
    if args.truth.is_file():
        truth = [c["start"] for c in json.loads(args.truth.read_text())["chapters"]]
        starts = [c.start for c in chs]
        hits = sum(min(abs(s - g) for s in starts) <= 20 for g in truth)
        print(f"chapters: {len(chs)} found at {[round(s) for s in starts]} s; "
              f"true starts {[round(g) for g in truth]} s; {hits}/{len(truth)} within ±20 s")


if __name__ == "__main__":
    main()
