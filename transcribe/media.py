"""Stage 1, media: probe any audio/video file and decode one audio stream.

In: a path. Out: :class:`MediaInfo` (what the container holds) and
:class:`Audio` (16 kHz mono float32 PCM plus the offset that maps sample 0 to
the player's clock).

Probing uses PyAV (``av``, already a dependency of faster-whisper), because the
ffmpeg binary shipped in the ``imageio-ffmpeg`` wheel comes without ``ffprobe``.
Decoding runs an ffmpeg binary through ffmpeg-python: ``TRANSCRIBE_FFMPEG`` if
set, else the one inside ``imageio-ffmpeg``, so that the output does not depend on
which ffmpeg a machine has (with ffmpeg 5.1 on ``PATH`` the sample's summaries came out
different: its resampler differs), and an ``ffmpeg`` on ``PATH`` only where that wheel
has no binary for the platform.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from transcribe.errors import TranscribeError

SAMPLE_RATE = 16000
"""Sample rate of decoded audio, Hz (what Whisper expects)."""
DECODE_TIMEOUT_S = 120.0
"""Decoding is stopped when ffmpeg yields no audio for this many seconds (ffmpeg decodes
far faster than real time, so only a stuck decoder reaches it)."""


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream of a container.

    Attributes:
        track: position among the audio streams (0 = first), what ``--audio-track`` takes.
        index: stream index in the container (ffmpeg's ``0:N``).
        codec: codec name, e.g. ``"aac"``.
        channels: channel count.
        sample_rate: Hz.
        start: seconds from the container's start to the stream's first sample.
        language: ISO 639 tag from the container, or ``None``.
    """

    track: int
    index: int
    codec: str
    channels: int
    sample_rate: int
    start: float
    language: str | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds.

    Attributes:
        path: the file.
        duration: container duration, seconds (0.0 when the container does not say).
        audio: the audio streams, in container order.
        streams: a short description of every stream, e.g. ``["video h264", "audio aac"]``.
    """

    path: Path
    duration: float
    audio: list[AudioStreamInfo] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)


@dataclass
class Audio:
    """Decoded PCM of one audio stream.

    Attributes:
        samples: ``(n,)`` float32 in [-1, 1], mono, :data:`SAMPLE_RATE` Hz.
        offset: seconds on the player's clock at which ``samples[0]`` plays
            (the stream's start offset inside the container).
        track: the audio track that was decoded (0 = first).
        sample_rate: always :data:`SAMPLE_RATE`.
    """

    samples: np.ndarray
    offset: float = 0.0
    track: int = 0
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        """Length of the decoded PCM, seconds."""
        return len(self.samples) / self.sample_rate


def ffmpeg_executable() -> str:
    """Path of the ffmpeg binary to run.

    Order: ``$TRANSCRIBE_FFMPEG``, the binary in the ``imageio-ffmpeg`` wheel, ``ffmpeg``
    on ``PATH`` (where the wheel has none).

    Raises:
        TranscribeError: ``TRANSCRIBE_FFMPEG`` names a file that does not exist.
    """
    env = os.environ.get("TRANSCRIBE_FFMPEG")
    if env:
        if not Path(env).is_file():
            raise TranscribeError(f"TRANSCRIBE_FFMPEG={env}: no such file")
        return env
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # no binary in the wheel for this platform
        on_path = shutil.which("ffmpeg")
        if on_path:
            return on_path
        raise TranscribeError("no ffmpeg found: imageio-ffmpeg has no binary for this platform; install "
                              "ffmpeg or set TRANSCRIBE_FFMPEG to one") from None


def check_readable(path: Path) -> None:
    """Fail with one clear line unless ``path`` is a readable, non-empty file.

    Raises:
        TranscribeError: missing, a directory, unreadable, or zero bytes.
    """
    if not path.exists():
        raise TranscribeError(f"{path}: no such file")
    if path.is_dir():
        raise TranscribeError(f"{path}: is a directory; give a file")
    if not path.is_file():
        raise TranscribeError(f"{path}: not a regular file (a device, pipe or socket); "
                              "save the recording to a file first")
    if not os.access(path, os.R_OK):
        raise TranscribeError(f"{path}: permission denied (cannot read the file)")
    if path.stat().st_size == 0:
        raise TranscribeError(f"{path}: empty file (0 bytes)")


def probe(path: Path) -> MediaInfo:
    """Read the container's streams and duration without decoding.

    Raises:
        TranscribeError: the file is missing/unreadable/empty, is not a media
            file, or has no audio stream (the message lists the streams found).
    """
    import av

    path = Path(path)
    check_readable(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise TranscribeError(f"{path}: not a media file, or too damaged to read ({_short(exc)})") from exc
    with container:
        fmt = container.format.name or ""
        base = float(container.start_time) / av.time_base if container.start_time else 0.0
        duration = float(container.duration) / av.time_base if container.duration else 0.0
        streams, audio = [], []
        for s in container.streams:
            codec = s.codec_context.name if s.codec_context else "unknown"
            streams.append(f"{s.type} {codec}")
            if s.type != "audio":
                continue
            start = float(s.start_time * s.time_base) - base if s.start_time is not None else 0.0
            audio.append(AudioStreamInfo(
                track=len(audio), index=s.index, codec=codec,
                channels=s.codec_context.channels, sample_rate=s.codec_context.sample_rate,
                start=max(0.0, start), language=s.metadata.get("language")))
    if not streams:
        raise TranscribeError(f"{path}: not a media file (no streams found)")
    if not audio and (fmt.endswith("_pipe") or fmt == "image2"):
        raise TranscribeError(f"{path}: not a media file (it is an image: {streams[0].split()[-1]})")
    if not audio:
        raise TranscribeError(f"{path}: no audio stream (streams found: {', '.join(streams)}); "
                              "give a file that has sound")
    return MediaInfo(path=path, duration=duration, audio=audio, streams=streams)


BLOCK_S = 30.0
"""Seconds of PCM per block that :func:`stream` yields."""


def stream(info: MediaInfo, track: int = 0, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """Decode audio track ``track`` of ``info.path`` to 16 kHz mono float32, block by block.

    Runs ``ffmpeg -i PATH -map 0:a:TRACK -f f32le -ac 1 -ar 16000 pipe:`` and yields
    ``(n,)`` float32 blocks of ``block_s`` seconds (the last one shorter), so memory
    stays flat whatever the file's length. The first sample plays at
    ``info.audio[track].start`` seconds on the player's clock. A reader thread feeds a
    two-block queue, so a slow consumer holds ffmpeg back rather than buffering.
    Closing the generator early stops ffmpeg.

    Raises:
        TranscribeError: ``track`` does not exist, ffmpeg cannot run or decodes
            nothing, or yields no data for :data:`DECODE_TIMEOUT_S` (a stuck decoder).
    """
    import ffmpeg

    if not 0 <= track < len(info.audio):
        raise TranscribeError(
            f"{info.path}: no audio track {track} (the file has {len(info.audio)}: "
            f"tracks 0..{len(info.audio) - 1})")
    cmd = (ffmpeg.input(str(info.path))
           .output("pipe:", format="f32le", acodec="pcm_f32le", ac=1, ar=SAMPLE_RATE,
                   map=f"0:a:{track}")
           .global_args("-nostdin", "-hide_banner", "-loglevel", "error"))
    try:
        proc = cmd.run_async(cmd=ffmpeg_executable(), pipe_stdout=True, pipe_stderr=True)
    except OSError as exc:
        raise TranscribeError(f"cannot run ffmpeg ({exc}); set TRANSCRIBE_FFMPEG to a working ffmpeg") from exc
    block_bytes = int(block_s * SAMPLE_RATE) * 4
    blocks: queue.Queue = queue.Queue(maxsize=2)
    errors: list[bytes] = []
    stop = threading.Event()

    def put(data: bytes) -> None:
        while not stop.is_set():
            try:
                blocks.put(data, timeout=0.5)
                return
            except queue.Full:
                continue

    def read_stdout() -> None:
        try:
            while not stop.is_set():
                data = proc.stdout.read(block_bytes)
                put(data)
                if not data:
                    return
        except (OSError, ValueError):  # pipe closed by the consumer stopping early
            put(b"")

    def read_stderr() -> None:
        errors.append(proc.stderr.read()[-4000:])

    threads = [threading.Thread(target=read_stdout, daemon=True),
               threading.Thread(target=read_stderr, daemon=True)]
    for t in threads:
        t.start()
    total = 0
    try:
        while True:
            try:
                data = blocks.get(timeout=DECODE_TIMEOUT_S)
            except queue.Empty as exc:
                raise TranscribeError(f"{info.path}: ffmpeg stopped producing audio for "
                                      f"{DECODE_TIMEOUT_S:.0f} s; the file may be damaged") from exc
            if not data:
                break
            usable = len(data) - len(data) % 4
            total += usable
            if usable:
                yield np.frombuffer(data[:usable], dtype=np.float32)
        try:
            proc.wait(timeout=DECODE_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise TranscribeError(f"{info.path}: ffmpeg did not exit after decoding") from exc
        threads[1].join(timeout=5)
        if proc.returncode != 0 and total == 0:
            detail = (errors[0] if errors else b"").decode("utf-8", "replace").strip().splitlines()
            raise TranscribeError(
                f"{info.path}: ffmpeg could not decode audio track {track}"
                f" ({detail[-1][:160] if detail else 'no detail'})")
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass


def decode(info: MediaInfo, track: int = 0) -> Audio:
    """The whole of audio track ``track`` as one :class:`Audio` (all of :func:`stream` joined).

    Holds the whole recording in memory (``3600 s`` = 230 MB): for short files and
    tests; the pipeline streams.

    Raises:
        TranscribeError: as :func:`stream`.
    """
    blocks = list(stream(info, track))
    samples = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    return Audio(samples=samples, offset=info.audio[track].start, track=track)


def _short(exc: BaseException) -> str:
    if getattr(exc, "strerror", None):  # PyAV: "Invalid data found when processing input"
        return str(exc.strerror)
    text = str(exc).strip().splitlines()
    text = text[0] if text else type(exc).__name__
    # PyAV appends ": 'path'" to its messages; the caller already names the file.
    return text.split(": '")[0][:120]
