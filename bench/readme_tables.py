"""Write the README's benchmark tables from ``bench/results/*.json``, so that the figures
the README shows are the ones the last benchmark run wrote.

    .venv/bin/python bench/readme_tables.py        # after bench/talks.py and bench/notes.py

Replaces what lies between ``<!-- NAME -->`` and ``<!-- /NAME -->`` for NAME in
talks-table, talks-targets, notes-table and notes-targets; a missing results file leaves its tables as
they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def talks_tables(data: dict) -> dict[str, str]:
    m, g, rt = data["means"], data["guards"], data["runtime"]
    names = [("written_en", "written, English"), ("written_zh", "written, Mandarin"), ("written_all", "written, all"),
             ("real_en", "real, English (Lex Fridman)"), ("real_zh", "real, Mandarin podcasts"), ("real_all", "real, all")]
    rows = ["| set | talks | F1@15 s | F1@30 s | Pk | chapters / people's | count within 0.6–1.6× | title recall |",
            "|---|---|---|---|---|---|---|---|"]
    for key, label in names:
        r = m[key]
        rows.append(f"| {label} | {r['talks']} | {r['f1_15']:.2f} | {r['f1_30']:.2f} | {r['pk']:.2f} | "
                    f"{r['ratio']:.2f} | {r['count_in_band']}/{r['talks']} | {r['title_recall']:.2f} |")
    we, wz, ra, wa = m["written_en"], m["written_zh"], m["real_all"], m["written_all"]
    long = next((t for t in data["talks"] if t["id"] == "dev_zh_long"), None)
    targets = ["| target (issue 11) | figure | |", "|---|---|---|"]
    for label, r in (("English", we), ("Mandarin", wz)):
        targets.append(f"| written, {label}: F1@15 ≥ 0.60, Pk ≤ 0.25 | {r['f1_15']:.2f}, {r['pk']:.2f} | "
                       f"F1 {_verdict(r['f1_15'] >= 0.60)}, Pk {_verdict(r['pk'] <= 0.25)} |")
    if long:
        parts = ", ".join(str(round(s)) for s, _ in long["parts"])
        gold = ", ".join(str(round(s)) for s in long["gold_parts"])
        targets.append(f"| the long keynote's parts: F1@30 ≥ 0.8 | {long['part_f1_30']:.2f} (parts at {parts} s; "
                       f"people's {gold}) | {_verdict(long['part_f1_30'] >= 0.8)} |")
    targets += [
        f"| real: F1@30 ≥ 0.45 | {ra['f1_30']:.2f} (0.17 before) | {_verdict(ra['f1_30'] >= 0.45)} |",
        f"| real: count within 0.6–1.6× on ≥ 6 of 8 | {ra['count_in_band']} of {ra['talks']} | "
        f"{_verdict(ra['count_in_band'] >= 6)} |",
        f"| written: no one-word title, none repeated | {wa['one_word_titles']} one-word, {wa['repeated_titles']} "
        f"repeated | {_verdict(wa['one_word_titles'] == 0 and wa['repeated_titles'] == 0)} |",
        f"| 3 h, {rt['sentences']} sentences, embedding included: < 10 s | {rt['total_s']:.1f} s "
        f"({rt['embed_s']:.1f} s embedding; {rt['chapters']} chapters, {rt['parts']} parts) | "
        f"{_verdict(rt['total_s'] < 10)} |",
        f"| guards: Choi 3–11 Pk ≤ 0.12; the sample's {g['sample_topics']} topic starts within ±20 s | "
        f"{g['choi_3_11_pk']:.3f}; {g['sample_topic_starts_within_20s']} of {g['sample_topics']} "
        f"(QMSum Pk {g['qmsum_pk']:.3f}) | "
        f"{_verdict(g['choi_3_11_pk'] <= 0.12 and g['sample_topic_starts_within_20s'] == g['sample_topics'])} |"]
    return {"talks-table": "\n".join(rows), "talks-targets": "\n".join(targets)}


def notes_table(data: dict) -> dict[str, str]:
    rows = ["| run | key-point coverage (English, Mandarin) | notes words / 100 | fragments | overview "
            "(talks > 5 min) | key-point times not a sentence's |", "|---|---|---|---|---|---|"]
    for name, run in data["runs"].items():
        r = run["means"]
        rows.append(f"| `{name}` | {r['coverage']:.2f} ({r['coverage_en']:.2f}, {r['coverage_zh']:.2f}) | "
                    f"{r['notes_per_100']:.1f} | {r['fragments']:.2f} | {r['with_overview']}/{r['longer_than_5_min']} | "
                    f"{r['times_not_from_sentences']} |")
    d = data["runs"]["default (--length 15)"]["means"]
    llm_runs = [r["means"] for name, r in data["runs"].items() if name.startswith("--llm")]
    targets = ["| target (issue 12) | figure | |", "|---|---|---|",
               f"| default: key-point coverage ≥ 0.55 within the budget (≤ 15 words / 100) | {d['coverage']:.2f} at "
               f"{d['notes_per_100']:.1f} words / 100 | {_verdict(d['coverage'] >= 0.55 and d['notes_per_100'] <= 15)} |",
               f"| fragments ≤ 5 % of summary sentences | {100 * d['fragments']:.0f} % | "
               f"{_verdict(d['fragments'] <= 0.05)} |",
               f"| an overview on every talk over 5 minutes | {d['with_overview']} of {d['longer_than_5_min']} | "
               f"{_verdict(d['with_overview'] == d['longer_than_5_min'])} |",
               "| `--llm`: every fault ends in one warning and the extractive notes, exit 0 | refused connection, "
               "timeout, HTTP 500, not JSON, an answer of the wrong shape, a point citing no sentence, bad "
               "options (`tests/test_llm.py`, against a server the test starts) | **met** |"]
    if llm_runs:
        bad = sum(r["times_not_from_sentences"] for r in llm_runs)
        targets.append(f"| `--llm`: no time that is not a transcript sentence's | {bad} | {_verdict(bad == 0)} |")
    return {"notes-table": "\n".join(rows), "notes-targets": "\n".join(targets)}


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    blocks: dict[str, str] = {}
    for name, build in (("talks.json", talks_tables), ("notes.json", notes_table)):
        path = RESULTS / name
        if path.is_file():
            blocks.update(build(json.loads(path.read_text(encoding="utf-8"))))
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- {name} --> block")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    readme.write_text(text, encoding="utf-8")
    print(f"README.md: {', '.join(blocks) or 'nothing'} written")


if __name__ == "__main__":
    main()
