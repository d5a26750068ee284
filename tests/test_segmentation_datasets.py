"""Regression guards for chapter quality on each benchmark dataset (small slices of
``../shared/eval``; skipped where it is absent). Full figures: ``bench/chapters.py``."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT, SAMPLES, sample_truth
from transcribe import chapters
from transcribe.asr import Transcript
from transcribe.sentences import load_nlp, split_sentences

sys.path.insert(0, str(ROOT / "bench"))
import chapters as bench  # noqa: E402  (bench/chapters.py: loaders and scoring)

EVAL = ROOT.parent / "shared" / "eval"
needs_eval = pytest.mark.skipif(not (EVAL / "segmentation").is_dir(), reason="../shared/eval not present")


@pytest.fixture(scope="module")
def encoder():
    return chapters.load_encoder()


@needs_eval
def test_choi_slice(encoder):
    """Five documents of each Choi subset, count not given: mean Pk well under TextTiling's."""
    pks = []
    for subset in ("3-5", "6-8", "9-11", "3-11"):
        for f in sorted((EVAL / "segmentation" / "choi2000" / "1" / subset).glob("*.ref"), key=lambda p: int(p.stem))[:5]:
            texts, ref = bench.load_choi(f)
            pks.append(bench.score(bench.ours(texts, encoder), ref, len(texts))[0])
    assert sum(pks) / len(pks) <= 0.15, pks


@needs_eval
def test_qmsum_slice(encoder):
    """Four meetings (two AMI, one ICSI, one parliament): mean Pk at most 0.45."""
    folder = EVAL / "segmentation" / "qmsum"
    meta = {json.loads(line)["meeting_id"]: json.loads(line)["linear_boundaries_turn_index"]
            for line in (folder / "qmsum_test_topics_and_summaries.jsonl").read_text().splitlines()}
    pks = []
    for mid in ("ES2004a", "TS3004a", "Bed003", "covid_4"):
        if mid not in meta:
            continue
        turns = json.loads((folder / "test" / f"{mid}.json").read_text())["meeting_transcripts"]
        texts = [bench.clean_turn(t["content"]) for t in turns]
        pks.append(bench.score(bench.ours(texts, encoder), meta[mid], len(texts))[0])
    assert pks and sum(pks) / len(pks) <= 0.45, pks


def test_sample_audio_boundaries(encoder):
    """The sample talk: every true boundary within ±30 s, at most one extra per 10 minutes."""
    tr = Transcript.load(SAMPLES / "talk.asr.json")
    sents = split_sentences(tr, load_nlp("en"))
    hyp = [c.start for c in chapters.segment(sents, chapters.embed(sents, encoder), tr.duration)][1:]
    gold = [c["start"] for c in sample_truth()["chapters"]][1:]
    assert all(any(abs(h - g) <= 30 for h in hyp) for g in gold), hyp
    extra = sum(not any(abs(h - g) <= 30 for g in gold) for h in hyp)
    assert extra <= tr.duration / 600.0, hyp
