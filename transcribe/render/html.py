"""The ``html`` writer: the notes as one self-contained page, ``NAME.html``.

The page needs nothing but itself (no network: CSS and JavaScript are inlined from
``html_page.css`` and ``html_page.js`` beside this module) and plays the recording when
the media file is where :attr:`transcribe.model.RenderOptions.media_href` points (relative
to the page; :func:`media_href` makes the link). It holds, top to bottom:

* the header (source, duration, language, model, audio track);
* an aside with the player (``<video>``, or ``<audio>`` for an audio file's suffix) and the
  outline (parts and chapters, each a link that seeks the player and scrolls to the chapter);
* a sticky timeline of the whole recording: parts and chapters as proportional blocks
  (one hue per part), hover shows title and time, a playhead moves while playing, and a
  search box for the transcript (matches highlighted, paragraphs without one hidden, Enter
  jumps to the next match);
* the overview, each chapter with its summary and key points, and the full transcript
  (:func:`transcribe.render.common.paragraphs`), one ``<span class="s">`` per sentence with
  ``data-start``/``data-end`` in seconds; the sentence being spoken is highlighted.

Keys: space play/pause, ←/→ 5 s, j/k previous/next chapter, / search (not while typing).
Without the media file (missing, unplayable, or notes from a transcript without one) the
player is removed and every time link is a plain anchor within the page; print CSS leaves
the notes only.

Safety: every text is escaped with :func:`html.escape`; the data for the script is JSON in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` as ``\\u003c`` etc.;
a Content-Security-Policy lets only the page's own script run (by its SHA-256) and loads
nothing but the media.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache
from html import escape
from importlib.resources import files
from pathlib import Path, PurePath
from urllib.parse import quote, unquote

from transcribe.model import ChapterNotes, PartNotes, Sentence
from transcribe.render.common import Notes, _cjk_char, clock, hms, labels, one_line, paragraphs

AUDIO_SUFFIXES = frozenset({".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".flac", ".mka", ".wma",
                            ".aif", ".aiff", ".amr", ".ac3", ".weba"})
"""Media suffixes played in an ``<audio>`` element; any other in a ``<video>`` (which plays
audio too: the script shrinks one that turns out to have no picture)."""
HUES = (214, 158, 28, 276, 350, 190, 96, 246)
"""Timeline hues (HSL degrees): one per part, or one per chapter in a talk without parts."""
LANG_TAGS = {"simplified": "zh-Hans", "traditional": "zh-Hant", "tw": "zh-Hant-TW", "tw-phrases": "zh-Hant-TW",
             "hk": "zh-Hant-HK"}
"""``--script`` -> the page's ``lang`` for Chinese notes (so browsers pick the right glyphs)."""

PAGE_LABELS = {
    "en": {"timeline": "Timeline", "player": "Player", "search": "Search the transcript",
           "prev": "Previous match", "next": "Next match", "matches": "{i} of {n}", "none": "No matches",
           "keys": "Keys", "k_play": "play / pause", "k_seek": "back / forward 5 s",
           "k_chapter": "previous / next chapter", "k_search": "search", "to_transcript": "Transcript"},
    "zh": {"timeline": "时间轴", "player": "播放器", "search": "搜索文字稿", "prev": "上一处",
           "next": "下一处", "matches": "{i}/{n}", "none": "无结果", "keys": "快捷键", "k_play": "播放/暂停",
           "k_seek": "后退/前进 5 秒", "k_chapter": "上一章/下一章", "k_search": "搜索",
           "to_transcript": "文字稿"},
}
"""The page's own labels (the notes' are :data:`transcribe.render.common.LABELS`), simplified
Chinese converted to the notes' script."""


def media_href(media: Path | None, page: Path | None) -> str | None:
    """The link from the page at ``page`` to the media file ``media``, for
    :attr:`transcribe.model.RenderOptions.media_href`.

    Relative to the page's folder, ``/``-separated and percent-encoded (so a name with ``#``,
    ``?``, ``:`` or spaces stays a relative file link); a ``file:`` URI when no relative path
    exists (another drive on Windows). Either path may be relative to the current directory;
    the page ``-`` (standard output) counts as being in it. None when either is None.
    """
    if media is None or page is None:
        return None
    try:
        rel = os.path.relpath(os.path.abspath(media), os.path.dirname(os.path.abspath(page)))
    except ValueError:
        return Path(media).resolve().as_uri()
    return quote(PurePath(rel).as_posix())


@lru_cache(maxsize=None)
def _page_labels(language: str, script: str) -> dict[str, str]:
    out = labels(language, script)
    if language != "zh":
        return {**out, **PAGE_LABELS["en"]}
    from transcribe.scripts import convert_text

    return {**out, **{k: convert_text(v, script) for k, v in PAGE_LABELS["zh"].items()}}


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return files("transcribe.render").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: object) -> str:
    """``data`` as JSON safe inside ``<script>``: ``<``, ``>``, ``&`` as ``\\u003c`` etc."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _n(x: float) -> str:
    """A number for an attribute: at most 3 decimals, no trailing zeros."""
    return f"{x:.3f}".rstrip("0").rstrip(".") or "0"


class _Page:
    """The pieces of one page; ``span`` is the timeline's length (seconds, or sentences untimed)."""

    def __init__(self, notes: Notes) -> None:
        self.notes, h = notes, notes.header
        self.lab = _page_labels(h.language, h.script)
        self.timed = h.timed
        ends = [n.chapter.end for n in notes.chapters]
        self.span = (h.duration if h.timed and h.duration > 0 else max(ends, default=0.0)) or 1.0
        self.part_of = {i: p for p in notes.parts for i in range(p.part.first, p.part.last)}
        self.hue = {}
        for i in range(len(notes.chapters)):
            p = self.part_of.get(i)
            self.hue[i] = HUES[(p.part.index if p else i) % len(HUES)]
        self.speakers = {s.start: s.speaker for s in notes.sentences if s.speaker}

    def when(self, seconds: float) -> str:
        return escape(clock(seconds, self.timed))

    def t_link(self, seconds: float, chapter: int, cls: str = "t") -> str:
        """A time as a link: seeks the player (``data-t``), else goes to the chapter."""
        return f'<a class="{cls}" href="#ch-{chapter + 1}" data-t="{_n(seconds)}">{self.when(seconds)}</a>'

    def part_name(self, p: PartNotes) -> str:
        part = self.lab["part"]
        name = part.format(n=p.part.index + 1) if "{n}" in part else f"{part} {p.part.index + 1}"
        return f"{name} · {p.title}"

    def pct(self, seconds: float) -> str:
        return _n(max(0.0, min(100.0, seconds / self.span * 100)))

    def block(self, cls: str, href: str, start: float, end: float, hue: int, label: str, tip: str,
              chapter: int | None) -> str:
        """One timeline block, ``left``/``width`` in percent of :attr:`span`."""
        data = f' data-ch="{chapter}"' if chapter is not None else ""
        side = " end" if start / self.span > 0.55 else ""
        width = _n(max(0.0, min(100.0, (end - start) / self.span * 100)))
        return (f'<a class="tl-block {cls}{side}" href="{href}" data-t="{_n(start)}"{data} '
                f'style="left:{self.pct(start)}%;width:{width}%;--h:{hue}" data-tip="{escape(tip)}" '
                f'aria-label="{escape(tip)}"><span>{escape(label)}</span></a>')

    def timeline(self) -> list[str]:
        notes, out = self.notes, [f'<div class="timeline" id="timeline" role="group" '
                                  f'aria-label="{escape(self.lab["timeline"])}">']
        if notes.parts:
            out.append('<div class="tl-row tl-parts">')
            out += [self.block("tl-part", f"#part-{p.part.index + 1}", p.part.start, p.part.end,
                               HUES[p.part.index % len(HUES)], self.part_name(p),
                               f"{self.part_name(p)} · {clock(p.part.start, self.timed)}–"
                               f"{clock(p.part.end, self.timed)}", None) for p in notes.parts]
            out.append("</div>")
        out.append('<div class="tl-row tl-chapters">')
        for i, n in enumerate(notes.chapters):
            p = self.part_of.get(i)
            alt = " alt" if (i - (p.part.first if p else 0)) % 2 else ""
            out.append(self.block(f"tl-ch{alt}", f"#ch-{i + 1}", n.chapter.start, n.chapter.end, self.hue[i],
                                  n.title, f"{clock(n.chapter.start, self.timed)} – {n.title}", i))
        out += ['</div><div class="tl-hits" id="hits"></div><div class="tl-head" id="head" hidden></div>',
                '<div class="tl-axis" aria-hidden="true">']
        out += [f"<span>{self.when(self.span * k / 4)}</span>" for k in range(5)]
        out.append("</div></div>")
        return out

    def toolbar(self) -> list[str]:
        lab = self.lab
        return [f'<div class="bar" id="bar" hidden><span class="clock" id="clock"></span>'
                f'<input type="search" id="q" placeholder="{escape(lab["search"])}" '
                f'aria-label="{escape(lab["search"])}" autocomplete="off" spellcheck="false">'
                f'<span class="count" id="count" aria-live="polite"></span>'
                f'<button type="button" id="prev" aria-label="{escape(lab["prev"])}" title="{escape(lab["prev"])}">'
                f'↑</button><button type="button" id="next" aria-label="{escape(lab["next"])}" '
                f'title="{escape(lab["next"])} (Enter)">↓</button></div>']

    def player(self, href: str | None) -> list[str]:
        if not href:
            return []
        tag = "audio" if PurePath(unquote(href)).suffix.lower() in AUDIO_SUFFIXES else "video"
        lab = self.lab
        keys = [("Space", lab["k_play"]), ("← →", lab["k_seek"]), ("j k", lab["k_chapter"]), ("/", lab["k_search"])]
        return [f'<div class="player" id="player" aria-label="{escape(lab["player"])}">'
                f'<{tag} id="media" src="{escape(href)}" controls preload="metadata" playsinline></{tag}>'
                f'<p class="playing" id="playing" aria-live="polite"></p>',
                f'<p class="keys"><span class="keys-label">{escape(lab["keys"])}</span> '
                + " ".join(f"<kbd>{escape(k)}</kbd> {escape(v)}" for k, v in keys) + "</p></div>"]

    def with_parts(self):
        """``(index, chapter notes, the part starting there or None)`` for each chapter."""
        part_at = {p.part.first: p for p in self.notes.parts}
        for i, n in enumerate(self.notes.chapters):
            yield i, n, part_at.get(i)

    def outline(self) -> list[str]:
        notes = self.notes
        out = [f'<nav class="outline" aria-label="{escape(self.lab["outline"])}">'
               f'<h2>{escape(self.lab["outline"])}</h2><ol>']
        for i, n, p in self.with_parts():
            if p is not None:
                if i:
                    out.append("</ol></li>")
                out.append(f'<li class="toc-part"><a class="toc-part-label" href="#part-{p.part.index + 1}" '
                           f'data-t="{_n(p.part.start)}">{escape(self.part_name(p))}</a><ol>')
            out.append(f'<li><a class="toc nav" href="#ch-{i + 1}" data-t="{_n(n.chapter.start)}" data-ch="{i}" '
                       f'style="--h:{self.hue[i]}"><span class="time">{self.when(n.chapter.start)}</span>'
                       f'<span class="title">{escape(n.title)}</span></a></li>')
        if notes.parts:
            out.append("</ol></li>")
        out.append("</ol></nav>")
        return out

    def overview(self) -> list[str]:
        if not self.notes.overview:
            return []
        out = [f'<section class="overview"><h2>{escape(self.lab["overview"])}</h2><ul>']
        out += [f"<li>{self.t_link(o.time, o.chapter)} {escape(o.text)}</li>" for o in self.notes.overview]
        return out + ["</ul></section>"]

    def chapter(self, i: int, n: ChapterNotes, level: int) -> list[str]:
        out = [f'<article class="chapter" id="ch-{i + 1}" data-ch="{i}" style="--h:{self.hue[i]}">',
               f'<h{level}>{self.t_link(n.chapter.start, i)} {escape(n.title)}</h{level}>',
               f'<p class="summary">{escape(n.summary)}</p>']
        if n.key_points:
            out.append(f'<h{level + 1} class="points-label">{escape(self.lab["points"])}</h{level + 1}>'
                       f'<ul class="points">')
            for p in n.key_points:
                who = f'<b class="who">{escape(self.speakers[p.time])}:</b> ' if p.time in self.speakers else ""
                out.append(f"<li>{self.t_link(p.time, i)} {who}{escape(p.text)}</li>")
            out.append("</ul>")
        if self.notes.sentences[n.chapter.first:n.chapter.last]:
            out.append(f'<a class="to-tx" href="#tx-{i + 1}">{escape(self.lab["to_transcript"])} ↓</a>')
        return out + ["</article>"]

    def chapters(self) -> list[str]:
        notes, out = self.notes, []
        for i, n, p in self.with_parts():
            if p is not None:
                if i:
                    out.append("</section>")
                out.append(f'<section class="part" id="part-{p.part.index + 1}" style="--h:{self.hue[i]}">'
                           f'<h2>{escape(self.part_name(p))} <span class="range">{self.when(p.part.start)}–'
                           f'{self.when(p.part.end)}</span></h2>')
            out += self.chapter(i, n, 3 if notes.parts else 2)
        if notes.parts:
            out.append("</section>")
        return out

    def transcript(self) -> list[str]:
        notes = self.notes
        out = [f'<section class="transcript" id="transcript"><h2>{escape(self.lab["transcript"])}</h2>']
        for i, n in enumerate(notes.chapters):
            sents = notes.sentences[n.chapter.first:n.chapter.last]
            if not sents:
                continue
            out.append(f'<div class="tx-chapter" id="tx-{i + 1}" data-ch="{i}" style="--h:{self.hue[i]}">'
                       f'<h3>{self.t_link(n.chapter.start, i)} {escape(n.title)}</h3>')
            for para in paragraphs(sents, self.timed):
                who = f'<b class="who">{escape(para[0].speaker)}:</b> ' if para[0].speaker else ""
                out.append(f'<p class="para">{self.t_link(para[0].start, i, "t pt")} {who}{_sentences(para)}</p>')
            out.append("</div>")
        return out + ["</section>"]

    def header(self) -> list[str]:
        h, lab = self.notes.header, self.lab
        language = lab["unknown"] if h.language == "und" else h.language
        if h.spoken_language:
            language += f" ({lab['translated']} {h.spoken_language})"
        facts = [(lab["duration"], hms(h.duration) if h.timed else "—"), (lab["language"], language),
                 (lab["model"], h.model)]
        if h.audio_tracks > 1:
            facts.append((lab["track"], f"{h.audio_track} {lab['of']} {h.audio_tracks}"))
        return [f'<header class="top"><h1>{escape(h.source)}</h1><dl class="meta">'
                + "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts)
                + "</dl></header>"]

    def data(self) -> dict:
        """What the script reads: the timeline's span, the chapters' times and titles, labels."""
        lab = self.lab
        return {"span": self.span,
                "chapters": [{"start": n.chapter.start, "end": n.chapter.end, "title": n.title}
                             for n in self.notes.chapters],
                "labels": {"matches": lab["matches"], "none": lab["none"]}}


def _sentences(para: list[Sentence]) -> str:
    """One paragraph's sentences as seekable spans, a space between two unless either side is
    Chinese (or Japanese) text."""
    out, prev = [], ""
    for s in para:
        text = one_line(s.text)
        if not text:
            continue
        if prev and not (_cjk_char(prev[-1]) or _cjk_char(text[0])):
            out.append(" ")
        out.append(f'<span class="s" data-start="{_n(s.start)}" data-end="{_n(s.end)}">{escape(text)}</span>')
        prev = text
    return "".join(out)


def render_html(notes: Notes) -> str:
    """The notes as one self-contained HTML page (UTF-8 text; see the module's docstring).

    ``notes.options.media_href`` (relative link to the media, or None) adds the player. With no
    chapters (no speech) the page holds the header and the localised "no speech" line.
    """
    h, page = notes.header, _Page(notes)
    lang = LANG_TAGS.get(h.script, "zh") if h.language == "zh" else (h.language or "und")
    script = _asset("html_page.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    href = notes.options.media_href if notes.chapters else None
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
           "media-src 'self' file: blob:; img-src data:; base-uri 'none'; form-action 'none'")
    out = ["<!DOCTYPE html>", f'<html lang="{escape(lang)}">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">',
           '<meta name="color-scheme" content="light dark">', '<meta name="generator" content="transcribe">',
           f"<title>{escape(h.source)}</title>", f"<style>\n{_asset('html_page.css')}</style>", "</head>",
           f'<body class="{"has-media" if href else "no-media"}">', '<div class="wrap">', *page.header()]
    if not notes.chapters:
        out += [f'<p class="no-speech">{escape(page.lab["no_speech"])}</p>', "</div>", "</body>", "</html>"]
        return "\n".join(out) + "\n"
    out += ['<div class="layout">', '<aside class="side">', *page.player(href), *page.outline(), "</aside>",
            '<main class="main">', '<div class="dock" id="dock">', *page.timeline(), *page.toolbar(), "</div>",
            *page.overview(), *page.chapters(), *page.transcript(), "</main>", "</div>", "</div>",
            f'<script type="application/json" id="data">{_json_for_script(page.data())}</script>',
            f"<script>{script}</script>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


FORMATS = {"html": (".html", render_html)}
"""This module's ``--format`` name -> (file suffix, renderer)."""
