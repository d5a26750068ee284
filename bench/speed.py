"""Speed and accuracy of the two engines on the same real recording, whole pipeline.

Runs the real CLI (decode -> ASR -> sentences -> chapters -> notes) once per engine on
the same recording (default: the first 10 minutes of LibriVox/LJ Speech
``lj001_printing.opus`` from ../shared/eval, which has a human reference transcript), and
prints per engine: wall time, real-time factor (RTF = wall time / audio duration), the
decode+ASR time alone (from the CLI's last progress line), peak RSS of the process, and
word error rate against the reference (jiwer, after Whisper's
``EnglishTextNormalizer`` on both sides); then the speed ratio openai-whisper /
faster-whisper and the WER difference.

    pip install '.[bench,openai]'
    python bench/speed.py                      # both engines, 600 s, beam as the CLI's default
    python bench/speed.py --seconds 0 --beam-size 5 --engines faster-whisper

Targets (issue 4): faster-whisper >= 5x faster than openai-whisper at a WER no more than
0.5 points worse; whole-pipeline RTF <= 0.06 with the default model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import asr_seconds, run_measured

ROOT = Path(__file__).resolve().parent.parent
LJ = ROOT.parent / "shared" / "eval" / "speech_en" / "ljspeech"


def reference_text(seconds: float) -> str:
    """LJ001's normalized reference, the clips that end within the first ``seconds``."""
    rows = (LJ / "lj001_printing.segments.tsv").read_text(encoding="utf-8").splitlines()
    text = []
    for row in rows[1:]:
        clip, start, end, _raw, normalized = row.split("\t")[:5]
        if seconds <= 0 or float(end) <= seconds:
            text.append(normalized)
    return " ".join(text)


def cut(source: Path, seconds: float, folder: Path) -> Path:
    """The first ``seconds`` of ``source`` (stream copy), or ``source`` itself for 0."""
    if seconds <= 0:
        return source
    import imageio_ffmpeg

    out = folder / f"{source.stem}.{int(seconds)}s{source.suffix}"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-t", str(seconds),
                    "-c", "copy", str(out)], check=True)
    return out


def run_engine(engine: str, audio: Path, folder: Path, beam_size: int | None, threads: int) -> dict:
    """The CLI on ``audio`` with ``engine``: wall time, decode+ASR time (from its progress
    log), peak RSS (MB) and the transcript's text."""
    out = folder / f"{engine}.md"
    cmd = [sys.executable, "-m", "transcribe", str(audio), "-o", str(out), "--engine", engine,
           "--language", "en"]
    if beam_size:
        cmd += ["--beam-size", str(beam_size)]
    if threads:
        cmd += ["--threads", str(threads)]
    wall, peak, err = run_measured(cmd)
    transcript = json.loads(out.with_name(f"{engine}.transcript.json").read_text(encoding="utf-8"))
    return {"engine": engine, "wall_s": wall, "asr_s": asr_seconds(err, transcript["duration"]),
            "peak_rss_mb": peak, "duration_s": transcript["duration"],
            "text": " ".join(s["text"] for s in transcript["segments"])}


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after Whisper's English normalizer on both texts (openai-whisper's, via jiwer)."""
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    norm = EnglishTextNormalizer()
    return jiwer.wer(norm(reference), norm(hypothesis))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="audio length to use; 0 = all 1,253 s")
    ap.add_argument("--engines", default="faster-whisper,openai-whisper")
    ap.add_argument("--beam-size", type=int, default=None, help="default: the CLI's default")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "speed.json")
    args = ap.parse_args()
    source = LJ / "lj001_printing.opus"
    if not source.is_file():
        raise SystemExit(f"{source}: not found (the evaluation data lives in ../shared/eval)")
    reference = reference_text(args.seconds)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audio = cut(source, args.seconds, folder)
        for engine in args.engines.split(","):
            (folder / engine).mkdir()
            r = run_engine(engine, audio, folder / engine, args.beam_size, args.threads)
            r["rtf"] = r["wall_s"] / r["duration_s"]
            r["wer"] = wer(reference, r.pop("text"))
            results.append(r)
            asr = f"{r['asr_s']:6.1f} s" if r["asr_s"] else "     ?  "
            print(f"{engine:15s} audio {r['duration_s']:7.1f} s  wall {r['wall_s']:7.1f} s  RTF {r['rtf']:.3f}  "
                  f"(decode+ASR {asr})  peak RSS {r['peak_rss_mb']:6.0f} MB  WER {100 * r['wer']:.2f}%", flush=True)
    summary = {"recording": f"{source.name} first {args.seconds:.0f} s" if args.seconds > 0 else source.name,
               "beam_size": args.beam_size, "cores": os.cpu_count(), "runs": results}
    by = {r["engine"]: r for r in results}
    if {"faster-whisper", "openai-whisper"} <= set(by):
        fast, ref = by["faster-whisper"], by["openai-whisper"]
        summary["speed_ratio"] = ref["wall_s"] / fast["wall_s"]
        summary["wer_difference_points"] = 100 * (fast["wer"] - ref["wer"])
        print(f"faster-whisper is {summary['speed_ratio']:.1f}x faster than openai-whisper (target >= 5x); "
              f"WER difference {summary['wer_difference_points']:+.2f} points (target <= +0.5)")
        if fast["asr_s"] and ref["asr_s"]:
            summary["asr_speed_ratio"] = ref["asr_s"] / fast["asr_s"]
            print(f"decode+ASR alone (no model loading, no notes): {summary['asr_speed_ratio']:.1f}x")
    if "faster-whisper" in by:
        print(f"whole-pipeline RTF (faster-whisper) {by['faster-whisper']['rtf']:.3f} (target <= 0.06)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
