"""Long inputs: real-time factor and peak memory at 10 min, 1 h and 2 h of real speech.

Builds one long recording by joining the real English recordings in ../shared/eval
(LJ Speech 001 + 002 + the two-topic file, the Bush Columbia address, the Night of the
Living Dead clips; 77 minutes, repeated until it is long enough), cached in
``bench/.cache/long.opus``, then runs the real CLI (decode -> notes, default engine and
model) on its first 10 minutes, 1 hour and 2 hours, and prints for each: wall time,
real-time factor, peak RSS of the process (``ru_maxrss``), and peak RSS relative to the
10-minute run.

    pip install '.[bench]'
    python bench/long.py                       # 600,3600,7200 s
    python bench/long.py --lengths 600,10800   # add 3 hours

Targets (issue 4): peak RSS flat in duration (3 h <= 1.2 x 10 min) and <= 1.5 GB;
whole-pipeline RTF <= 0.06.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import run_measured

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval" / "speech_en"
CACHE = ROOT / "bench" / ".cache"


def sources() -> list[Path]:
    lj = EVAL / "ljspeech"
    files = [lj / "lj001_printing.opus", lj / "lj002_newgate.opus", lj / "lj_two_topics_printing_then_newgate.opus",
             EVAL / "gwbush_columbia_address" / "George_W_Bush_Columbia_FINAL.ogg"]
    files += sorted((EVAL / "night_of_the_living_dead_1968").glob("*.wav"))
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"{missing[0]}: not found (the evaluation data lives in ../shared/eval)")
    return files


def build(seconds: float) -> Path:
    """``bench/.cache/long.opus``: the sources joined (16 kHz mono Opus, 24 kb/s), repeated to ``seconds``."""
    import imageio_ffmpeg

    out = CACHE / "long.opus"
    if out.is_file() and json.loads(_probe(out)).get("duration", 0) >= seconds:
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    files = sources()
    unique = sum(json.loads(_probe(f))["duration"] for f in files)
    repeats = int(seconds // unique) + 1
    files = files * repeats
    args = [a for f in files for a in ("-i", str(f))]
    graph = "".join(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono[a{i}];" for i in range(len(files)))
    graph += "".join(f"[a{i}]" for i in range(len(files))) + f"concat=n={len(files)}:v=0:a=1[out]"
    tmp = out.with_suffix(".tmp.opus")
    print(f"building {out}: {unique / 60:.0f} min of recordings x {repeats}", flush=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args, "-filter_complex", graph,
                    "-map", "[out]", "-c:a", "libopus", "-b:a", "24k", str(tmp)], check=True)
    os.replace(tmp, out)
    return out


def _probe(path: Path) -> str:
    from transcribe import media

    return json.dumps({"duration": media.probe(path).duration})


def run(audio: Path, seconds: float, folder: Path) -> dict:
    """The CLI on the first ``seconds`` of ``audio``: wall time and peak RSS."""
    import imageio_ffmpeg

    clip = folder / f"long_{int(seconds)}s.opus"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(audio), "-t", str(seconds),
                    "-c", "copy", str(clip)], check=True)
    cmd = [sys.executable, "-m", "transcribe", str(clip), "-q", "-o", str(folder / f"{clip.stem}.md")]
    wall, peak, _err = run_measured(cmd)
    md = (folder / f"{clip.stem}.md").read_text(encoding="utf-8")
    transcript = json.loads((folder / f"{clip.stem}.transcript.json").read_text(encoding="utf-8"))
    clip.unlink()
    return {"seconds": transcript["duration"], "wall_s": wall, "rtf": wall / transcript["duration"],
            "peak_rss_mb": peak, "chapters": md.count("\n## "),
            "segments": len(transcript["segments"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", default="600,3600,7200", help="seconds, comma-separated")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "long.json")
    args = ap.parse_args()
    lengths = [float(x) for x in args.lengths.split(",")]
    audio = build(max(lengths))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in lengths:
            r = run(audio, seconds, Path(tmp))
            r["rss_vs_first"] = r["peak_rss_mb"] / (results[0]["peak_rss_mb"] if results else r["peak_rss_mb"])
            results.append(r)
            print(f"{r['seconds'] / 60:6.1f} min  wall {r['wall_s']:7.1f} s  RTF {r['rtf']:.3f}  "
                  f"peak RSS {r['peak_rss_mb']:6.0f} MB ({r['rss_vs_first']:.2f}x the first)  "
                  f"{r['chapters']} chapters", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"cores": os.cpu_count(), "runs": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
