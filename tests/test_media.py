"""Stage 1: probing and decoding real files made with ffmpeg."""

from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import SAMPLE, ffmpeg
from transcribe import media
from transcribe.errors import TranscribeError


def test_probe_sample_video():
    info = media.probe(SAMPLE)
    assert info.streams == ["video h264", "audio aac"]
    assert len(info.audio) == 1 and info.audio[0].start == 0.0
    assert 600 < info.duration < 720


def test_decode_is_16k_mono_float(tmp_path):
    f = tmp_path / "tone.ogg"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=3:sample_rate=44100", "-ac", "2", "-c:a", "libvorbis", str(f))
    audio = media.decode(media.probe(f))
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == 16000
    assert abs(audio.duration - 3.0) < 0.05
    assert 0.1 < float(np.abs(audio.samples).max()) <= 1.0  # lavfi sine peaks at 1/8


def test_second_audio_track(tmp_path):
    f = tmp_path / "two.mkv"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=2", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
           "-t", "2", "-map", "0", "-map", "1", "-c:a", "flac", str(f))
    info = media.probe(f)
    assert [a.track for a in info.audio] == [0, 1]
    loud, silent = media.decode(info, 0), media.decode(info, 1)
    assert np.abs(loud.samples).max() > 0.1
    assert np.abs(silent.samples).max() < 1e-4
    with pytest.raises(TranscribeError, match="no audio track 2"):
        media.decode(info, 2)


def test_audio_start_offset_is_kept(tmp_path):
    """Audio that starts 4 s after the video: sample 0 plays at 4 s on the player's clock."""
    f = tmp_path / "late.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=5:d=10", "-itsoffset", "4",
           "-f", "lavfi", "-i", "sine=f=440:d=6", "-map", "0:v", "-map", "1:a",
           "-c:v", "libx264", "-c:a", "aac", str(f))
    info = media.probe(f)
    assert abs(info.audio[0].start - 4.0) < 0.1
    audio = media.decode(info)
    assert abs(audio.offset - 4.0) < 0.1
    assert abs(audio.duration - 6.0) < 0.2  # no silence padded in front


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "no such file"),
    (lambda d: (d / "folder.mp4").mkdir() or d / "folder.mp4", "is a directory"),
    (lambda d: _write(d / "empty.mp4", b""), "empty file"),
    (lambda d: _write(d / "text.mp4", b"hello\n" * 100), "not a media file"),
])
def test_bad_inputs_raise_one_line(tmp_path, make, message):
    with pytest.raises(TranscribeError, match=message) as err:
        media.probe(make(tmp_path))
    assert "\n" not in err.value.message


def test_video_without_audio_lists_streams(tmp_path):
    f = tmp_path / "novid.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:d=2", "-c:v", "libx264", str(f))
    with pytest.raises(TranscribeError, match=r"no audio stream \(streams found: video h264\)"):
        media.probe(f)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    f = tmp_path / "secret.mp4"
    f.write_bytes(SAMPLE.read_bytes()[:1000])
    f.chmod(0)
    with pytest.raises(TranscribeError, match="permission denied"):
        media.probe(f)


def test_ffmpeg_override(monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSCRIBE_FFMPEG", str(tmp_path / "nope"))
    with pytest.raises(TranscribeError, match="TRANSCRIBE_FFMPEG"):
        media.ffmpeg_executable()
    monkeypatch.delenv("TRANSCRIBE_FFMPEG")
    assert os.path.isfile(media.ffmpeg_executable())
