"""The real CLI on bad and odd inputs: one clear line, the right exit code, nothing written."""

from __future__ import annotations

import pytest

from conftest import ffmpeg, run_cli


def _assert_one_line_error(proc, *needles: str, code: int = 1) -> None:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("transcribe: error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("name, content, message", [
    ("missing.mp4", None, "no such file"),
    ("empty.mp4", b"", "empty file"),
    ("notes.mp4", b"just some text\n" * 50, "not a media file"),
    ("picture.mp4", bytes.fromhex("89504e470d0a1a0a") + b"\0" * 200, "not a media file"),
])
def test_bad_files(tmp_path, name, content, message):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    proc = run_cli(f)
    _assert_one_line_error(proc, name, message)
    assert not f.with_suffix(".md").exists()
    assert not list(tmp_path.glob("*.json"))


def test_directory_and_video_without_audio(tmp_path):
    _assert_one_line_error(run_cli(tmp_path), "is a directory")
    f = tmp_path / "silent film.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:d=2", "-c:v", "libx264", str(f))
    _assert_one_line_error(run_cli(f), "silent film.mp4", "no audio stream", "video h264")
    assert not f.with_suffix(".md").exists()


@pytest.mark.parametrize("args, message", [
    (["--chapters", "0"], "--chapters 0"),
    (["--language", "xx"], "--language xx"),
    (["--audio-track", "1"], "--audio-track 1"),
])
def test_bad_options_exit_2(tmp_path, args, message):
    f = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(f))
    _assert_one_line_error(run_cli(f, *args), message, code=2)
    assert not f.with_suffix(".md").exists()


def test_silence_is_not_an_error_and_invents_nothing(tmp_path):
    f = tmp_path / "quiet room.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "30", str(f))
    proc = run_cli(f, "-q")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "quiet room.md").read_text()
    assert "No speech was found in this recording." in md
    assert "## " not in md
    assert (tmp_path / "quiet room.transcript.json").is_file()


def test_existing_output_is_kept_without_force(tmp_path):
    f = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3", str(f))
    out = tmp_path / "mine.md"
    out.write_text("my own notes\n")
    _assert_one_line_error(run_cli(f, "-o", out), "mine.md", "already exists", "--force")
    assert out.read_text() == "my own notes\n"
    proc = run_cli(f, "-o", out, "--force", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "No speech" in out.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.md", "mine.transcript.json", "tone.wav"]


def test_help_lists_every_option_with_defaults():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for option in ("--output", "--force", "--model", "--language", "--chapters", "--audio-track",
                   "--device", "--threads", "--quiet", "--debug", "[default: base]", "[default: auto]"):
        assert option in proc.stdout


def test_progress_bar_on_a_terminal(tmp_path):
    """On a terminal the live bar shows audio time done / total and the speed."""
    import os
    import pty
    import subprocess
    import sys
    import threading

    f = tmp_path / "room.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "10", str(f))
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run([sys.executable, "-m", "transcribe", str(f)], stderr=slave,
                          stdout=subprocess.DEVNULL, timeout=300)
    os.close(slave)
    reader.join(timeout=5)
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, screen
    assert "Transcribing" in screen and "00:00:10" in screen and "real time" in screen
    assert "Traceback" not in screen and "error" not in screen


def test_output_may_not_be_the_input(tmp_path):
    f = tmp_path / "talk.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(f))
    before = f.read_bytes()
    _assert_one_line_error(run_cli(f, "-o", f, "--force"), "that is the input file", code=2)
    md_input = tmp_path / "audio.md"
    md_input.write_bytes(before)
    _assert_one_line_error(run_cli(md_input, "--force"), "that is the input file", code=2)
    assert f.read_bytes() == before and md_input.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["--threads", "-4"], "--threads -4"),
    (["-o", "newdir/"], "is a folder"),
])
def test_more_bad_options(tmp_path, args, message):
    f = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(f))
    proc = run_cli(f, *args, cwd=tmp_path)
    _assert_one_line_error(proc, message, code=2)
    assert len(proc.stderr) < 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tone.wav"]


def test_devices_are_not_media_files():
    _assert_one_line_error(run_cli("/dev/zero"), "/dev/zero", "not a regular file")


def test_outputs_may_not_collide(tmp_path):
    f = tmp_path / "talk.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(f))
    for args, message in [
        (["-o", tmp_path / "talk.transcript.json", "--force"], "that is the transcript"),
        (["-o", tmp_path / "notes.srt", "-f", "md", "-f", "srt"], "the suffix says srt but the first --format is md"),
        (["-o", tmp_path / "a.mp4", "--embed-chapters", tmp_path / "a.mp4"], "two outputs would share"),
    ]:
        _assert_one_line_error(run_cli(f, *args), message, code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.wav"]


def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    f = tmp_path / "room.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5", str(f))
    proc = run_cli(f)
    assert proc.returncode == 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Transcribing:")]
    assert len(lines) == 1 and "00:00:05 / 00:00:05 (100%)" in lines[0] and "real time" in lines[0]
    assert run_cli(f, "-q", "--force").stderr == ""


def test_progress_log_ends_at_100_percent_when_the_audio_is_shorter_than_announced():
    import io

    from transcribe.progress import Reporter

    out = io.StringIO()
    with Reporter(stream=out).audio("Transcribing", 100.0) as update:
        update(10.0)
        update(50.0)  # the stream ends here, not at the 100 s the container announced
    assert out.getvalue().splitlines()[-1].startswith("Transcribing: 00:00:50 / 00:00:50 (100%)")


def test_progress_log_has_one_final_line(monkeypatch):
    import io

    from transcribe import progress

    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    out = io.StringIO()
    with progress.Reporter(stream=out).audio("Transcribing", 100.0) as update:
        update(10.0)
        update(99.6)  # printed (as 100 %); the audio ends here: no second final line
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("Transcribing: 00:01:39 / 00:01:40")
