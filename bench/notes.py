"""Notes benchmark: do the notes tell someone who missed the talk what was said?

On the 10 written talks of ``../shared/eval/talks/written`` (every chapter with the
2–4 key facts a correct summary must convey), each read from its timed transcript
through the product's path (:func:`transcribe.readers.load_transcript`,
:func:`transcribe.pipeline.build_notes`) and scored by the set's reference scorer
``talks/tools/score_keypoints.py`` on the notes' JSON:

* key-point coverage: the share of key points half of whose content words
  (Mandarin: character bigrams) are in the notes of the chapters overlapping theirs;
* notes words (titles, summaries, key points) per 100 transcript words;
* the share of summary sentences that read as fragments;

and whether there is an overview (talks over 5 minutes), and the overview's length.
Rows for the default length budget (15) and for ``--length 30``; with ``--llm URL``
(and ``--llm-model``), also for the notes a language model writes.

Run: ``pip install '.[bench]' && python bench/notes.py [--eval ../shared/eval] [--llm URL --llm-model NAME
[--llm-only]]`` (``--llm-only`` keeps the extractive rows already in the results file).
Prints the table and writes ``bench/results/notes.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from transcribe import readers, render
from transcribe.llm import LLMSettings
from transcribe.pipeline import build_notes

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "notes.json"
LINE = re.compile(r"coverage=([\d.]+) notes_per_100_words=([\d.]+) fragments=([\d.]+)")


def score(notes_json: str, gold: Path, scorer: Path) -> dict:
    """The reference scorer's figures for one talk's notes."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as fh:
        fh.write(notes_json)
    out = subprocess.run([sys.executable, str(scorer), fh.name, str(gold)], capture_output=True, text=True,
                         check=True).stdout
    Path(fh.name).unlink()
    m = LINE.search(out)
    return {"coverage": float(m[1]), "notes_per_100": float(m[2]), "fragments": float(m[3]), "line": out.strip()}


def _foreign_times(notes: render.Notes) -> int:
    """Key-point and overview times that are neither a sentence's start nor a chapter's."""
    starts = {s.start for s in notes.sentences} | {n.chapter.start for n in notes.chapters}
    return (sum(p.time not in starts for n in notes.chapters for p in n.key_points)
            + sum(o.time not in starts for o in notes.overview))


def run(eval_dir: Path, length: float, llm: LLMSettings | None = None) -> list[dict]:
    written = eval_dir / "talks" / "written"
    scorer = eval_dir / "talks" / "tools" / "score_keypoints.py"
    rows = []
    for gold in sorted(written.glob("*.gold.json")):
        if gold.name.endswith(".audio-gold.json"):
            continue
        tr, _ = readers.load_transcript(gold.with_name(gold.name.replace(".gold.json", ".timed.txt")))
        header = render.NotesHeader(source=gold.name, duration=tr.duration, language=tr.language, model="none")
        started = time.perf_counter()
        notes = build_notes(tr, header, length=length, llm_settings=llm)
        row = {"id": gold.name.split(".")[0], "language": tr.language, "minutes": tr.duration / 60,
               "seconds": time.perf_counter() - started, **score(render.render_json(notes), gold, scorer),
               "overview_items": len(notes.overview),
               "times_not_from_sentences": _foreign_times(notes),
               "overview_words": sum(len(o.text) / 2 if tr.language == "zh" else len(o.text.split())
                                     for o in notes.overview)}
        rows.append(row)
        print(f"  {row['id']:<12} coverage {row['coverage']:.2f}  words/100 {row['notes_per_100']:5.1f}  "
              f"fragments {row['fragments']:.2f}  overview {row['overview_items']}", flush=True)
    return rows


def summary(rows: list[dict]) -> dict:
    out = {k: float(np.mean([r[k] for r in rows])) for k in ("coverage", "notes_per_100", "fragments")}
    for lang in ("en", "zh"):
        chosen = [r for r in rows if r["language"] == lang]
        out[f"coverage_{lang}"] = float(np.mean([r["coverage"] for r in chosen])) if chosen else float("nan")
    out["times_not_from_sentences"] = sum(r["times_not_from_sentences"] for r in rows)
    out["with_overview"] = sum(r["overview_items"] >= 5 for r in rows if r["minutes"] > 5)
    out["longer_than_5_min"] = sum(r["minutes"] > 5 for r in rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--llm", help="base URL of an OpenAI-compatible server: also score its notes")
    ap.add_argument("--llm-model", default=None)
    ap.add_argument("--llm-only", action="store_true",
                    help="score only --llm; keep the extractive rows of bench/results/notes.json")
    args = ap.parse_args()
    started = time.perf_counter()
    runs = {}
    plan = [("default (--length 15)", 15.0, None), ("--length 30", 30.0, None)]
    if args.llm_only and RESULTS.is_file():
        runs = {k: v for k, v in json.loads(RESULTS.read_text(encoding="utf-8"))["runs"].items()
                if not k.startswith("--llm")}
        plan = [p for p in plan if p[0] not in runs]
    if args.llm:
        plan.append(("--llm " + args.llm, 15.0, LLMSettings(args.llm.rstrip("/"), args.llm_model, timeout=300)))
    for name, length, llm in plan:
        print(name, flush=True)
        rows = run(args.eval, length, llm)
        runs[name] = {"talks": rows, "means": summary(rows)}
        save(runs, started)  # each run as it ends: a long --llm run that is stopped loses only itself
    print(f"\n{'notes':<28}{'coverage':>9}{'en':>6}{'zh':>6}{'words/100':>11}{'fragments':>11}{'overview':>10}"
          f"{'times not from sentences':>26}")
    for name, r in runs.items():
        m = r["means"]
        print(f"{name:<28}{m['coverage']:>9.2f}{m['coverage_en']:>6.2f}{m['coverage_zh']:>6.2f}"
              f"{m['notes_per_100']:>11.1f}{m['fragments']:>11.2f}{m['with_overview']:>6d}/{m['longer_than_5_min']}"
              f"{m['times_not_from_sentences']:>26d}")
    m = runs["default (--length 15)"]["means"]
    verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    print(f"\nTargets (default): coverage {m['coverage']:.2f} >= 0.55 within the budget "
          f"({m['notes_per_100']:.1f} <= 15 words per 100: {verdict(m['notes_per_100'] <= 15)}): "
          f"{verdict(m['coverage'] >= 0.55)}; fragments {m['fragments']:.2f} <= 0.05: {verdict(m['fragments'] <= 0.05)}; "
          f"overview on {m['with_overview']}/{m['longer_than_5_min']} talks over 5 minutes: "
          f"{verdict(m['with_overview'] == m['longer_than_5_min'])}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def save(runs: dict, started: float) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": runs, "bench_seconds": time.perf_counter() - started}, indent=1,
                                  ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
