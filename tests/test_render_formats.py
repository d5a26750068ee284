"""The notes' text (issue 16): chapter transcripts in the markdown, the plain ``txt`` format,
subtitles without orphan cues and with the whisper CLI's line options, and ``--script``
(labels in the chosen script, the same notes in every script). All through the real CLI,
on transcripts made here (no ASR); each failed before its change."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import opencc
import pysubs2
import pytest

from conftest import SAMPLE, SAMPLES, run_cli
from transcribe import outputs

T2S = opencc.OpenCC("t2s")


def transcript(path: Path, sentences: list[tuple[float, str]], language: str = "en", step: float = 0.4,
               by_char: bool = False) -> Path:
    """A transcript JSON as faster-whisper writes it: each sentence a segment starting at its time,
    its words (characters for Chinese) ``step`` seconds apart."""
    segments = []
    for start, text in sentences:
        tokens = list(text) if by_char else [" " + w for w in text.split()]
        words = [{"start": round(start + i * step, 3), "end": round(start + i * step + step * 0.8, 3), "text": t,
                  "probability": 0.9} for i, t in enumerate(tokens)]
        segments.append({"start": start, "end": words[-1]["end"], "text": "".join(tokens), "words": words})
    data = {"version": 1, "language": language, "duration": segments[-1]["end"] + 1.0, "model": "base",
            "source": {"file": path.name.split(".")[0] + ".m4a"}, "segments": segments}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _timeline(texts: list[str], pauses: dict[int, float], step: float = 0.4) -> list[tuple[float, str]]:
    """Sentences one after the other (0.2 s apart, or ``pauses[i]`` before sentence i)."""
    out, t = [], 0.0
    for i, text in enumerate(texts):
        t += pauses.get(i, 0.2 if i else 0.0)
        out.append((round(t, 3), text))
        t += len(text.split()) * step
    return out


SHUTTLE = ["My fellow Americans, this day has brought terrible news and great sadness to our country.",
           "At nine this morning, Mission Control in Houston lost contact with our Space Shuttle Columbia.",
           "A short time later, debris was seen falling from the skies above Texas.",
           "The Columbia is lost; there are no survivors.",
           "On board was a crew of seven: Colonel Rick Husband, Lt. Colonel Michael Anderson, and others.",
           "In the skies today we saw destruction and tragedy.",
           "Yet farther than we can see there is comfort and hope.",
           "The cause in which they died will continue.",
           "Mankind is led into the darkness beyond our world by the inspiration of discovery.",
           "Our journey into space will go on."]


def _paragraphs(md: str) -> list[str]:
    return re.findall(r"^\[(?:\d\d:\d\d:\d\d|¶ \d+)\] .+$", md, re.M)


def test_markdown_has_the_chapter_transcript_as_paragraphs_and_no_transcript_leaves_it_out(tmp_path):
    f = transcript(tmp_path / "bush.transcript.json", _timeline(SHUTTLE, {4: 3.0}))  # a long pause before the 5th
    proc = run_cli("chapters", f, "-q", "--chapters", "1")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "bush.md").read_text(encoding="utf-8")
    paragraphs = _paragraphs(md)
    assert [p[:11] for p in paragraphs] == ["[00:00:00] ", "[00:00:24] "], md
    assert paragraphs[0] == "[00:00:00] " + " ".join(SHUTTLE[:4])  # one sentence after another, with a space
    assert " ".join(p[11:] for p in paragraphs) == " ".join(SHUTTLE)  # every word, in order
    assert md.index("**Summary:**") < md.index("**Transcript:**") < md.index(paragraphs[0])

    proc = run_cli("chapters", f, "-q", "--chapters", "1", "--no-transcript", "-o", tmp_path / "short.md")
    assert proc.returncode == 0, proc.stderr
    short = (tmp_path / "short.md").read_text(encoding="utf-8")
    assert not _paragraphs(short) and "**Transcript:**" not in short
    assert short == md.split("**Transcript:**")[0].rstrip("\n") + "\n"  # nothing else changes


def test_a_long_run_of_speech_is_cut_into_paragraphs_of_about_a_minute(tmp_path):
    f = transcript(tmp_path / "long.transcript.json", _timeline(SHUTTLE * 4, {}))  # 2.7 minutes, no long pause
    proc = run_cli("chapters", f, "-q", "--chapters", "1")
    assert proc.returncode == 0, proc.stderr
    starts = [int(p[1:3]) * 3600 + int(p[4:6]) * 60 + int(p[7:9])
              for p in _paragraphs((tmp_path / "long.md").read_text(encoding="utf-8"))]
    assert len(starts) >= 3 and all(30 <= b - a <= 76 for a, b in zip(starts, starts[1:])), starts


def test_the_main_command_takes_no_transcript_and_the_line_options(tmp_path):
    shutil.copy(SAMPLE, tmp_path / "talk.mp4")
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "talk.transcript.json")  # reused: no ASR
    proc = run_cli(tmp_path / "talk.mp4", "-q", "-f", "md", "-f", "srt", "-f", "txt", "--no-transcript",
                   "--max-line-width", "30", "--max-line-count", "1")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "talk.md").read_text(encoding="utf-8")
    assert "## 00:00:00 – " in md and not _paragraphs(md)
    events = pysubs2.load(str(tmp_path / "talk.srt"))
    assert len(events) > 100
    assert all(len(e.text.split(r"\N")) == 1 and len(e.text) <= 30 for e in events)
    assert all(e.end - e.start >= 1000 for e in events)
    assert all(a.end <= b.start for a, b in zip(events, events[1:]))
    lines = (tmp_path / "talk.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 50 and not any(re.search(r"\d\d:\d\d", line) and "-->" in line for line in lines)


def test_txt_is_the_transcript_a_sentence_a_line_and_reads_back(tmp_path):
    f = transcript(tmp_path / "bush.transcript.json", _timeline(SHUTTLE, {4: 3.0}))
    proc = run_cli("chapters", f, "-q", "-o", tmp_path / "notes.txt", "-f", "txt", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "notes.txt").read_text(encoding="utf-8")
    assert text == "".join(s + "\n" for s in SHUTTLE)  # no times, one sentence a line
    assert json.loads((tmp_path / "notes.json").read_text())["sentences"][0]["text"] == SHUTTLE[0]
    # read back as text without times: chapters by sentence, paragraphs marked ¶ N
    proc = run_cli("chapters", tmp_path / "notes.txt", "-q", "-f", "md", "-f", "json", "-o", tmp_path / "back.md")
    assert proc.returncode == 0, proc.stderr
    back = json.loads((tmp_path / "back.json").read_text())
    assert back["metadata"]["timed"] is False and [s["text"] for s in back["sentences"]] == SHUTTLE
    md = (tmp_path / "back.md").read_text(encoding="utf-8")
    assert re.match(r"\[¶ 1\] My fellow Americans", _paragraphs(md)[0])
    # the suffix picks the format: .txt is txt, .youtube.txt and .ffmetadata.txt stay theirs
    assert [outputs.format_of(Path(n)) for n in ("a.txt", "a.youtube.txt", "a.ffmetadata.txt", "A.TXT")] == [
        "txt", "youtube", "ffmetadata", "txt"]
    assert outputs.transcript_path(Path("a.youtube.txt")).name == "a.transcript.json"
    assert outputs.transcript_path(Path("a.txt")).name == "a.transcript.json"
    proc = run_cli("chapters", f, "-q", "-o", tmp_path / "list.youtube.txt")
    assert proc.returncode == 0 and (tmp_path / "list.youtube.txt").read_text().startswith("00:00 ")


ORPHANS = _timeline(
    ["Welcome back everyone to the second half of our evening programme.",
     "Right.",  # alone between two pauses
     "Thank you.",  # a short sentence between a pause and the next sentence
     "Tonight we look at how the early printers cut their letters by hand.",
     "Yes.",  # a one-word cue at the end, after a pause
     ], {1: 1.5, 2: 1.5, 3: 0.1, 4: 2.0})


def _cues(path: Path) -> list[pysubs2.SSAEvent]:
    return list(pysubs2.load(str(path)))


def test_no_subtitle_cue_is_shorter_than_a_second(tmp_path):
    f = transcript(tmp_path / "orphans.transcript.json", ORPHANS, step=0.3)
    proc = run_cli("chapters", f, "-q", "-f", "srt", "-f", "vtt")
    assert proc.returncode == 0, proc.stderr
    for suffix in (".srt", ".vtt"):
        cues = _cues(tmp_path / f"orphans{suffix}")
        assert all(c.end - c.start >= 1000 for c in cues), [(c.start, c.end, c.text) for c in cues]
        assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))
        assert all(len(c.text.split(r"\N")) <= 2 and all(len(x) <= 42 for x in c.text.split(r"\N")) for c in cues)
        spoken = " ".join(t for _, t in ORPHANS).split()
        assert " ".join(c.text.replace(r"\N", " ") for c in cues).split() == spoken


def test_max_line_width_and_count_are_kept_and_checked(tmp_path):
    f = transcript(tmp_path / "bush.transcript.json", _timeline(SHUTTLE + [t for _, t in ORPHANS], {4: 3.0, 11: 1.5}),
                   step=0.3)
    for width, count in ((20, 1), (16, 3), (60, 2)):
        out = tmp_path / f"w{width}c{count}.srt"
        proc = run_cli("chapters", f, "-q", "-o", out, "--max-line-width", width, "--max-line-count", count)
        assert proc.returncode == 0, proc.stderr
        cues = _cues(out)
        lines = [c.text.split(r"\N") for c in cues]
        assert all(len(x) <= count and all(len(line) <= width for line in x) for x in lines)
        assert max(len(line) for x in lines for line in x) > width - 8  # the width is used, not just kept under
        assert all(c.end - c.start >= 1000 for c in cues)
        assert " ".join(c.text.replace(r"\N", " ") for c in cues).split() == " ".join(
            SHUTTLE + [t for _, t in ORPHANS]).split()
    assert max(len(x) for x in [c.text.split(r"\N") for c in _cues(tmp_path / "w16c3.srt")]) == 3
    for args in (["--max-line-width", "0"], ["--max-line-width", "-3"], ["--max-line-count", "0"],
                 ["--max-line-count", "99"], ["--max-line-width", "wide"]):
        proc = run_cli("chapters", f, "-f", "srt", "-o", tmp_path / "bad.srt", *args)
        assert proc.returncode == 2 and args[0] in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
        assert not (tmp_path / "bad.srt").exists()
    # the main command checks them before any work: before it even looks at the input
    proc = run_cli(tmp_path / "missing.wav", "--max-line-width", "5")
    assert proc.returncode == 2 and "--max-line-width 5" in proc.stderr and "no such file" not in proc.stderr


WEATHER = ["今天我们先来谈一谈北京这几天的天气变化。", "气象台说明天会有一场比较大的降雨。", "气温会比今天低五到八度左右。",
           "大家出门的时候记得带上雨伞和外套。", "这场雨过后空气质量会明显好转。", "周末的天气会重新转晴，适合去郊外爬山。",
           "不过早晚温差比较大，老人和孩子要注意保暖。", "下周一还会有一股冷空气南下。", "北方的部分地区可能会出现今年的第一场雪。",
           "开车的朋友要注意路面结冰，放慢车速。"]
SOFTWARE = ["接下来我们说说软件开发里的一个老问题。", "很多团队写程序的时候不喜欢写测试。", "可是没有测试的代码改起来特别容易出错。",
            "我们公司去年开始要求每个项目都要有自动化测试。", "刚开始大家觉得这样做太慢了。", "半年以后线上的故障少了一大半。",
            "现在新来的工程师第一周就要学会写单元测试。", "我们还把测试的结果放进了每天的质量报告里面。", "软件的质量和团队的习惯有很大的关系。",
            "希望这些经验对大家的项目也有帮助。"]
BREAKFAST = ["最后我们来聊一聊大家每天都离不开的早餐。", "很多上班族早上来不及做饭，只能在路边买个包子。", "营养专家建议早餐要有鸡蛋、牛奶和一些水果。",
             "如果时间允许，自己煮一碗小米粥也很简单。", "不吃早餐的人上午更容易觉得累，注意力也不集中。", "周末可以多花一点时间，和家人一起做一顿丰盛的早饭。",
             "孩子的早餐尤其重要，关系到他们一上午的学习。", "少吃油炸的东西，多吃粗粮和蔬菜。", "养成好的早餐习惯，身体会慢慢变好。",
             "好了，今天的节目就到这里，谢谢大家收听。"]


def _zh_timeline(texts: list[str], step: float = 0.3, gap: float = 1.5) -> list[tuple[float, str]]:
    out, t = [], 0.0
    for text in texts:
        out.append((round(t, 3), text))
        t += len(text) * step + gap
    return out


def test_traditional_scripts_have_their_labels_and_the_same_notes(tmp_path):
    f = transcript(tmp_path / "zh.transcript.json", _zh_timeline(WEATHER + SOFTWARE + BREAKFAST), "zh", 0.3,
                   by_char=True)
    got = {}

    def notes(script: str) -> tuple[str, dict]:
        proc = run_cli("chapters", f, "-q", "--chapters", "3", "--script", script, "-f", "md", "-f", "json",
                       "-o", tmp_path / f"{script}.md")
        assert proc.returncode == 0, proc.stderr
        got[script] = ((tmp_path / f"{script}.md").read_text(encoding="utf-8"),
                       json.loads((tmp_path / f"{script}.json").read_text(encoding="utf-8")))
        return got[script]

    md, data = notes("simplified")
    assert "- **来源:**" in md and "## 目录" in md and "**文字稿:**" in md
    paragraphs = _paragraphs(md)
    assert paragraphs and all("。 " not in p and "， " not in p for p in paragraphs)  # no spaces between sentences
    assert "".join(p[11:] for p in paragraphs) == "".join(WEATHER + SOFTWARE + BREAKFAST)
    for script, config in (("traditional", "s2t"), ("tw-phrases", "s2twp"), ("hk", "s2hk")):
        md_t, data_t = notes(script)
        # the same chapters, titles, summaries and key points, only in another script
        assert [c["start"] for c in data_t["chapters"]] == [c["start"] for c in data["chapters"]]
        cc = opencc.OpenCC(config)
        for c_t, c in zip(data_t["chapters"], data["chapters"]):
            assert c_t["title"] != c["title"] and c_t["title"] == cc.convert(c["title"]), script
            assert T2S.convert(c_t["title"]) == c["title"]
            assert c_t["summary"] == cc.convert(c["summary"])
            assert [p["text"] for p in c_t["key_points"]] == [cc.convert(p["text"]) for p in c["key_points"]]
        # and the labels in that script
        for label in ("- **來源:**", "- **時長:**", "- **語言:**", "- **音軌:**", "## 目錄", "**摘要:**"):
            assert label in md_t, (script, label)
        for simplified in ("来源", "时长", "语言", "音轨", "目录"):
            assert simplified not in md_t, (script, simplified)
    # the variants differ where Taiwan and Hong Kong write differently
    assert "裏" in got["traditional"][0] and "軟件" in got["traditional"][0]
    assert "裡" in got["tw-phrases"][0] and "軟體" in got["tw-phrases"][0]
    proc = run_cli("chapters", f, "--script", "taiwan")
    assert proc.returncode == 2 and "--script taiwan" in proc.stderr and "tw-phrases" in proc.stderr


@pytest.mark.parametrize("args", [["--script", "tw"], ["--script", "hk"]])
def test_the_main_command_takes_the_new_scripts(args, tmp_path):
    proc = run_cli(tmp_path / "missing.wav", *args)
    assert proc.returncode == 1 and "no such file" in proc.stderr  # accepted: the missing input is what fails
