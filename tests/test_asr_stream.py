"""The ASR stream's own work: VAD once per sample (and exactly the same after a resume), the
CPU split between CTranslate2 workers, and full-width punctuation in Chinese text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import SAMPLE, run_cli
from transcribe import asr, media
from transcribe.asr import stream, vad
from transcribe.asr.checks import fullwidth_punctuation, fullwidth_segment
from transcribe.asr.faster import workers_and_threads
from transcribe.model import Segment, Word

BLOCK = int(vad.VAD_BLOCK_S * media.SAMPLE_RATE)


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    """The sample's first 200 s, 16 kHz."""
    return media.decode(media.probe(SAMPLE)).samples[:200 * media.SAMPLE_RATE]


def _finder(samples: np.ndarray, origin: int = 0, step: int = BLOCK) -> vad.SpeechFinder:
    finder = vad.SpeechFinder(origin)
    for i in range(origin, len(samples), step):
        finder.feed(samples[i:i + step])
    finder.finish()
    return finder


def test_a_resumed_stream_finds_exactly_the_same_speech(samples):
    whole = _finder(samples)
    for skip in (37 * 16000 + 123, 95 * 16000, 150 * 16000 + 7):
        resumed = _finder(samples, vad.origin_for(skip))
        assert resumed.pieces(skip, len(samples)) == whole.pieces(skip, len(samples))


def test_speech_cut_by_a_block_boundary_is_joined(samples):
    """Over the whole 200 s at once, VAD puts no piece boundary on a multiple of 30 s; block by
    block, none is left there either (they are joined again)."""
    blocks = {a for a, b in _finder(samples).pieces(0, len(samples))} - {0}
    on_boundaries = {a for a in blocks if a % BLOCK == 0}
    whole = {a for a, _b in vad.speech_pieces(samples)}
    assert on_boundaries <= whole
    assert all(b - a <= vad.MAX_PIECE_S * media.SAMPLE_RATE for a, b in _finder(samples).pieces(0, len(samples)))


def test_blocks_fed_in_other_sizes_give_the_same_finished_blocks(samples):
    assert _finder(samples, step=7 * 16000 + 5).pieces(0, 180 * 16000) == _finder(samples).pieces(0, 180 * 16000)


def test_vad_looks_at_each_sample_once(monkeypatch, samples):
    """A stream of 200 s through the window loop: VAD sees 200 s, not each window's look-ahead
    again (before: about 1.3 times the audio). The engine is a stand-in that hears nothing, so
    only the windowing runs."""
    seen = []
    real = vad.speech_pieces
    monkeypatch.setattr(vad, "speech_pieces", lambda x: seen.append(len(x)) or real(x))

    class Deaf:
        name = "none"

        def detect_language_probability(self, speech):
            return "en", 1.0

        def transcribe_chunks(self, samples, chunks, **kw):
            return [[] for _ in chunks]

    blocks = (samples[i:i + BLOCK] for i in range(0, len(samples), BLOCK))
    stream.transcribe_stream(blocks, Deaf(), language="en")
    assert sum(seen) == len(samples)


def test_cpu_threads_are_shared_by_two_workers():
    assert workers_and_threads("cpu", 2) == (2, 1)
    assert workers_and_threads("cpu", 1) == (1, 1)
    assert workers_and_threads("cpu", 8) == (2, 4)
    assert workers_and_threads("cuda", 0) == (1, 0)
    model = asr.load_model(threads=2)
    assert model.model.num_workers == 2


@pytest.mark.parametrize("text, want", [
    ("我们今天,讨论一下.", "我们今天，讨论一下。"),
    ("价格是3.5元, 对吧?", "价格是3.5元，对吧？"),
    ("用 iPhone, 然后呢", "用 iPhone，然后呢"),
    ("1,000个人。他说:好的!", "1,000个人。他说：好的！"),
    ("U.S.政府", "U.S.政府"),
    ("讨论 iPhone?", "讨论 iPhone？"),
    ("来自U.S.", "来自U.S."),
    ("Hello, world. 3:30", "Hello, world. 3:30"),
])
def test_chinese_text_takes_fullwidth_punctuation(text, want):
    assert fullwidth_punctuation(text) == want


def test_word_texts_follow_the_segment():
    words = [Word(0, .1, "今天"), Word(.1, .2, ","), Word(.2, .3, " 讨论"), Word(.3, .4, " iPhone"),
             Word(.4, .5, "?")]
    seg = fullwidth_segment(Segment(0, .5, "今天, 讨论 iPhone?", words))
    assert seg.text == "今天，讨论 iPhone？"
    assert [w.text for w in seg.words] == ["今天", "，", " 讨论", " iPhone", "？"]
    assert [(w.start, w.end) for w in seg.words] == [(w.start, w.end) for w in words]


def test_the_sample_decodes_the_same_in_two_workers(tmp_path):
    """The whole CLI on 60 s of the sample with 2 CTranslate2 workers and with one: the same text
    (a chunk decodes the same whichever worker and batch it is in)."""
    clip = tmp_path / "clip.wav"
    from conftest import ffmpeg

    ffmpeg("-i", str(SAMPLE), "-t", "60", "-vn", "-ac", "1", "-ar", "16000", str(clip))
    texts = []
    for threads in ("2", "1"):
        out = tmp_path / f"t{threads}.md"
        proc = run_cli(clip, "-o", out, "--threads", threads, "-q", "--language", "en")
        assert proc.returncode == 0, proc.stderr
        data = json.loads((tmp_path / f"t{threads}.transcript.json").read_text(encoding="utf-8"))
        texts.append([s["text"] for s in data["segments"]])
    assert texts[0] == texts[1] and len(" ".join(texts[0])) > 500
