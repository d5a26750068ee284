"""Stage 4: chapters from sentence embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SAMPLES, sample_truth
from transcribe import chapters
from transcribe.asr import Transcript
from transcribe.sentences import Sentence, load_nlp, split_sentences


def _topics(sizes: list[int], seconds_each: float = 6.0, dim: int = 32, seed: int = 0):
    """Sentences in blocks; each block's embeddings scatter around its own random direction."""
    rng = np.random.default_rng(seed)
    sents, vecs, t = [], [], 0.0
    for size in sizes:
        centre = rng.normal(size=dim)
        for _ in range(size):
            v = centre + 0.6 * rng.normal(size=dim)
            vecs.append(v / np.linalg.norm(v))
            sents.append(Sentence(len(sents), t, t + seconds_each - 0.5, "x"))
            t += seconds_each
    return sents, np.array(vecs, dtype=np.float32), t


def test_finds_the_topic_changes():
    sents, vecs, total = _topics([20, 15, 25, 20])
    chs = chapters.segment(sents, vecs, total)
    assert [c.first for c in chs] == [0, 20, 35, 60]
    assert chs[0].start == 0.0 and chs[-1].end == total
    assert all(a.end == b.start for a, b in zip(chs, chs[1:]))


def test_forced_count_and_minimum_length():
    sents, vecs, total = _topics([20, 15, 25, 20])
    assert len(chapters.segment(sents, vecs, total, n_chapters=2)) == 2
    assert len(chapters.segment(sents, vecs, total, n_chapters=6)) == 6
    # 40 s of speech cannot hold two 30 s chapters
    short, svecs, stotal = _topics([4, 4], seconds_each=5.0)
    chs = chapters.segment(short, svecs, stotal, n_chapters=3)
    assert len(chs) == 1
    many = chapters.segment(sents, vecs, total, n_chapters=40)
    assert all(c.end - c.start >= chapters.MIN_CHAPTER_S for c in many)


def test_one_topic_stays_one_chapter_when_short():
    sents, vecs, total = _topics([15])  # 90 s, one topic
    assert len(chapters.segment(sents, vecs, total)) == 1


@pytest.mark.parametrize("minutes, fewest, most", [(1, 1, 1), (10, 1, 5), (30, 2, 8), (60, 4, 15), (180, 12, 45)])
def test_chapter_bounds(minutes, fewest, most):
    assert chapters.chapter_bounds(minutes * 60) == (fewest, most)


def _meeting(sizes: list[int], backchannels: int, seed: int = 0, dim: int = 32):
    """Untimed turns: each substantive turn on its block's topic, then ``backchannels`` "Yeah."s on nothing."""
    rng = np.random.default_rng(seed)
    sents, vecs = [], []
    for size in sizes:
        centre = rng.normal(size=dim)
        for _ in range(size):
            for i in range(1 + backchannels):
                v = centre + 2.0 * rng.normal(size=dim) if i == 0 else rng.normal(size=dim)
                vecs.append(v / np.linalg.norm(v))
                sents.append(Sentence(len(sents), float(len(sents)), len(sents) + 1.0, "x" * 60 if i == 0 else "Yeah."))
    return sents, np.array(vecs, dtype=np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_back_channel_turns_do_not_hide_the_topics(seed):
    """A meeting where four "Yeah."s follow every real turn: the prior counts effective sentences
    (weights), so the topic changes are still found, and one topic stays one chapter."""
    sents, vecs = _meeting([40, 40, 40, 40], backchannels=4, seed=seed)
    firsts = [c.first for c in chapters.segment(sents, vecs, float(len(sents)), timed=False)]
    assert len(firsts) == 4 and all(abs(a - b) <= 5 for a, b in zip(firsts, [0, 200, 400, 600])), firsts
    sents, vecs = _meeting([160], backchannels=4, seed=seed)
    assert len(chapters.segment(sents, vecs, float(len(sents)), timed=False)) == 1


def test_no_sentences():
    assert chapters.segment([], np.zeros((0, 512), np.float32), 10.0) == []
    assert chapters.embed([], None).shape == (0, 512)


def test_sample_transcript_chapters_match_the_true_topics():
    """The committed transcript of samples/talk.mp4: each true topic start has a chapter within 20 s."""
    tr = Transcript.load(SAMPLES / "talk.asr.json")
    sents = split_sentences(tr, load_nlp("en"))
    vecs = chapters.embed(sents, chapters.load_encoder())
    assert vecs.shape == (len(sents), 512) and vecs.dtype == np.float32
    chs = chapters.segment(sents, vecs, tr.duration)
    starts = [c.start for c in chs]
    for topic in sample_truth()["chapters"]:
        assert min(abs(s - topic["start"]) for s in starts) <= 20.0, (topic, starts)
    lo, hi = chapters.chapter_bounds(tr.duration)
    assert lo <= len(chs) <= hi
