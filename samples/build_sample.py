"""Build ``samples/talk.mp4`` from the public-domain recordings in ``../shared/eval``.

Four pieces with clearly different topics are joined, 1 s of silence between
them, under a black 160x120 video track:

1. LJ Speech LJ001-0001..0023: Morris, *Printing* (1893), history of printing.
2. G. W. Bush, address on the loss of the Space Shuttle Columbia (2003).
3. LJ Speech LJ002-0001..0022: Griffiths, *The Chronicles of Newgate* (1884).
4. Two scenes of *Night of the Living Dead* (1968): the TV news on the attacks,
   then the plan to escape the farmhouse.

The true topic start times (seconds) are written to ``samples/talk.chapters.json``.
Run from the repository root: ``python samples/build_sample.py [--eval ../shared/eval]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import av
import ffmpeg
import imageio_ffmpeg

GAP_S = 1.0
SAMPLE_RATE = 16000

PIECES = [
    # (relative paths, cut end in seconds or None, title, source)
    (["speech_en/ljspeech/lj001_printing.opus"], 162.79,
     "The history of printing",
     "LJ Speech LJ001-0001..0023 (W. Morris, 'Printing', 1893; LibriVox, public domain)"),
    (["speech_en/gwbush_columbia_address/George_W_Bush_Columbia_FINAL.ogg"], None,
     "The loss of the Space Shuttle Columbia",
     "G. W. Bush, address of 1 Feb 2003 (US federal government work, public domain)"),
    (["speech_en/ljspeech/lj002_newgate.opus"], 148.795,
     "Newgate prison down to 1818",
     "LJ Speech LJ002-0001..0022 (A. Griffiths, 'The Chronicles of Newgate', 1884; LibriVox, public domain)"),
    (["speech_en/night_of_the_living_dead_1968/60s_i_dont_want_anyones_life_on_my_hands.wav",
      "speech_en/night_of_the_living_dead_1968/89s_ill_come_back_down_as_soon_as.wav"], None,
     "Night of the Living Dead: news of the attacks",
     "Night of the Living Dead (G. A. Romero, 1968; public domain, no copyright notice)"),
]


def duration_s(path: Path) -> float:
    with av.open(str(path)) as c:
        return float(c.duration) / av.time_base


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", default="../shared/eval", type=Path)
    ap.add_argument("--out", default="samples/talk.mp4", type=Path)
    args = ap.parse_args()

    streams, chapters, t = [], [], 0.0
    for i, (rels, cut, title, source) in enumerate(PIECES):
        chapters.append({"start": round(t, 3), "title": title, "source": source})
        for rel in rels:
            path = args.eval / rel
            length = cut if cut is not None else duration_s(path)
            a = ffmpeg.input(str(path)).audio.filter("atrim", end=length).filter("asetpts", "PTS-STARTPTS")
            a = a.filter("aresample", SAMPLE_RATE).filter("aformat", channel_layouts="mono")
            a = a.filter("loudnorm", I=-20, TP=-2).filter("aresample", SAMPLE_RATE)
            streams.append(a)
            t += length
        if i < len(PIECES) - 1:
            streams.append(ffmpeg.input(f"anullsrc=r={SAMPLE_RATE}:cl=mono", f="lavfi", t=GAP_S).audio)
            t += GAP_S
    audio = ffmpeg.concat(*streams, v=0, a=1)
    video = ffmpeg.input(f"color=c=black:s=160x120:r=1:d={t:.3f}", f="lavfi").video
    out = ffmpeg.output(video, audio, str(args.out), vcodec="libx264", pix_fmt="yuv420p",
                        acodec="aac", audio_bitrate="32k", ar=SAMPLE_RATE, ac=1,
                        shortest=None, movflags="+faststart")
    cmd = out.overwrite_output().compile(cmd=imageio_ffmpeg.get_ffmpeg_exe())
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    meta = {"media": args.out.name, "duration": round(duration_s(args.out), 3), "chapters": chapters}
    args.out.with_suffix(".chapters.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
