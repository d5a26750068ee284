"""Chapter quality benchmark: the field's metrics on human-labelled data.

Datasets (read from ``../shared/eval``; see its README.md):

* Choi (2000), 4 subsets x 50 documents: Pk and WindowDiff (``segeval``), with
  the true number of segments not given and given.
* QMSum test meetings (35 AMI/ICSI/parliament transcripts; speaker turns are
  the units): Pk and WindowDiff.
* Time axis on audio: ``samples/talk.mp4`` and
  ``video/lj_two_topics_blackframe.webm`` (gold boundary at 610.141 s):
  boundary F1 with a ±30 s collar and Pk on a 6 s grid (``chunkseg``), and
  extra boundaries per 10 minutes.
* Runtime of segmentation alone (embedding excluded, and included) for a
  2,500-sentence, 3-hour transcript built from QMSum turns.

Baseline: classic TextTiling (Hearst 1997) as implemented by NLTK
(``TextTilingTokenizer``, w=20, k=10, spaCy's English stop words), run on the
same data. Prints a table and writes ``bench/results/chapters.json``.

Run: ``pip install '.[bench]' && python bench/chapters.py [--eval ../shared/eval] [--quick]``.
The LJ video is transcribed once and cached in ``bench/.cache/``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import segeval

from transcribe import asr, chapters, media
from transcribe.asr import Transcript
from transcribe.sentences import Sentence, load_nlp, split_sentences

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "chapters.json"
CACHE = ROOT / "bench" / ".cache"


def masses(starts: list[int], n: int) -> tuple[int, ...]:
    """Segment lengths from chapter start indices (0 excluded)."""
    b = [0] + sorted(s for s in starts if 0 < s < n) + [n]
    return tuple(b[i + 1] - b[i] for i in range(len(b) - 1))


def untimed(texts: list[str]) -> list[Sentence]:
    return [Sentence(i, float(i), float(i + 1), t) for i, t in enumerate(texts)]


def ours(texts: list[str], encoder, k: int | None = None) -> list[int]:
    sents = untimed(texts)
    vecs = chapters.embed(sents, encoder)
    return [c.first for c in chapters.segment(sents, vecs, float(len(sents)), k, timed=False)][1:]


def texttiling(texts: list[str]) -> list[int]:
    """NLTK TextTiling with each unit as a paragraph; boundaries as unit indices."""
    from nltk.tokenize.texttiling import TextTilingTokenizer
    from spacy.lang.en.stop_words import STOP_WORDS

    tt = TextTilingTokenizer(w=20, k=10, stopwords=sorted(STOP_WORDS))
    try:
        parts = tt.tokenize("\n\n".join(t.replace("\n", " ") for t in texts) + "\n\n")
    except ValueError:  # too short for its windows
        return []
    starts, count = [], 0
    for part in parts[:-1]:
        count += len([p for p in part.split("\n\n") if p.strip()])
        starts.append(count)
    return starts


def score(hyp: list[int], ref: list[int], n: int) -> tuple[float, float]:
    h, r = masses(hyp, n), masses(ref, n)
    return float(segeval.pk(h, r)), float(segeval.window_diff(h, r))


def load_choi(path: Path) -> tuple[list[str], list[int]]:
    texts, starts = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip() == "==========":
            if texts and (not starts or starts[-1] != len(texts)):
                starts.append(len(texts))
        elif line.strip():
            texts.append(line.strip())
    return texts, [s for s in starts if 0 < s < len(texts)]


def bench_choi(eval_dir: Path, encoder, limit: int | None) -> dict:
    out = {}
    for subset in ("3-5", "6-8", "9-11", "3-11"):
        files = sorted((eval_dir / "segmentation" / "choi2000" / "1" / subset).glob("*.ref"),
                       key=lambda p: int(p.stem))[:limit]
        rows = {"ours": [], "ours_k_given": [], "texttiling": []}
        for f in files:
            texts, ref = load_choi(f)
            rows["ours"].append(score(ours(texts, encoder), ref, len(texts)))
            rows["ours_k_given"].append(score(ours(texts, encoder, len(ref) + 1), ref, len(texts)))
            rows["texttiling"].append(score(texttiling(texts), ref, len(texts)))
        out[subset] = {m: {"pk": float(np.mean([r[0] for r in v])), "windowdiff": float(np.mean([r[1] for r in v])),
                           "docs": len(v)} for m, v in rows.items()}
    return out


def clean_turn(text: str) -> str:
    return re.sub(r"\{\w+\}", " ", text).strip() or "."


def bench_qmsum(eval_dir: Path, encoder, limit: int | None) -> dict:
    folder = eval_dir / "segmentation" / "qmsum"
    meta = {}
    for line in (folder / "qmsum_test_topics_and_summaries.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        meta[d["meeting_id"]] = d["linear_boundaries_turn_index"]
    rows = {"ours": [], "texttiling": []}
    counts = []
    for mid in sorted(meta)[:limit]:
        turns = json.loads((folder / "test" / f"{mid}.json").read_text(encoding="utf-8"))["meeting_transcripts"]
        texts = [clean_turn(t["content"]) for t in turns]
        ref = meta[mid]
        hyp = ours(texts, encoder)
        counts.append((len(hyp) + 1, len(ref) + 1))
        rows["ours"].append(score(hyp, ref, len(texts)))
        rows["texttiling"].append(score(texttiling(texts), ref, len(texts)))
    out = {m: {"pk": float(np.mean([r[0] for r in v])), "windowdiff": float(np.mean([r[1] for r in v])),
               "meetings": len(v)} for m, v in rows.items()}
    out["ours"]["mean_segments"] = float(np.mean([c[0] for c in counts]))
    out["reference_mean_segments"] = float(np.mean([c[1] for c in counts]))
    return out


def transcript_for(media_path: Path) -> Transcript:
    """The sample's committed transcript, or a cached one made with the default model."""
    committed = media_path.with_suffix(".asr.json")
    if committed.is_file():
        return Transcript.load(committed)
    cached = CACHE / (media_path.name + ".transcript.json")
    if cached.is_file():
        return Transcript.load(cached)
    print(f"transcribing {media_path.name} once (cached in {CACHE}) ...", file=sys.stderr)
    audio = media.decode(media.probe(media_path))
    tr = asr.transcribe(audio, asr.load_model())
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(tr.to_json(), encoding="utf-8")
    return tr


def bench_audio(eval_dir: Path, encoder) -> dict:
    import chunkseg

    cases = [(ROOT / "samples" / "talk.mp4",
              [c["start"] for c in json.loads((ROOT / "samples" / "talk.chapters.json").read_text())["chapters"]][1:]),
             (eval_dir / "video" / "lj_two_topics_blackframe.webm", [610.141])]
    out = {}
    for path, gold in cases:
        tr = transcript_for(path)
        sents = split_sentences(tr, load_nlp(tr.language))
        vecs = chapters.embed(sents, encoder)
        hyp = [c.start for c in chapters.segment(sents, vecs, tr.duration)][1:]
        r = chunkseg.evaluate(hyp, gold, tr.duration, chunk_size=6.0, collar=30.0)
        found = sum(any(abs(h - g) <= 30 for h in hyp) for g in gold)
        extra = sum(not any(abs(h - g) <= 30 for g in gold) for h in hyp)
        out[path.name] = {"boundaries": [round(float(h), 1) for h in hyp], "gold": gold,
                          "collar30_f1": r["collar_f1"], "pk_6s": r["pk"], "found": f"{found}/{len(gold)}",
                          "extra_per_10min": extra / (tr.duration / 600.0)}
    return out


def bench_runtime(eval_dir: Path, encoder) -> dict:
    folder = eval_dir / "segmentation" / "qmsum" / "test"
    texts = []
    for f in sorted(folder.glob("*.json")):
        turns = json.loads(f.read_text(encoding="utf-8"))["meeting_transcripts"]
        texts += [clean_turn(t["content"]) for t in turns if len(t["content"].split()) >= 6]
        if len(texts) >= 2500:
            break
    texts = texts[:2500]
    step = 3 * 3600 / len(texts)
    sents = [Sentence(i, i * step, i * step + step - 0.5, t) for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    vecs = chapters.embed(sents, encoder)
    t1 = time.perf_counter()
    chs = chapters.segment(sents, vecs, 3 * 3600.0)
    t2 = time.perf_counter()
    return {"sentences": len(sents), "embed_s": t1 - t0, "segment_s": t2 - t1,
            "segment_s_per_1000": (t2 - t1) / len(sents) * 1000, "total_s": t2 - t0, "chapters": len(chs)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--quick", action="store_true", help="10 documents per Choi subset, 10 meetings")
    args = ap.parse_args()
    limit = 10 if args.quick else None
    encoder = chapters.load_encoder()
    started = time.perf_counter()
    results = {"choi": bench_choi(args.eval, encoder, limit), "qmsum": bench_qmsum(args.eval, encoder, limit),
               "audio": bench_audio(args.eval, encoder), "runtime": bench_runtime(args.eval, encoder)}
    results["bench_seconds"] = time.perf_counter() - started

    print("\nChoi 2000 (Pk / WindowDiff, lower is better)")
    print(f"{'subset':<8}{'ours':>16}{'ours, k given':>18}{'TextTiling':>16}")
    for subset, r in results["choi"].items():
        cells = [f"{r[m]['pk']:.3f} / {r[m]['windowdiff']:.3f}" for m in ("ours", "ours_k_given", "texttiling")]
        print(f"{subset:<8}{cells[0]:>16}{cells[1]:>18}{cells[2]:>16}")
    q = results["qmsum"]
    print(f"\nQMSum test meetings ({q['ours']['meetings']}): ours Pk {q['ours']['pk']:.3f} / WD "
          f"{q['ours']['windowdiff']:.3f} ({q['ours']['mean_segments']:.1f} segments, reference "
          f"{q['reference_mean_segments']:.1f}); TextTiling Pk {q['texttiling']['pk']:.3f} / WD "
          f"{q['texttiling']['windowdiff']:.3f}")
    print("\nAudio (±30 s collar, Pk on a 6 s grid)")
    for name, r in results["audio"].items():
        print(f"{name}: found {r['found']}, F1 {r['collar30_f1']:.2f}, Pk {r['pk_6s']:.3f}, "
              f"extra/10 min {r['extra_per_10min']:.2f}, boundaries {r['boundaries']} (gold {r['gold']})")
    rt = results["runtime"]
    print(f"\nRuntime, {rt['sentences']} sentences (3 h): segmentation {rt['segment_s']:.2f} s "
          f"({rt['segment_s_per_1000']:.2f} s per 1,000), with embedding {rt['total_s']:.1f} s, "
          f"{rt['chapters']} chapters")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({results['bench_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
