"""The ``youtube`` writer: the chapter list a video description takes (``00:00 Title``), made
to follow YouTube's rules (:func:`youtube_chapters`)."""

from __future__ import annotations

from transcribe.render.common import Notes, one_line

YOUTUBE_MIN_CHAPTERS = 3
YOUTUBE_MIN_S = 10.0


def _youtube_time(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def youtube_chapters(notes: Notes) -> tuple[list[tuple[float, str]], list[str]]:
    """``(start seconds, title)`` pairs that follow YouTube's rules, and what was changed to get there.

    Rules: the first starts at 0:00, times ascend, each chapter lasts at least
    10 s, at least 3 chapters. A chapter too short is merged into the one before.
    Fewer than 3 cannot be fixed by merging: the list is kept and a message says so.
    """
    messages: list[str] = []
    items = [(0.0 if i == 0 else n.chapter.start, one_line(n.title)) for i, n in enumerate(notes.chapters)]
    end = notes.header.duration
    kept: list[tuple[float, str]] = []
    for i, (start, title) in enumerate(items):
        nxt = items[i + 1][0] if i + 1 < len(items) else end
        if kept and (start <= kept[-1][0] or nxt - start < YOUTUBE_MIN_S):
            messages.append(f"chapter at {_youtube_time(start)} ({title}) merged into the one before: "
                            f"YouTube chapters last at least {YOUTUBE_MIN_S:.0f} s")
            continue
        kept.append((start, title))
    if kept and len(kept) < YOUTUBE_MIN_CHAPTERS:
        messages.append(f"only {len(kept)} chapter(s): YouTube shows chapters only when a video has "
                        f"at least {YOUTUBE_MIN_CHAPTERS}")
    return kept, messages


def render_youtube(notes: Notes) -> str:
    """The chapter list for a video description, one ``MM:SS Title`` line each (``H:MM:SS`` past an hour)."""
    chapters, _ = youtube_chapters(notes)
    return "".join(f"{_youtube_time(start)} {title}\n" for start, title in chapters)


FORMATS = {"youtube": (".youtube.txt", render_youtube)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
