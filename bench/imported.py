"""Imported subtitles: do cues cut by another tool give the same sentences and chapters
as the talk's own sentences?

Each talk of ``../shared/eval/talks`` (see bench/talks.py) is read from its timed
transcript (one sentence a line) and written again as subtitles the way other
tools cut them, with no regard for sentences: cues of at most 84 characters
(2 lines of 42) and 6 s, cut at a word. Three forms:

* ``srt``: those cues, punctuated as the transcript is;
* ``srt-rolling``: YouTube's rolling auto-captions (each cue repeats the line
  before it), as WebVTT;
* ``srt-bare``: lower case without punctuation, as auto-captions often are.

Each goes through the product's path (``readers.load_transcript`` then
``pipeline.build_notes``), and is scored against the transcript read directly:
sentence-start F1 (a start within 1 s of a true one counts), sentences per true
sentence, and chapter boundary F1 at ±30 s against the editors' chapters.

Run: ``python bench/imported.py [--eval ../shared/eval] [--talks N]``; prints a table and
writes ``bench/results/imported.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from transcribe import readers, render
from transcribe.pipeline import build_notes

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "imported.json"
sys.path.insert(0, str(ROOT / "bench"))

CUE_CHARS, CUE_S = 84, 6.0


def cues(words) -> list[tuple[float, float, str]]:
    """Word timings cut into cues of at most :data:`CUE_CHARS` characters and :data:`CUE_S` seconds."""
    out, current = [], []
    for w in words:
        text = "".join(x.text for x in current + [w]).strip()
        if current and (len(text) > CUE_CHARS or w.end - current[0].start > CUE_S):
            out.append((current[0].start, current[-1].end, "".join(x.text for x in current).strip()))
            current = []
        current.append(w)
    if current:
        out.append((current[0].start, current[-1].end, "".join(x.text for x in current).strip()))
    return out


def spread(segments, zh: bool) -> list:
    """Each line's time shared by its words' (Mandarin: characters') lengths (the bench's own,
    so that the same cues are made whichever version of the reader runs)."""
    from transcribe.asr import Word

    words = []
    for seg in segments:
        tokens = list(seg.text.strip()) if zh else [" " + t for t in seg.text.split()]
        step = (seg.end - seg.start) / max(1, sum(len(t.strip()) for t in tokens))
        t = seg.start
        for token in tokens:
            words.append(Word(t, t + step * len(token.strip()), token))
            t += step * len(token.strip())
    return words


def stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def write_srt(path: Path, cue_list) -> None:
    path.write_text("".join(f"{i}\n{stamp(a, ',')} --> {stamp(b, ',')}\n{t}\n\n"
                            for i, (a, b, t) in enumerate(cue_list, 1)), encoding="utf-8")


def write_rolling_vtt(path: Path, cue_list) -> None:
    lines, previous = ["WEBVTT", ""], ""
    for a, b, t in cue_list:
        lines += [f"{stamp(a, '.')} --> {stamp(b, '.')}", *([previous] if previous else []), t, ""]
        previous = t
    path.write_text("\n".join(lines), encoding="utf-8")


def bare(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c.isspace() or c in "'-")


def start_f1(hyp: list[float], ref: list[float], tol: float = 1.0) -> float:
    if not hyp or not ref:
        return 0.0
    ref_a = np.array(ref)
    hit_h = sum(np.min(np.abs(ref_a - h)) <= tol for h in hyp)
    hyp_a = np.array(hyp)
    hit_r = sum(np.min(np.abs(hyp_a - r)) <= tol for r in ref)
    p, r = hit_h / len(hyp), hit_r / len(ref)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def main() -> None:
    from talks import boundary_scores, talk_files

    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--talks", type=int, default=0, help="only the first N talks (0 = all)")
    args = ap.parse_args()
    rows = []
    files = talk_files(args.eval)
    for kind, transcript_path, gold_path in files[:args.talks or None]:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        ref = [c["start"] for c in gold["chapters"]][1:]
        tr, _ = readers.load_transcript(transcript_path)
        header = render.NotesHeader(source=transcript_path.name, duration=tr.duration, language=tr.language,
                                    model="none")
        base = build_notes(tr, header)
        true_starts = [s.start for s in base.sentences]
        cue_list = cues(spread(tr.segments, gold["language"] == "zh"))
        row = {"id": gold["id"], "language": gold["language"], "cues": len(cue_list),
               "sentences": len(base.sentences),
               "txt_f1_30": boundary_scores([n.chapter.start for n in base.chapters], ref, gold["duration"], 30.0)[0]}
        with tempfile.TemporaryDirectory() as tmp:
            forms = {"srt": Path(tmp) / "a.srt", "srt-rolling": Path(tmp) / "b.vtt", "srt-bare": Path(tmp) / "c.srt"}
            write_srt(forms["srt"], cue_list)
            write_rolling_vtt(forms["srt-rolling"], cue_list)
            write_srt(forms["srt-bare"], [(a, b, bare(t)) for a, b, t in cue_list])
            for name, path in forms.items():
                t2, _ = readers.load_transcript(path, language=tr.language)
                notes = build_notes(t2, header)
                starts = [s.start for s in notes.sentences]
                row[name] = {"sentence_start_f1": start_f1(starts, true_starts),
                             "sentences_per_true": len(starts) / max(1, len(true_starts)),
                             "words_per_true": sum(len(s.text.split()) for s in notes.sentences)
                             / max(1, sum(len(s.text.split()) for s in base.sentences)),
                             "f1_30": boundary_scores([n.chapter.start for n in notes.chapters], ref,
                                                      gold["duration"], 30.0)[0]}
        rows.append(row)
        print(f"{row['id']:36s} {row['language']} cues {row['cues']:5d} sents {row['sentences']:5d} "
              f"txt F1@30 {row['txt_f1_30']:.2f} | "
              + " | ".join(f"{k} startF1 {row[k]['sentence_start_f1']:.2f} n/true {row[k]['sentences_per_true']:.2f} "
                           f"F1@30 {row[k]['f1_30']:.2f}" for k in forms), flush=True)
    summary = {"txt_f1_30": float(np.mean([r["txt_f1_30"] for r in rows]))}
    for k in ("srt", "srt-rolling", "srt-bare"):
        for lang in ("en", "zh"):
            sub = [r[k] for r in rows if r["language"] == lang]
            if sub:
                summary[f"{k}_{lang}"] = {m: float(np.mean([s[m] for s in sub])) for m in sub[0]}
    print(json.dumps(summary, indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
