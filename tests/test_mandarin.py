"""Mandarin: one script (simplified by default), sentences without punctuation, short titles,
localised labels; and the real THCHS-30 clips through the CLI when ../shared/eval is present."""

from __future__ import annotations

import json
import re
from pathlib import Path

import opencc
import pytest

from conftest import ROOT, ffmpeg, run_cli
from transcribe.asr import Segment, Transcript, Word
from transcribe.sentences import convert_script, load_nlp, split_sentences

SPEECH_ZH = ROOT.parent / "shared" / "eval" / "speech_zh"
T2S = opencc.OpenCC("t2s")
S2T = opencc.OpenCC("s2t")


def _seg(text: str, start: float, step: float = 0.25) -> Segment:
    words = [Word(start + i * step, start + i * step + step * 0.9, c) for i, c in enumerate(text)]
    return Segment(start, words[-1].end, text, words)


def test_traditional_is_converted_to_simplified_and_back():
    tr = Transcript([_seg("蘇北軍的一些愛國將士", 0.0)], "zh", 5.0, "base")
    simple = convert_script(tr, "simplified")
    assert simple.segments[0].text == "苏北军的一些爱国将士"
    assert "".join(w.text for w in simple.segments[0].words) == "苏北军的一些爱国将士"
    assert [w.start for w in simple.segments[0].words] == [w.start for w in tr.segments[0].words]
    assert convert_script(simple, "traditional").segments[0].text == "蘇北軍的一些愛國將士"
    english = Transcript([_seg("abc", 0.0)], "en", 5.0, "base")
    assert convert_script(english, "simplified") is english


def test_unpunctuated_mandarin_is_cut_at_segment_ends():
    segs = [_seg("今天我们讨论北京的天气", 0.0), _seg("明天会下雨气温会降低", 4.0), _seg("大家出门要带伞", 8.0)]
    sents = split_sentences(Transcript(segs, "zh", 12.0, "base"), load_nlp("zh"))
    assert [s.text for s in sents] == ["今天我们讨论北京的天气", "明天会下雨气温会降低", "大家出门要带伞"]
    assert [s.start for s in sents] == [0.0, 4.0, 8.0]


def _thchs_clip(tmp_path: Path) -> Path:
    clips = sorted((SPEECH_ZH / "thchs30").glob("D4_75*.wav"))
    if len(clips) < 5:
        pytest.skip("../shared/eval/speech_zh not present")
    out = tmp_path / "新闻 播报.m4a"
    inputs = [arg for c in clips for arg in ("-i", str(c))]
    ffmpeg(*inputs, "-filter_complex", f"concat=n={len(clips)}:v=0:a=1", "-c:a", "aac", str(out))
    return out


def _cjk(text: str) -> str:
    return "".join(c for c in text if "\u4e00" <= c <= "\u9fff")


def test_real_mandarin_speech_gives_simplified_notes_with_chinese_labels(tmp_path):
    clip = _thchs_clip(tmp_path)
    proc = run_cli(clip, "-q", "--format", "md", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "新闻 播报.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "新闻 播报.json").read_text(encoding="utf-8"))
    assert data["metadata"]["language"] == "zh"
    assert "## 目录" in md and "**摘要:**" in md and "- **语言:** zh" in md
    text = _cjk(" ".join(s["text"] for s in data["sentences"]))
    assert len(text) > 100 and T2S.convert(text) == text  # simplified throughout
    assert any(c in "".join(s["text"] for s in data["sentences"]) for c in "。，,？！")  # punctuated
    for chapter in data["chapters"]:
        assert 0 < len(chapter["title"]) <= 20 and "\ufffd" not in chapter["title"]
    assert len(data["sentences"]) >= 5

    # the same transcript, traditional script: no ASR again
    proc = run_cli(clip, "-q", "--script", "traditional", "--force")
    assert proc.returncode == 0, proc.stderr
    md_trad = (tmp_path / "新闻 播报.md").read_text(encoding="utf-8")
    body = _cjk(md_trad.split("## ", 2)[2])
    assert S2T.convert(body) == body and body != T2S.convert(body)


def test_translate_gives_english_notes_with_the_speech_times(tmp_path):
    clip = _thchs_clip(tmp_path)
    proc = run_cli(clip, "-q", "--translate", "--format", "json", "-o", tmp_path / "en.json")
    assert proc.returncode == 0, proc.stderr
    assert "confidence is very low" not in proc.stderr  # a translation's word probabilities are low anyway
    data = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))
    assert data["metadata"]["language"] == "en" and data["metadata"]["spoken_language"] == "zh"
    text = " ".join(s["text"] for s in data["sentences"])
    latin = re.findall(r"[A-Za-z]", text)
    # English; Whisper base's translation (temperature fallback samples) may keep a stray hanzi
    assert len(re.findall(r"[A-Za-z]+", text)) > 20 and len(_cjk(text)) <= 0.05 * len(latin)
    assert all(0 <= s["start"] <= s["end"] <= data["metadata"]["duration"] + 0.5 for s in data["sentences"])
    # whole words, not the sub-word tokens Whisper times Mandarin's translation in ("D", "eng")
    words = [w["text"] for s in data["segments"] for w in s["words"]]
    assert words and not [w for w in words[1:] if re.match(r"[A-Za-z]", w)]


def test_traditional_script_follows_phrases_not_single_characters():
    words = [Word(i * 0.2, i * 0.2 + 0.15, t) for i, t in enumerate(["他", "给", "买了", "饼", "干", "和", "头", "发"])]
    tr = Transcript([Segment(0.0, 2.0, "他给买了饼干和头发", words)], "zh", 2.0, "base")
    converted = convert_script(tr, "traditional").segments[0]
    assert converted.text == "他給買了餅乾和頭髮"
    assert "".join(w.text for w in converted.words) == "他給買了餅乾和頭髮"
    assert [len(w.text) for w in converted.words] == [len(w.text) for w in words]
