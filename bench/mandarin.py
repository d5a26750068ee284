"""Mandarin accuracy of the default model on the real clips in ``../shared/eval/speech_zh``.

* AISHELL-1 (hanzi references): character error rate (CER) with ``jiwer.cer``,
  after simplified-script conversion and removing punctuation and spaces.
* THCHS-30 (references in tone-numbered pinyin): the hypothesis is turned into
  pinyin with ``pypinyin`` (``Style.TONE3``, neutral tone as 5) and the
  syllable error rate is ``jiwer.wer`` over syllables; also without tones.

Also reports how many hypothesis characters are traditional (should be 0 with
the default ``--script simplified``).

``--long`` (issue 15): the three 24–35-minute recordings of ``speech_zh/long`` (one speaker's
consecutive utterances each, human references), each through the real CLI (language
detected, default options, ``-f txt``), and per recording: CER (punctuation and spaces
removed, both sides simplified), hanzi per minute of the output against the reference's (a
loop shows as too many, a dropped stretch as too few), sentence punctuation marks per 100
hanzi, ASCII punctuation marks next to a Chinese character (should be 0: Chinese text takes
full-width ，。？！), and the whole pipeline's RTF. Figures go to ``bench/results/mandarin_long.json``.

Run: ``pip install '.[bench]' && python bench/mandarin.py [--eval ../shared/eval] [--long] [--only-long]``.
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

import jiwer
import opencc
from pypinyin import Style, lazy_pinyin

from transcribe import asr, media
from transcribe.sentences import convert_script

ROOT = Path(__file__).resolve().parent.parent


def hanzi(text: str) -> str:
    return "".join(re.findall(r"[\u4e00-\u9fff]", text))


def transcribe_zh(path: Path, model) -> tuple[str, str, float]:
    """(raw text, simplified text, seconds of audio)."""
    audio = media.decode(media.probe(path))
    tr = asr.transcribe(audio, model, language="zh")
    raw = "".join(s.text for s in tr.segments)
    simple = "".join(s.text for s in convert_script(tr, "simplified").segments)
    return raw, simple, audio.duration


FULL_PUNCT = "，。？！、；："
ASCII_BY_HANZI = re.compile(r"(?<=[\u4e00-\u9fff])[,.?!;:]|[,.?!;:](?=[\u4e00-\u9fff])")


def long_recordings(folder: Path, out: Path) -> list[dict]:
    """The ``--long`` figures, one dict per recording (see the module docstring)."""
    rows = []
    for audio in sorted(folder.glob("*.opus")):
        ref_lines = (folder / f"{audio.stem}.ref.txt").read_text(encoding="utf-8").splitlines()
        ref = hanzi(convert_script_text("".join(ref_lines)))
        duration = media.probe(audio).duration
        with tempfile.TemporaryDirectory() as tmp:
            notes = Path(tmp) / f"{audio.stem}.txt"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "transcribe", str(audio), "-o", str(notes)], check=True,
                           capture_output=True)
            wall = time.perf_counter() - started
            data = json.loads((Path(tmp) / f"{audio.stem}.transcript.json").read_text(encoding="utf-8"))
        text = convert_script_text("".join(s["text"] for s in data["segments"]))
        hyp = hanzi(text)
        row = {"recording": audio.stem, "minutes": round(duration / 60, 1), "language": data["language"],
               "cer": round(jiwer.cer(ref, hyp), 3),
               "hanzi_per_min": round(len(hyp) / (duration / 60), 1),
               "ref_hanzi_per_min": round(len(ref) / (duration / 60), 1),
               "punct_per_100": round(100 * sum(text.count(c) for c in FULL_PUNCT) / max(1, len(hyp)), 1),
               "ascii_punct_by_hanzi": len(ASCII_BY_HANZI.findall(text)),
               "rtf": round(wall / duration, 3), "wall_s": round(wall, 1)}
        print("  " + "  ".join(f"{k} {v}" for k, v in row.items()), flush=True)
        rows.append(row)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return rows


def convert_script_text(text: str) -> str:
    return opencc.OpenCC("t2s").convert(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--long", action="store_true", help="also the three long recordings (about 5 minutes)")
    ap.add_argument("--only-long", action="store_true", help="only the long recordings")
    args = ap.parse_args()
    zh = args.eval / "speech_zh"
    if args.long or args.only_long:
        print("long recordings (speech_zh/long), whole CLI:")
        long_recordings(zh / "long", ROOT / "bench" / "results" / "mandarin_long.json")
        if args.only_long:
            return
    model = asr.load_model()
    t2s = opencc.OpenCC("t2s")
    started = time.perf_counter()
    total_audio = 0.0
    traditional = chars = 0

    refs, hyps = [], []
    for wav in sorted((zh / "aishell1").glob("*.wav")):
        ref_file = next(wav.parent.glob(wav.stem + "*.txt"))
        ref = hanzi(ref_file.read_text(encoding="utf-8").split(None, 1)[1])
        raw, simple, secs = transcribe_zh(wav, model)
        total_audio += secs
        traditional += sum(1 for c in hanzi(simple) if t2s.convert(c) != c)
        chars += len(hanzi(simple))
        refs.append(ref)
        hyps.append(hanzi(simple))
        print(f"  {wav.stem}: ref {ref}\n  {'':{len(wav.stem)}}  hyp {hanzi(simple)}")
    aishell_cer = jiwer.cer(refs, hyps)

    pin_refs, pin_hyps, bare_refs, bare_hyps = [], [], [], []
    lines = (zh / "thchs30" / "reference_pinyin_thchs30.txt").read_text(encoding="utf-8").splitlines()
    for line in lines:
        utt, ref = line.split(None, 1)
        raw, simple, secs = transcribe_zh(zh / "thchs30" / f"{utt}.wav", model)
        total_audio += secs
        traditional += sum(1 for c in hanzi(simple) if t2s.convert(c) != c)
        chars += len(hanzi(simple))
        hyp = " ".join(lazy_pinyin(hanzi(simple), style=Style.TONE3, neutral_tone_with_five=True))
        pin_refs.append(ref.strip())
        pin_hyps.append(hyp)
        bare_refs.append(re.sub(r"\d", "", ref.strip()))
        bare_hyps.append(re.sub(r"\d", "", hyp))
    thchs_ser = jiwer.wer(pin_refs, pin_hyps)
    thchs_ser_toneless = jiwer.wer(bare_refs, bare_hyps)
    elapsed = time.perf_counter() - started

    print(f"AISHELL-1 ({len(refs)} utterances): CER {aishell_cer:.3f}")
    print(f"THCHS-30 ({len(pin_refs)} utterances): pinyin syllable error rate {thchs_ser:.3f} "
          f"(toneless {thchs_ser_toneless:.3f})")
    print(f"traditional characters in the output: {traditional} of {chars}")
    print(f"{total_audio:.1f} s of audio in {elapsed:.1f} s (RTF {elapsed / total_audio:.3f})")


if __name__ == "__main__":
    main()
