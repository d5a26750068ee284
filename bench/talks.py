"""Chapter benchmark on talks with chapters marked by people (``../shared/eval/talks``).

Sets (see ``../shared/eval/talks/README.md``):

* ``written/``: 10 talks written for this project (keynotes, lectures, a town
  hall, a conference talk, a podcast; 6 English, 4 Mandarin, one of them a
  50-minute annual keynote with parts), read from their ``.timed.txt``;
* ``real/``: 8 real long recordings (4 Lex Fridman shows, 4 Mandarin podcasts,
  50 min to 3.4 h) with the shows' own chapters, from ``.transcript.txt``.

Each transcript goes through the product's path (:func:`transcribe.readers.load_transcript`,
then :func:`transcribe.pipeline.build_notes`: sentences, embeddings, chapters,
parts, titles). Per talk and as means, English and Mandarin apart:

* boundary F1 at ±15 s and ±30 s collars and Pk on a 6 s grid (``chunkseg``, as
  ``talks/tools/score_chapters.py``; the first chapter start is not a boundary);
* predicted / true chapter count;
* **title recall**: for each true chapter, the predicted chapter overlapping it
  most in time; the share of the true title's content units found in that
  title (English: words of 4+ letters, not stop words, compared by their
  first 5 letters, as ``talks/tools/score_keypoints.py``; Mandarin: character
  bigrams), averaged over chapters. A title naming the chapter's subject in the
  editor's words scores 1, a generic one 0. Also: one-word titles, repeated titles;
* part-boundary F1 at ±30 s for the talks whose gold has parts.

Guards that must not get much worse: Choi 3–11 Pk (count not given), QMSum
Pk, the sample's 4 topic starts within ±20 s (``samples/talk.asr.json``), and
the segmentation time of a 3-hour, 2,500-sentence transcript, embedding included.

Run: ``pip install '.[bench]' && python bench/talks.py [--eval ../shared/eval] [--detail normal]``.
Prints the table and writes ``bench/results/talks.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from chunkseg.evaluate import evaluate

from transcribe import chapters, readers, render, sentences
from transcribe.pipeline import build_notes

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "talks.json"
sys.path.insert(0, str(ROOT / "bench"))

STOP = set("""about above after again against also among another because been before being below
between both could does doing down during each every from further have having here into itself just
more most much must only other over same should some such than that their them then there these
they this those through under until very what when where which while will with would your yours
said says like really going thing things think know people""".split())


def title_units(text: str, zh: bool) -> set[str]:
    """Content units of a title: Mandarin character bigrams, else 5-letter word stems."""
    if zh:
        han = re.sub(r"[^\u4e00-\u9fff]", " ", text)
        return {a + b for part in han.split() for a, b in zip(part, part[1:])}
    return {w[:5] for w in re.findall(r"[a-z][a-z'\-]{3,}", text.lower()) if w not in STOP}


def talk_files(eval_dir: Path) -> list[tuple[str, Path, Path]]:
    """``(set, transcript, gold)`` for every talk."""
    root = eval_dir / "talks"
    out = []
    for gold in sorted((root / "written").glob("*.gold.json")):
        if not gold.name.endswith(".audio-gold.json"):
            out.append(("written", gold.with_name(gold.name.replace(".gold.json", ".timed.txt")), gold))
    for gold in sorted((root / "real").glob("*.gold.json")):
        out.append(("real", gold.with_name(gold.name.replace(".gold.json", ".transcript.txt")), gold))
    return out


def boundary_scores(hyp: list[float], ref: list[float], duration: float, collar: float) -> tuple[float, float]:
    """``(F1 at the collar, Pk on a 6 s grid)``; 0 s starts are not boundaries."""
    m = evaluate([h for h in hyp if h > 0], [r for r in ref if r > 0], duration=duration, chunk_size=6.0,
                 collar=collar)
    return float(m["collar_f1"]), float(m["pk"])


def title_recall(notes: render.Notes, gold: dict, zh: bool) -> float:
    scores = []
    for g in gold["chapters"]:
        want = title_units(g["title"], zh)
        if not want:
            continue
        overlap = [min(n.chapter.end, g["end"]) - max(n.chapter.start, g["start"]) for n in notes.chapters]
        best = notes.chapters[int(np.argmax(overlap))]
        scores.append(len(want & title_units(best.title, zh)) / len(want))
    return float(np.mean(scores)) if scores else float("nan")


def one_word(title: str) -> bool:
    return len(title.split()) == 1 if not re.search(r"[\u4e00-\u9fff]", title) else len(title) <= 2


def score_talk(kind: str, transcript_path: Path, gold_path: Path, detail: str) -> dict:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    warnings: list[str] = []
    tr, _ = readers.load_transcript(transcript_path, warn=warnings.append)
    header = render.NotesHeader(source=transcript_path.name, duration=tr.duration, language=tr.language,
                                model="none")
    started = time.perf_counter()
    notes = build_notes(tr, header, detail=detail)
    seconds = time.perf_counter() - started
    if "end" not in gold["chapters"][0]:  # real/: ends are the next start
        for c, nxt in zip(gold["chapters"], gold["chapters"][1:] + [{"start": gold["duration"]}]):
            c["end"] = nxt["start"]
    zh = gold["language"] == "zh"
    hyp = [n.chapter.start for n in notes.chapters]
    ref = [c["start"] for c in gold["chapters"]][1:]
    f15, pk = boundary_scores(hyp, ref, gold["duration"], 15.0)
    f30, _ = boundary_scores(hyp, ref, gold["duration"], 30.0)
    titles = [n.title for n in notes.chapters]
    row = {"set": kind, "id": gold["id"], "language": gold["language"], "minutes": gold["duration"] / 60,
           "chapters": len(hyp), "gold_chapters": len(gold["chapters"]), "ratio": len(hyp) / len(gold["chapters"]),
           "f1_15": f15, "f1_30": f30, "pk": pk, "title_recall": title_recall(notes, gold, zh),
           "one_word_titles": sum(map(one_word, titles)), "repeated_titles": len(titles) - len(set(titles)),
           "titles": titles, "parts": [(round(p.part.start, 1), p.title) for p in notes.parts],
           "notes_seconds": seconds, "reader_warnings": warnings}
    if gold.get("parts"):
        row["part_f1_30"], _ = boundary_scores([p.part.start for p in notes.parts],
                                               [p["start"] for p in gold["parts"]][1:], gold["duration"], 30.0)
        row["gold_parts"] = [round(p["start"], 1) for p in gold["parts"]]
    return row


def means(rows: list[dict]) -> dict:
    keys = ("f1_15", "f1_30", "pk", "ratio", "title_recall")
    out = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    out["talks"] = len(rows)
    out["count_in_band"] = sum(0.6 <= r["ratio"] <= 1.6 for r in rows)
    out["one_word_titles"] = sum(r["one_word_titles"] for r in rows)
    out["repeated_titles"] = sum(r["repeated_titles"] for r in rows)
    return out


def guards(eval_dir: Path, encoder) -> dict:
    """Choi 3–11 (50 documents) and QMSum Pk, count not given; the sample's topic starts."""
    import chapters as old_bench  # bench/chapters.py: the loaders and scoring of the older benchmark

    from transcribe.asr import Transcript

    out: dict = {}
    choi = []
    for f in sorted((eval_dir / "segmentation" / "choi2000" / "1" / "3-11").glob("*.ref"), key=lambda p: int(p.stem)):
        texts, ref = old_bench.load_choi(f)
        choi.append(old_bench.score(old_bench.ours(texts, encoder), ref, len(texts))[0])
    out["choi_3_11_pk"] = float(np.mean(choi))
    q = old_bench.bench_qmsum(eval_dir, encoder, None)
    out["qmsum_pk"], out["qmsum_segments"] = q["ours"]["pk"], q["ours"]["mean_segments"]
    tr = Transcript.load(ROOT / "samples" / "talk.asr.json")
    sents = sentences.split_sentences(tr, sentences.load_nlp("en"))
    starts = [c.start for c in chapters.segment(sents, chapters.embed(sents, encoder), tr.duration)]
    truth = json.loads((ROOT / "samples" / "talk.chapters.json").read_text())["chapters"]
    out["sample_topic_starts_within_20s"] = sum(min(abs(s - t["start"]) for s in starts) <= 20 for t in truth)
    out["sample_topics"] = len(truth)
    out["sample_chapters"] = len(starts)
    return out


def runtime(eval_dir: Path, encoder) -> dict:
    """Embedding + chapters of a 3-hour transcript of 2,500 sentences (Lex Fridman #472, 1,900
    sentences, continued with #405's, times scaled to 3 h)."""
    sents: list = []
    for name in ("en_lex472_tao", "en_lex405_bezos"):
        tr, _ = readers.load_transcript(eval_dir / "talks" / "real" / f"{name}.transcript.txt")
        sents += sentences.split_sentences(tr, sentences.load_nlp("en"))
    sents = sents[:2500]
    step = 3 * 3600 / len(sents)
    sents = [sentences.Sentence(i, i * step, i * step + step - 0.5, s.text) for i, s in enumerate(sents)]
    t0 = time.perf_counter()
    vectors = chapters.embed(sents, encoder)
    t1 = time.perf_counter()
    found = chapters.outline(sents, vectors, 3 * 3600.0, "en")
    t2 = time.perf_counter()
    return {"sentences": len(sents), "embed_s": t1 - t0, "chapters_s": t2 - t1, "total_s": t2 - t0,
            "chapters": len(found.chapters), "parts": len(found.parts)}


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--detail", default="normal", choices=chapters.DETAILS)
    ap.add_argument("--no-guards", action="store_true", help="skip Choi, QMSum, the sample and the runtime")
    args = ap.parse_args()
    started = time.perf_counter()
    rows = []
    for kind, transcript_path, gold_path in talk_files(args.eval):
        rows.append(score_talk(kind, transcript_path, gold_path, args.detail))
        r = rows[-1]
        parts = f" parts F1@30 {r['part_f1_30']:.2f}" if "part_f1_30" in r else ""
        print(f"{r['set']:<8}{r['id']:<30}{r['minutes']:6.0f} min  {r['chapters']:3d}/{r['gold_chapters']:<3d}"
              f" F1@15 {r['f1_15']:.2f}  F1@30 {r['f1_30']:.2f}  Pk {r['pk']:.2f}  titles {r['title_recall']:.2f}"
              f"{parts}", flush=True)
    summary = {}
    for kind in ("written", "real"):
        for lang in ("en", "zh", "all"):
            chosen = [r for r in rows if r["set"] == kind and (lang == "all" or r["language"] == lang)]
            if chosen:
                summary[f"{kind}_{lang}"] = means(chosen)
    results = {"detail": args.detail, "talks": rows, "means": summary}
    encoder = None
    if not args.no_guards:
        encoder = chapters.load_encoder()
        results["guards"] = guards(args.eval, encoder)
        results["runtime"] = runtime(args.eval, encoder)
    results["bench_seconds"] = time.perf_counter() - started

    print(f"\nMeans (--detail {args.detail})")
    print(f"{'set':<14}{'talks':>6}{'F1@15':>8}{'F1@30':>8}{'Pk':>7}{'count':>8}{'in 0.6-1.6':>12}{'titles':>8}")
    for key, m in summary.items():
        print(f"{key:<14}{m['talks']:>6}{m['f1_15']:>8.2f}{m['f1_30']:>8.2f}{m['pk']:>7.2f}{m['ratio']:>8.2f}"
              f"{m['count_in_band']:>9d}/{m['talks']:<2d}{m['title_recall']:>8.2f}")
    if args.detail == "normal":
        print("\nTargets")
        for lang in ("en", "zh"):
            m = summary[f"written_{lang}"]
            print(f"  written {lang}: F1@15 {m['f1_15']:.2f} >= 0.60 {verdict(m['f1_15'] >= 0.60)}; "
                  f"Pk {m['pk']:.2f} <= 0.25 {verdict(m['pk'] <= 0.25)}")
        part_rows = [r for r in rows if r["id"] == "dev_zh_long"]
        if part_rows:
            p = part_rows[0]
            print(f"  dev_zh_long parts: F1@30 {p['part_f1_30']:.2f} >= 0.8 {verdict(p['part_f1_30'] >= 0.8)} "
                  f"(parts at {[s for s, _ in p['parts']]}, gold {p['gold_parts']})")
        m = summary["real_all"]
        print(f"  real: F1@30 {m['f1_30']:.2f} >= 0.45 {verdict(m['f1_30'] >= 0.45)}; count within 0.6-1.6x on "
              f"{m['count_in_band']}/8 >= 6 {verdict(m['count_in_band'] >= 6)}")
        w = summary["written_all"]
        print(f"  written titles: one-word {w['one_word_titles']} == 0 {verdict(w['one_word_titles'] == 0)}; "
              f"repeated {w['repeated_titles']} == 0 {verdict(w['repeated_titles'] == 0)}")
    if "runtime" in results:
        rt = results["runtime"]
        print(f"  3 h, {rt['sentences']} sentences: embedding {rt['embed_s']:.1f} s + chapters {rt['chapters_s']:.1f} s "
              f"= {rt['total_s']:.1f} s < 10 s {verdict(rt['total_s'] < 10)} ({rt['chapters']} chapters, "
              f"{rt['parts']} parts)")
        g = results["guards"]
        print(f"\nGuards: Choi 3-11 Pk {g['choi_3_11_pk']:.3f} <= 0.12 {verdict(g['choi_3_11_pk'] <= 0.12)}; "
              f"QMSum Pk {g['qmsum_pk']:.3f} ({g['qmsum_segments']:.1f} segments per meeting); "
              f"sample: {g['sample_topic_starts_within_20s']}/{g['sample_topics']} topic starts within 20 s "
              f"({g['sample_chapters']} chapters)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({results['bench_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
