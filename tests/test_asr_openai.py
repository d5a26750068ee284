"""The openai-whisper reference engine on the bundled weights (converted from CTranslate2)."""

from __future__ import annotations

import base64
import gzip
import re
import struct
from pathlib import Path

import numpy as np
import pytest

whisper = pytest.importorskip("whisper")

from transcribe import asr, media  # noqa: E402
from transcribe.asr.ct2 import convert_to_openai, read_ct2_model  # noqa: E402
from transcribe.asr.openai_engine import OpenAIWhisperEngine  # noqa: E402
from transcribe.errors import TranscribeError  # noqa: E402

JFK = Path(__file__).resolve().parents[2] / "shared/eval/speech_en/openai_whisper_jfk/jfk.flac"


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return asr.bundled_model_files()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("openai-cache")


@pytest.fixture(scope="module")
def engine(files, cache_dir) -> OpenAIWhisperEngine:
    return OpenAIWhisperEngine.load(files, asr.BUNDLED_SHA256, cache_dir)


def _ct2_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<H", len(raw) + 1) + raw + b"\0"


def test_reader_parses_a_handmade_model_bin():
    bf16 = np.array([1.5, -2.0], dtype=np.float32).view(np.uint32) >> 16
    data = (struct.pack("<I", 6) + _ct2_string("WhisperSpec") + struct.pack("<II", 3, 2)
            + _ct2_string("a/weight") + struct.pack("<BII", 2, 2, 3) + struct.pack("<BI", 4, 12)
            + np.arange(6, dtype="<f2").tobytes()
            + _ct2_string("b/bf") + struct.pack("<BI", 1, 2) + struct.pack("<BI", 5, 4)
            + bf16.astype("<u2").tobytes()
            + struct.pack("<I", 1) + _ct2_string("c/weight") + _ct2_string("a/weight"))
    v = read_ct2_model(data)
    assert v["a/weight"].shape == (2, 3) and v["a/weight"].dtype == np.float16
    assert v["a/weight"][1, 2] == 5
    assert v["b/bf"].tolist() == [1.5, -2.0]
    assert v["c/weight"] is v["a/weight"]
    with pytest.raises(ValueError, match="truncated"):
        read_ct2_model(data[:-5])
    with pytest.raises(ValueError, match="binary version"):
        read_ct2_model(struct.pack("<I", 99) + data[4:])


def test_reader_names_and_shapes_of_the_bundled_model(files):
    v = read_ct2_model(files["model.bin"])
    assert len(v) == 213  # 212 variables + the projection alias
    expect = {
        "encoder/conv1/weight": (512, 80, 3),
        "encoder/conv2/weight": (512, 512, 3),
        "encoder/position_encodings/encodings": (1500, 512),
        "encoder/layer_5/self_attention/linear_0/weight": (1536, 512),
        "encoder/layer_norm/gamma": (512,),
        "decoder/embeddings/weight": (51865, 512),
        "decoder/position_encodings/encodings": (448, 512),
        "decoder/layer_0/attention/linear_1/weight": (1024, 512),
        "decoder/layer_5/ffn/linear_0/weight": (2048, 512),
    }
    for name, shape in expect.items():
        assert v[name].shape == shape, name
        assert v[name].dtype == np.float16, name
    assert "decoder/layer_6/ffn/linear_0/weight" not in v
    assert int(v["decoder/num_heads"]) == 8 and int(v["encoder/num_heads"]) == 8
    assert v["decoder/projection/weight"] is v["decoder/embeddings/weight"]


def test_conversion_loads_strictly_into_openai_whisper(files):
    checkpoint = convert_to_openai(files)
    assert checkpoint["dims"] == {
        "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512, "n_audio_head": 8, "n_audio_layer": 6,
        "n_vocab": 51865, "n_text_ctx": 448, "n_text_state": 512, "n_text_head": 8, "n_text_layer": 6}
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
    result = model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # config.json's heads are OpenAI's published alignment heads for base.
    published = np.frombuffer(gzip.decompress(base64.b85decode(whisper._ALIGNMENT_HEADS["base"])), dtype=bool)
    assert np.argwhere(published.reshape(6, 8)).tolist() == checkpoint["alignment_heads"]


def test_conversion_rejects_a_non_whisper_model():
    data = struct.pack("<I", 6) + _ct2_string("TransformerSpec") + struct.pack("<III", 1, 0, 0)
    with pytest.raises(ValueError, match="not Whisper"):
        convert_to_openai({"model.bin": data})


@pytest.mark.skipif(not JFK.is_file(), reason="shared eval clip jfk.flac not present")
def test_engine_transcribes_jfk_with_word_times(engine):
    samples = media.decode(media.probe(JFK)).samples
    duration = len(samples) / 16000
    assert engine.detect_language(samples) == "en"
    [segments] = engine.transcribe_chunks(samples, [(0.0, duration)], language="en",
                                          task="transcribe", prompt=None)
    text = re.sub(r"[^a-z ]", "", " ".join(s.text for s in segments).lower())
    assert "ask not what your country can do for you" in " ".join(text.split())
    words = [w for s in segments for w in s.words]
    assert len(words) >= 20
    assert all(0 <= w.start <= w.end <= duration for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert engine.model.alignment_heads.to_dense().nonzero().tolist()[0] == [3, 1]


def test_cache_is_reused_and_written_atomically(engine, files, cache_dir):
    expected = cache_dir / f"openai-whisper-{asr.BUNDLED_SHA256[:16]}.pt"
    assert engine.path == expected
    assert [p.name for p in cache_dir.iterdir()] == [expected.name]  # no temp file left
    before = expected.stat().st_mtime_ns
    again = OpenAIWhisperEngine.load(files, asr.BUNDLED_SHA256, cache_dir)
    assert expected.stat().st_mtime_ns == before
    assert again.path == expected


def test_damaged_cache_file_is_converted_again(files, tmp_path):
    path = tmp_path / f"openai-whisper-{asr.BUNDLED_SHA256[:16]}.pt"
    path.write_bytes(b"not a checkpoint")
    engine = OpenAIWhisperEngine.load(files, asr.BUNDLED_SHA256, tmp_path)
    assert path.stat().st_size > 100_000_000
    assert engine.model.dims.n_vocab == 51865
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_missing_packages_are_one_clear_error(monkeypatch, files, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "whisper", None)
    with pytest.raises(TranscribeError, match=r"pip install '\.\[openai\]'"):
        OpenAIWhisperEngine.load(files, asr.BUNDLED_SHA256, tmp_path)
    with pytest.raises(TranscribeError, match=r"pip install '\.\[openai\]'"):  # before any work
        asr.check_engine("openai-whisper", asr.BUNDLED_MODEL, "cpu")


def test_cli_engine_option_runs_the_reference_on_the_same_weights(speech_clip, tmp_path):
    """``--engine openai-whisper`` through the real CLI: the same words as faster-whisper."""
    import json
    import os
    import subprocess
    import sys

    from conftest import run_cli

    env_cache = {"TRANSCRIBE_CACHE": str(tmp_path / "cache")}
    texts = {}
    for engine in ("openai-whisper", "faster-whisper"):
        out = tmp_path / f"{engine}.md"
        proc = subprocess.run([sys.executable, "-m", "transcribe", str(speech_clip), "-q", "-o", str(out),
                               "--engine", engine, "--beam-size", "1", "--language", "en"],
                              capture_output=True, text=True, timeout=600, env={**os.environ, **env_cache})
        assert proc.returncode == 0, proc.stderr
        transcript = json.loads(out.with_name(f"{engine}.transcript.json").read_text(encoding="utf-8"))
        assert transcript["engine"] == engine
        assert f"- **Model:** Whisper base (multilingual, bundled), {engine}" in out.read_text(encoding="utf-8")
        texts[engine] = re.sub(r"[^a-z ]", "", " ".join(s["text"] for s in transcript["segments"]).lower()).split()
    same = sum(a == b for a, b in zip(texts["openai-whisper"], texts["faster-whisper"]))
    assert same >= 0.9 * len(texts["faster-whisper"]), texts
    assert list((tmp_path / "cache").glob("openai-whisper-*.pt"))
    bad = run_cli(speech_clip, "--engine", "openai-whisper", "--model", "small")
    assert bad.returncode == 2 and "must be 'base' or a CTranslate2 model directory" in bad.stderr
    cuda = run_cli(speech_clip, "--engine", "openai-whisper", "--device", "cuda")
    assert cuda.returncode == 2 and "drop --device cuda" in cuda.stderr
    assert "Loading" not in cuda.stderr and "Decoding" not in cuda.stderr  # refused before any work
