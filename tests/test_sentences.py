"""Stage 3: sentences with times from word timestamps."""

from __future__ import annotations

import pytest

from transcribe.asr import Segment, Transcript, Word
from transcribe.sentences import load_nlp, split_sentences


def _segment(words: list[tuple[str, float, float]]) -> Segment:
    ws = [Word(a, b, t) for t, a, b in words]
    return Segment(ws[0].start, ws[-1].end, "".join(w.text for w in ws).strip(), ws)


@pytest.fixture(scope="module")
def en():
    return load_nlp("en")


def test_english_sentences_take_word_times(en):
    seg1 = _segment([(" Printing", 0.0, 0.5), (" is", 0.5, 0.7), (" old.", 0.7, 1.2),
                     (" The", 1.6, 1.8), (" press", 1.8, 2.2)])
    seg2 = _segment([(" changed", 2.3, 2.8), (" Europe.", 2.8, 3.5), (" Really?", 4.0, 4.6)])
    sents = split_sentences(Transcript([seg1, seg2], "en", 5.0, "base"), en)
    assert [s.text for s in sents] == ["Printing is old.", "The press changed Europe.", "Really?"]
    assert [(s.start, s.end) for s in sents] == [(0.0, 1.2), (1.6, 3.5), (4.0, 4.6)]
    assert [s.index for s in sents] == [0, 1, 2]


def test_mandarin_sentences_with_jieba():
    nlp = load_nlp("zh")
    chars = "今天天气很好。我们去公园吧！"
    seg = _segment([(c, i * 0.3, i * 0.3 + 0.25) for i, c in enumerate(chars)])
    sents = split_sentences(Transcript([seg], "zh", 5.0, "base"), nlp)
    assert [s.text for s in sents] == ["今天天气很好。", "我们去公园吧！"]
    assert sents[1].start == pytest.approx(7 * 0.3)


def test_long_unpunctuated_speech_is_cut_at_pauses(en):
    words = [(f" word{i}", i * 1.0, i * 1.0 + 0.8) for i in range(30)]
    words += [(f" more{i}", 31.5 + i * 1.0, 31.5 + i * 1.0 + 0.8) for i in range(30)]
    sents = split_sentences(Transcript([_segment(words)], "en", 62.0, "base"), en)
    assert len(sents) >= 2
    assert all(s.end - s.start <= 30.0 for s in sents)
    assert any(s.text.startswith("more0") for s in sents)  # the 1.5 s pause is a cut


def test_segments_without_word_times_and_other_languages():
    nlp = load_nlp("de")
    seg = Segment(3.0, 6.0, "Guten Morgen. Wie geht es?")
    sents = split_sentences(Transcript([seg], "de", 6.0, "base"), nlp)
    assert len(sents) == 1 and sents[0].start == 3.0 and sents[0].end == 6.0
    assert split_sentences(Transcript([], "de", 6.0, "base"), nlp) == []
    assert load_nlp("tlh").pipe_names == ["sentencizer"]  # unknown to spaCy: multi-language fallback


def test_a_full_stop_whisper_left_out_still_ends_the_sentence():
    """Greedy decoding sometimes drops a full stop; a stretched word (a pause) before a capital cuts."""
    from transcribe.asr import Segment, Transcript, Word
    from transcribe.sentences import load_nlp, split_sentences

    spec = [(" We", 0.0, 0.3), (" will", 0.3, 0.5), (" miss", 0.5, 0.8), (" them.", 0.8, 1.0),
            (" Our", 1.1, 1.3), (" nation", 1.3, 1.7), (" grieves", 1.7, 3.2),  # stretched over a pause
            (" Those", 3.2, 3.5), (" you", 3.5, 3.7), (" loved", 3.7, 4.0), (" Colonel", 4.1, 4.5),
            (" Rick", 4.5, 4.7), (" Husband", 4.7, 5.0), (" rests.", 5.0, 5.4)]
    words = [Word(a, b, t) for t, a, b in spec]
    tr = Transcript([Segment(0.0, 5.4, "".join(w.text for w in words).strip(), words)], "en", 6.0, "base")
    texts = [s.text for s in split_sentences(tr, load_nlp("en"))]
    assert "We will miss them." in texts
    assert any(t.startswith("Our nation grieves") and "Those" not in t for t in texts), texts
    assert not any(t.startswith(("Rick", "Husband")) for t in texts), texts  # no cut inside a name


def test_spacy_is_loaded_without_pulling_in_torch():
    """thinc imports torch when installed (1.8 s per run); the notes never need it, and a
    later ``import torch`` (the openai-whisper engine) must still work."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed here (it comes with .[openai])")
    code = ("import sys; from transcribe.sentences import load_nlp; nlp = load_nlp('en'); "
            "assert 'torch' not in sys.modules, 'torch was imported'; "
            "assert [s.text for s in nlp('One. Two.').sents] == ['One.', 'Two.']; "
            "import torch; print(torch.zeros(2).sum().item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "0.0"
