"""Spoken text cleaned for the notes: fillers and repeats out, meaning and numbers kept."""

from __future__ import annotations

import pytest

from transcribe.cleanup import clauses, clean


@pytest.mark.parametrize("spoken, shown", [
    ("And his map has south at the top.", "His map has south at the top."),
    ("So on a Friday evening, which is, you know, our busy time, we'd get lock contention.",
     "On a Friday evening, which is our busy time, we'd get lock contention."),
    ("In the, in the green.", "In the green."),
    ("Um, I, I think the, the answer is yes.", "I think the answer is yes."),
    ("Which is, uh, a little terrifying.", "Which is a little terrifying."),
    ("It's kind of a big deal.", "It's a big deal."),
    ("Like, forty-one million devices.", "Forty-one million devices."),
    ("Partition seven just... stopped.", "Partition seven just stopped."),
    # kept: "I mean it", "you know that", a verb "like", "just", "I think"
    ("I mean it.", "I mean it."),
    ("You know that the battery lasts 6 days.", "You know that the battery lasts 6 days."),
    ("I just like apples.", "I just like apples."),
    ("Revenue was up 18 percent, 1,200 stores.", "Revenue was up 18 percent, 1,200 stores."),
    ("So.", ""),
])
def test_english(spoken, shown):
    assert clean(spoken, "en") == shown


@pytest.mark.parametrize("spoken, shown", [
    ("嗯，所以，先谢谢大家。", "先谢谢大家。"),
    ("哎，谢谢，谢谢谢谢大家。", "谢谢大家。"),
    ("那个，后面的朋友听得见吗？", "后面的朋友听得见吗？"),
    ("就是说，这个数不算完美，跟去年的百分之四十八比，进步挺大的。", "这个数不算完美，跟去年的百分之四十八比，进步挺大的。"),
    ("我们一台一台地飞，好好学习。", "我们一台一台地飞，好好学习。"),  # reduplication is grammar, not a repeat
    ("好。", ""),
])
def test_mandarin(spoken, shown):
    assert clean(spoken, "zh") == shown


def test_clauses():
    text = ("The Cassini family, four generations, surveyed France through most of the seventeen hundreds; "
            "the Ordnance Survey was founded in 1791.")
    assert clauses(text, "en") == ["The Cassini family, four generations",
                                   "surveyed France through most of the seventeen hundreds",
                                   "the Ordnance Survey was founded in 1791."]
    assert clauses("芜湖的第二工厂，投了十二个亿，九月一号正式投产了。", "zh", 4) == [
        "芜湖的第二工厂", "投了十二个亿，九月一号正式投产了。"]
