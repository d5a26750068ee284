"""The ``html`` page (issue 14): its structure on small hand-made notes, the media link the two
commands give it, and the page in a real browser (Debian's chromium driven by playwright, no
browser download): a chapter click seeks the player, search highlights and scrolls, keys, a page
without its media, screenshots at desktop and phone widths, and nothing injected ever runs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import SAMPLE, SAMPLES, ffmpeg
from transcribe import render
from transcribe.model import (Chapter, ChapterNotes, KeyPoint, OverviewItem, Part, PartNotes, RenderOptions, Segment,
                              Sentence, Word)
from transcribe.pipeline import Options, run
from transcribe.rechapter import ChaptersOptions, run_chapters

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
INJECTED = "<script>alert(1)</script>"
STARTS = (0.0, 7.0, 14.0)
"""Chapter starts of the 20-second fixture talk."""


def talk(hostile: bool = False, parts: bool = False) -> render.Notes:
    """A 20-second talk of three chapters: 30 sentences of 0.6 s, "zeppelin" in two of the last
    chapter's. ``hostile``: markup in a sentence, a title, a key point and the source's name."""
    texts = [f"Sentence {i} is about printing presses and the history of type." for i in range(30)]
    texts[26] = "Then a zeppelin flew over the printing works."
    texts[28] = "The zeppelin landed in a field."
    if hostile:
        texts[3] = f"He typed {INJECTED} and <img src=x onerror=alert(2)> into the page & left."
    sentences = [Sentence(i, round(i * 20 / 30, 3), round(i * 20 / 30 + 0.6, 3), t) for i, t in enumerate(texts)]
    segments = [Segment(s.start, s.end, s.text, [Word(s.start, s.end, " " + s.text, 0.9)]) for s in sentences]
    bounds = [(0, 0.0, 7.0, 0, 11), (1, 7.0, 14.0, 11, 21), (2, 14.0, 20.0, 21, 30)]
    titles = ["Printing presses", "History of type", "The zeppelin"]
    if hostile:
        titles[1] = 'Type </script><script>alert(3)</script> "quoted" & more'
    chapters = [ChapterNotes(Chapter(i, a, b, f, la), titles[i], texts[f],
                             [KeyPoint(sentences[f + 2].start, texts[f + 2])]) for i, a, b, f, la in bounds]
    source = 'talk <b>"one"</b> & two.webm' if hostile else "talk.webm"
    notes = render.Notes(render.NotesHeader(source, 20.0, "en", "Whisper base"), chapters, sentences, segments)
    if parts:
        notes.parts = [PartNotes(Part(0, 0.0, 7.0, 0, 1), "Presses"), PartNotes(Part(1, 7.0, 20.0, 1, 3), "Type")]
        notes.overview = [OverviewItem(0.0, "Printing presses", 0), OverviewItem(14.0, "The zeppelin", 2)]
    return notes


def page_of(notes: render.Notes, href: str | None = "clip.webm") -> str:
    notes.options = RenderOptions(media_href=href)
    return render.render_html(notes)


class Tree(HTMLParser):
    """Every start tag as ``(tag, attrs)``, and whether the tags nest properly."""

    VOID = {"meta", "input", "br", "img", "link", "source", "hr", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags, self.stack, self.errors, self.scripts, self._in = [], [], [], [], None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "script":
            self._in = [dict(attrs), ""]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()
        if tag == "script" and self._in is not None:
            self.scripts.append(tuple(self._in))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[1] += data

    def find(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in (a.get("class") or "").split())]


def test_page_structure():
    text = page_of(talk())
    tree = Tree(text)
    assert not tree.errors and tree.stack == []
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert tree.find("meta")[0] == {"charset": "utf-8"}
    assert [a["src"] for a in tree.find("video")] == ["clip.webm"] and not tree.find("audio")
    # self-contained: no stylesheet or script files, every link inside the page, nothing else loaded
    assert not tree.find("link") and not [a for t, a in tree.tags if "src" in a and t != "video"]
    assert {a["href"][0] for a in tree.find("a")} == {"#"}
    (data_attrs, data), (code_attrs, code) = tree.scripts
    assert data_attrs == {"type": "application/json", "id": "data"} and code_attrs == {}
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    csp = next(a["content"] for a in tree.find("meta") if a.get("http-equiv") == "Content-Security-Policy")
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert json.loads(data)["chapters"] == [{"start": a, "end": b, "title": t} for a, b, t in
                                            [(0.0, 7.0, "Printing presses"), (7.0, 14.0, "History of type"),
                                             (14.0, 20.0, "The zeppelin")]]
    # chapters: one article each, a seeking link in the outline and on the timeline
    assert [a["id"] for a in tree.find("article", "chapter")] == ["ch-1", "ch-2", "ch-3"]
    assert [float(a["data-t"]) for a in tree.find("a", "toc")] == list(STARTS)
    blocks = tree.find("a", "tl-ch")
    geometry = [tuple(float(x) for x in re.findall(r"(?:left|width):([\d.]+)%", a["style"])) for a in blocks]
    assert geometry == [(0.0, 35.0), (35.0, 35.0), (70.0, 30.0)]
    assert [a["data-tip"] for a in blocks][1] == "00:00:07 – History of type"
    # the transcript: every sentence seekable, once, in order
    spans = tree.find("span", "s")
    assert [(float(a["data-start"]), float(a["data-end"])) for a in spans] == [
        (s.start, s.end) for s in talk().sentences]
    assert len(tree.find("p", "para")) == 3 and len(tree.find("input")) == 1


def test_parts_colours_and_outline():
    tree = Tree(page_of(talk(parts=True)))
    assert not tree.errors
    parts = tree.find("a", "tl-part")
    assert [a["href"] for a in parts] == ["#part-1", "#part-2"] and [p["data-tip"] for p in parts][1] == (
        "Part 2 · Type · 00:00:07–00:00:20")
    hues = [re.search(r"--h:(\d+)", a["style"]).group(1) for a in tree.find("a", "tl-ch")]
    assert hues[1] == hues[2] != hues[0]  # a colour per part; chapters of one part alternate shades
    assert ["alt" in a["class"] for a in tree.find("a", "tl-ch")] == [False, False, True]
    assert [a["id"] for a in tree.find("section", "part")] == ["part-1", "part-2"]
    assert len(tree.find("li", "toc-part")) == 2 and len(tree.find("section", "overview")) == 1


def test_all_text_escaped():
    text = page_of(talk(hostile=True))
    tree = Tree(text)
    assert not tree.errors
    assert text.count("<script") == 2 and "<img" not in text and "<b>" not in text  # only the page's own
    assert "He typed &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(2)&gt;" in text
    assert "<title>talk &lt;b&gt;&quot;one&quot;&lt;/b&gt; &amp; two.webm</title>" in text
    data = tree.scripts[0][1]
    assert not set("<>&") & set(data)
    assert json.loads(data)["chapters"][1]["title"] == 'Type </script><script>alert(3)</script> "quoted" & more'


def test_mandarin_and_scripts():
    notes = talk()
    notes.header.language = "zh"
    for s, text in zip(notes.sentences[:3], ["印刷术改变了世界。", "活字印刷", "很重要。"]):
        s.text = text
    text = page_of(notes)
    assert '<html lang="zh-Hans">' in text and ">目录</h2>" in text and 'placeholder="搜索文字稿"' in text
    assert "印刷术改变了世界。</span><span" in text and "活字印刷</span><span" in text  # no space between
    notes.header.script = "tw"
    text = page_of(notes)
    assert '<html lang="zh-Hant-TW">' in text and ">目錄</h2>" in text


def test_without_media_audio_and_no_speech():
    text = page_of(talk(), None)
    assert "<video" not in text and "<audio" not in text and '<body class="no-media">' in text
    assert '<audio id="media" src="talk%20one.m4a"' in page_of(talk(), "talk%20one.m4a")
    empty = render.Notes(render.NotesHeader("x.wav", 3.0, "und", "m"), [])
    text = page_of(empty, "x.wav")
    assert render.NO_SPEECH in text and "<script" not in text and "<audio" not in text


def test_media_href(tmp_path, monkeypatch):
    assert render.media_href(tmp_path / "a.mp4", tmp_path / "a.html") == "a.mp4"
    assert render.media_href(tmp_path / "a.mp4", tmp_path / "out" / "a.html") == "../a.mp4"
    assert render.media_href(tmp_path / "m" / "my talk #2?.mp4", tmp_path / "a.html") == "m/my%20talk%20%232%3F.mp4"
    assert render.media_href(tmp_path / "javascript:alert(1).mp4", tmp_path / "a.html") == (
        "javascript%3Aalert%281%29.mp4")  # never a URL scheme
    monkeypatch.chdir(tmp_path)
    assert render.media_href(Path("a.mp4"), Path("-")) == "a.mp4"  # -o -: the page is read from here
    assert render.media_href(None, tmp_path / "a.html") is None and render.media_href(Path("a"), None) is None


def _video_src(path: Path) -> str | None:
    found = Tree(path.read_text(encoding="utf-8")).find("video")
    return found[0]["src"] if found else None


def test_commands_link_the_recording(tmp_path):
    """``transcribe`` links its input; ``transcribe chapters`` the recording its transcript names,
    beside the page or the transcript, and none for an imported transcript or a missing recording."""
    (tmp_path / "my talk").mkdir()
    (tmp_path / "out").mkdir()
    shutil.copy(SAMPLE, tmp_path / "my talk" / "talk.mp4")  # the saved transcript is reused, no ASR
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "my talk" / "talk.transcript.json")
    run(Options(input=tmp_path / "my talk" / "talk.mp4", formats=["html"], output=tmp_path / "out" / "notes.html"))
    assert _video_src(tmp_path / "out" / "notes.html") == "../my%20talk/talk.mp4"

    (tmp_path / "t").mkdir()
    shutil.copy(SAMPLES / "talk.asr.json", tmp_path / "t" / "talk.transcript.json")  # names talk.mp4
    run_chapters(ChaptersOptions(tmp_path / "t" / "talk.transcript.json", formats=["html"]))
    assert _video_src(tmp_path / "t" / "talk.html") is None  # talk.mp4 is nowhere near
    shutil.copy(SAMPLE, tmp_path / "t" / "talk.mp4")
    (tmp_path / "t" / "sub").mkdir()
    run_chapters(ChaptersOptions(tmp_path / "t" / "talk.transcript.json", formats=["html", "md"],
                                 output=tmp_path / "t" / "sub" / "talk.html"))
    assert _video_src(tmp_path / "t" / "sub" / "talk.html") == "../talk.mp4"


# --- in a real browser ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium): the html browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright missing (pip install playwright; its browser download is not needed)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``talk.html`` (the hostile fixture talk) beside a 20 s WebM clip of the sample; the same page in
    ``moved/`` without the clip; ``plain.html``, a page without a player."""
    root = tmp_path_factory.mktemp("site")
    ffmpeg("-i", str(SAMPLE), "-t", "20", "-c:v", "libvpx", "-b:v", "60k", "-c:a", "libopus", "-b:a", "32k",
           str(root / "clip.webm"))
    text = page_of(talk(hostile=True, parts=True))
    (root / "talk.html").write_text(text, encoding="utf-8")
    (root / "moved").mkdir()
    (root / "moved" / "talk.html").write_text(text, encoding="utf-8")
    (root / "plain.html").write_text(page_of(talk(hostile=True), None), encoding="utf-8")
    return root


class Tab:
    """A page with everything it reports: console errors, uncaught exceptions, dialogs."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 860) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.set_default_timeout(10_000)
        self.errors, self.dialogs = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def time(self) -> float:
        return self.js("document.getElementById('media').currentTime")

    def ready(self) -> "Tab":
        self.page.wait_for_function("() => document.getElementById('media').readyState >= 1")
        return self

    def close(self) -> None:
        self.page.close()


def test_chapters_keys_and_highlight(browser, site):
    tab = Tab(browser, (site / "talk.html").as_uri()).ready()
    page = tab.page
    page.click('.toc[data-ch="1"]')  # the outline
    assert tab.time() == pytest.approx(STARTS[1], abs=0.3)
    page.click('.tl-ch[data-ch="2"]')  # the timeline
    assert tab.time() == pytest.approx(STARTS[2], abs=0.3)
    assert page.is_visible("#ch-3")  # and the page went to the chapter
    tab.js("document.getElementById('media').pause()")
    page.locator("#ch-2 .points a.t").click()  # a key point's time
    assert tab.time() == pytest.approx(talk().sentences[13].start, abs=0.3)
    sentence = page.locator(".s").nth(17)
    sentence.click()
    assert tab.time() == pytest.approx(talk().sentences[17].start, abs=0.3)
    page.wait_for_function("() => document.querySelectorAll('.s')[17].classList.contains('now')")
    tab.js("document.getElementById('media').pause(); document.activeElement.blur()")
    page.keyboard.press("k")
    assert tab.time() == pytest.approx(STARTS[2], abs=0.3)
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert tab.time() == pytest.approx(STARTS[0], abs=0.3)
    page.keyboard.press("ArrowRight")
    assert tab.time() == pytest.approx(5.0, abs=0.3)
    assert float(tab.js("parseFloat(document.getElementById('head').style.left)")) == pytest.approx(25.0, abs=2)
    page.keyboard.press("ArrowLeft")
    assert tab.time() == pytest.approx(0.0, abs=0.3)
    page.keyboard.press(" ")
    page.wait_for_function("() => document.getElementById('media').currentTime > 0.6")  # it plays
    # while it plays, the sentence being spoken is the highlighted one
    page.wait_for_function("() => { const m = document.getElementById('media'), s = document.querySelector('.s.now');"
                           " return m.currentTime > 0.8 && s && s === document.querySelectorAll('.s')"
                           "[Math.floor(m.currentTime * 1.5)]; }")
    page.keyboard.press(" ")
    assert tab.js("document.getElementById('media').paused")
    page.click("#q")
    page.keyboard.type("k j")  # typing in the search box moves nothing
    assert tab.time() < 2.5
    assert tab.errors == [] and tab.dialogs == []
    tab.close()


def test_search_highlights_and_scrolls(browser, site):
    tab = Tab(browser, (site / "talk.html").as_uri())
    page = tab.page
    target = page.locator(".s").nth(26)

    def in_view() -> bool:
        box = target.bounding_box()
        return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 860

    assert not in_view()
    page.fill("#q", "Zeppelin")
    assert "hit" in target.get_attribute("class") and in_view()
    assert target.locator("mark").inner_text() == "zeppelin" and page.inner_text("#count") == "1 of 2"
    assert page.locator(".para:visible").count() == 1  # paragraphs without a match are filtered out
    page.press("#q", "Enter")
    assert page.inner_text("#count") == "2 of 2" and "hit" in page.locator(".s").nth(28).get_attribute("class")
    page.press("#q", "Escape")
    assert page.locator("mark").count() == 0 and page.locator(".para:visible").count() == 3
    page.fill("#q", "nothing like this")
    assert page.inner_text("#count") == "No matches"
    assert tab.errors == [] and tab.dialogs == []
    tab.close()


def test_screenshots_and_injected_markup(browser, site, tmp_path):
    """Desktop and phone screenshots (also to $TRANSCRIBE_TEST_ARTIFACTS); the injected markup shows as
    text and runs nothing; the phone page does not scroll sideways."""
    folders = [tmp_path] + ([Path(os.environ["TRANSCRIBE_TEST_ARTIFACTS"])]
                            if os.environ.get("TRANSCRIBE_TEST_ARTIFACTS") else [])
    for name, width in (("desktop", 1280), ("phone", 390)):
        tab = Tab(browser, (site / "talk.html").as_uri(), width, 860 if width > 400 else 844).ready()
        tab.page.wait_for_timeout(300)
        assert tab.js("document.documentElement.scrollWidth") <= width
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            tab.page.screenshot(path=str(folder / f"html-{name}.png"))
        tab.page.locator(".s").nth(3).scroll_into_view_if_needed()
        assert tab.page.get_by_text(INJECTED, exact=False).first.is_visible()
        assert tab.js("document.querySelectorAll('script').length") == 2 and not tab.js("document.querySelector('img')")
        assert tab.errors == [] and tab.dialogs == []
        tab.close()
    assert (tmp_path / "html-desktop.png").stat().st_size > 10_000
    # dark where the system is dark; printed: the notes without the player, timeline or search
    tab = Tab(browser, (site / "talk.html").as_uri())
    light = tab.js("getComputedStyle(document.body).backgroundColor")
    tab.page.emulate_media(color_scheme="dark")
    assert tab.js("getComputedStyle(document.body).backgroundColor") != light
    tab.page.emulate_media(media="print")
    assert not tab.page.is_visible("#player") and not tab.page.is_visible("#dock")
    assert tab.page.is_visible(".outline") and tab.page.is_visible("#ch-3") and tab.page.is_visible("#transcript")
    assert tab.errors == []
    tab.close()


def test_page_without_its_media(browser, site):
    # the media file is not beside the page: the player goes, the notes stay and their links still go
    tab = Tab(browser, (site / "moved" / "talk.html").as_uri())
    page = tab.page
    page.wait_for_selector("#player", state="detached")
    assert tab.js("document.body.className") == "no-media"
    assert page.is_visible("#ch-2") and page.is_visible("#timeline") and not page.is_visible("#head")
    page.click('.toc[data-ch="2"]')
    assert tab.js("location.hash") == "#ch-3"
    page.fill("#q", "zeppelin")
    assert page.inner_text("#count") == "1 of 2"
    # the one error is Chromium's own log line for the missing file, not the page's
    assert tab.errors == ["Failed to load resource: net::ERR_FILE_NOT_FOUND"] and tab.dialogs == []
    tab.close()
    # notes without a recording: no player at all, and not a single error
    tab = Tab(browser, (site / "plain.html").as_uri())
    assert not tab.page.locator("video, audio").count() and tab.page.is_visible("#ch-3")
    tab.page.click('.tl-ch[data-ch="1"]')
    assert tab.js("location.hash") == "#ch-2"
    assert tab.errors == [] and tab.dialogs == []
    tab.close()
