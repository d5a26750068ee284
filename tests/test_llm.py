"""``--llm``: notes from an OpenAI-compatible server, against a small server of the test's own on
127.0.0.1 that answers well or badly on purpose; every fault ends in one warning line and
complete extractive notes. (A real model server: tests/test_llm_server.py.)"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SAMPLES, run_cli


class FakeServer:
    """``/v1/chat/completions`` answering as ``mode`` says; counts the requests."""

    def __init__(self, mode: str = "ok", delay: float = 0.0):
        self.mode, self.delay, self.requests = mode, delay, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests += 1
                time.sleep(server.delay)
                status, content = server.answer(body["messages"][-1]["content"])
                data = content if server.mode == "notjson" else json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": content}}]})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    self.wfile.write(data.encode())
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, prompt: str) -> tuple[int, str]:
        if self.mode == "500":
            return 500, "{}"
        if self.mode == "notjson":
            return 200, "this is not JSON"
        if self.mode == "shape":
            return 200, json.dumps({"headline": "x"})
        ids = [int(i) for i in re.findall(r"^\[(\d+)\]", prompt, re.M)]
        if "main points" in prompt:
            return 200, json.dumps({"overview": [{"text": f"Point {i}", "chapter": i} for i in ids[:6]]})
        points = [{"text": f"Point from sentence {i}", "sentence": i} for i in ids[:3]]
        if self.mode == "badid":
            points.append({"text": "Invented", "sentence": 99999})
        return 200, json.dumps({"title": f"Model title {ids[0]}", "summary": "The model's summary.",
                                "key_points": points})

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "talk.transcript.json"
    shutil.copy(SAMPLES / "talk.asr.json", path)
    return path


def _notes(transcript, *args, server_url: str, timeout: float = 60):
    out = transcript.with_name("notes.json")
    proc = run_cli("chapters", transcript, "-q", "-f", "json", "-o", out, "--force", "--llm", server_url,
                   "--llm-model", "test", *args, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(out.read_text(encoding="utf-8")), proc.stderr


def _extractive(data):
    return all(c["summary"] and not c["title"].startswith("Model title") for c in data["chapters"])


def test_answers_become_the_notes_with_times_from_sentences_and_are_cached(transcript):
    server = FakeServer("ok")
    try:
        data, stderr = _notes(transcript, server_url=server.url)
        assert stderr.count("warning:") == 0, stderr
        starts = {round(s["start"], 3) for s in data["sentences"]}
        for c in data["chapters"]:
            assert c["title"].startswith("Model title") and c["summary"] == "The model's summary."
            assert c["key_points"] and all(round(p["time"], 3) in starts for p in c["key_points"])
            assert all(c["start"] <= p["time"] < c["end"] for p in c["key_points"])
        assert [o["text"] for o in data["overview"]][:1] == ["Point 0"]
        asked = server.requests
        assert asked == len(data["chapters"]) + 1
        cache = transcript.with_name("talk.llm-cache.json")
        assert cache.is_file()
        # other options, same chapters: nothing asked again
        again, _ = _notes(transcript, "--length", "20", server_url=server.url)
        assert server.requests == asked and again["chapters"][0]["title"] == data["chapters"][0]["title"]
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["500", "notjson", "shape"])
def test_bad_answers_are_retried_once_then_the_notes_stay_extractive(transcript, mode):
    server = FakeServer(mode)
    try:
        data, stderr = _notes(transcript, server_url=server.url)
        assert stderr.count("warning:") == 1 and "kept the extractive notes" in stderr, stderr
        assert _extractive(data) and data["overview"]
        # each chapter asked twice (a first 500 also tries the other JSON form once), no overview asked
        assert 2 * len(data["chapters"]) <= server.requests <= 2 * len(data["chapters"]) + 1
    finally:
        server.close()


def test_a_point_citing_no_sentence_is_dropped(transcript):
    server = FakeServer("badid")
    try:
        data, stderr = _notes(transcript, server_url=server.url)
        assert "warning:" not in stderr
        assert all(p["text"] != "Invented" for c in data["chapters"] for p in c["key_points"])
    finally:
        server.close()


def test_refused_connection_one_warning_and_no_second_try(transcript):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    data, stderr = _notes(transcript, server_url=f"http://127.0.0.1:{port}/v1")
    assert stderr.count("warning:") == 1 and "not asked again" in stderr, stderr
    assert _extractive(data) and data["overview"]
    assert time.monotonic() - started < 60


def test_timeout_one_warning_and_the_server_is_not_waited_on_again(transcript):
    server = FakeServer("ok", delay=3.0)
    try:
        data, stderr = _notes(transcript, "--llm-timeout", "0.5", server_url=server.url)
        assert stderr.count("warning:") == 1 and "no answer within 0.5 s" in stderr, stderr
        assert _extractive(data)
        assert server.requests == 1
    finally:
        server.close()


def test_bad_llm_options_fail_before_any_work(transcript):
    proc = run_cli("chapters", transcript, "-q", "--llm", "localhost:11434")
    assert proc.returncode == 2 and "base URL" in proc.stderr
    proc = run_cli("chapters", transcript, "-q", "--llm", "http://127.0.0.1:9/v1", "--llm-timeout", "0")
    assert proc.returncode == 2 and "more than 0" in proc.stderr
