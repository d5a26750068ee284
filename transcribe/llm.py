"""Optional notes written by a language model on any OpenAI-compatible server.

In: the extractive notes (:class:`transcribe.summaries.ChapterNotes`), the sentences,
and :class:`LLMSettings`. Out: the same notes with each chapter's title, summary and
key points (and the overview) written by the model, wherever its answer was valid;
the extractive ones everywhere else.

* **Server**: ``POST {url}/chat/completions`` (Ollama ``http://localhost:11434/v1``,
  llama.cpp's server, vLLM, LM Studio, OpenAI), with ``httpx``; the key from
  :data:`KEY_VARIABLES`. Answers are asked for as JSON against a schema
  (``response_format`` ``json_schema``, or ``json_object`` with a ``schema`` where a
  server refuses that, as llama-cpp-python's does) and validated with ``jsonschema``.
* **Nothing invented about times**: the model sees the chapter's sentences
  numbered and cites, for each key point, the number of the sentence it rests
  on; the time is that sentence's start. A point citing a number that is not a
  sentence of the chapter is dropped. The overview cites chapter numbers; one
  of fewer than 5 bullets (or than the extractive one has) is not used.
* **Faults**: an answer that is not JSON, or not of the schema, is asked for once
  more; then that chapter keeps its extractive notes. A server that refuses the
  connection or times out (:data:`DEFAULT_TIMEOUT_S` per request unless told) is
  not asked again in this run. Either way, one warning line at the end, exit 0.
* **Long chapters**: more than :data:`MAX_PROMPT_CHARS` characters of sentences
  are summarised in pieces, then the pieces' notes are merged by one more request.
* **Cache**: answers are kept in a JSON file beside the transcript, keyed by the
  server's model name, the prompt and the text, so a re-run asks only what it has
  not asked before.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from typing import Callable

from transcribe.errors import UsageError
from transcribe.model import ChapterNotes, KeyPoint, OverviewItem, Sentence
from transcribe.titles import MAX_TITLE_CHARS
from transcribe.writing import WriteError, write_atomic

DEFAULT_TIMEOUT_S = 120.0
MAX_PROMPT_CHARS = 6000
"""Sentences per request, characters; about 1,500-2,000 tokens, under a small model's 4k context."""
MAX_ANSWER_TOKENS = 1500
"""An answer stops here: a small model held to a JSON grammar can otherwise write one string for ever."""
KEY_VARIABLES = ("TRANSCRIBE_LLM_KEY", "OPENAI_API_KEY")
URL_VARIABLE, MODEL_VARIABLE, TIMEOUT_VARIABLE = "TRANSCRIBE_LLM_URL", "TRANSCRIBE_LLM_MODEL", "TRANSCRIBE_LLM_TIMEOUT"
PROMPT_VERSION = 1
LANGUAGES = {"en": "English", "zh": "Simplified Chinese (简体中文)"}

CHAPTER_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["title", "summary", "key_points"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 80},
        "summary": {"type": "string", "minLength": 1, "maxLength": 1200},
        "key_points": {"type": "array", "maxItems": 8, "items": {
            "type": "object", "additionalProperties": False, "required": ["text", "sentence"],
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 300},
                           "sentence": {"type": "integer"}}}}}}
OVERVIEW_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["overview"],
    "properties": {"overview": {"type": "array", "minItems": 1, "maxItems": 8, "items": {
        "type": "object", "additionalProperties": False, "required": ["text", "chapter"],
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 300},
                       "chapter": {"type": "integer"}}}}}}

SYSTEM = ("You write notes of a recorded talk for someone who missed it. Use only what the transcript "
          "says: no facts, names or numbers that are not in it. Write in {language}. Answer with JSON only.")
CHAPTER_PROMPT = (
    "Here is one chapter of the talk, one numbered sentence a line.\n\n{text}\n\n"
    "Write: a title of 2 to 8 words naming the chapter's specific subject; a summary of 2 to 4 sentences "
    "that says what was said, with its numbers and names; and 3 to 5 key points, each one short sentence "
    "with the number of the sentence it comes from. JSON: "
    '{{"title": "...", "summary": "...", "key_points": [{{"text": "...", "sentence": 12}}]}}')
MERGE_PROMPT = (
    "These are notes of consecutive pieces of one chapter of a talk.\n\n{text}\n\n"
    "Write one title of 2 to 8 words and one summary of 2 to 4 sentences for the whole chapter, and keep "
    "its 3 to 5 most important key points with their sentence numbers. JSON: "
    '{{"title": "...", "summary": "...", "key_points": [{{"text": "...", "sentence": 12}}]}}')
OVERVIEW_PROMPT = (
    "These are the chapters of a talk, numbered, each with its title and summary.\n\n{text}\n\n"
    "Write the talk's main points in order as 5 to 8 short bullets, each with the number of the chapter "
    'it sums up. JSON: {{"overview": [{{"text": "...", "chapter": 0}}]}}')


@dataclass
class LLMSettings:
    """Where and how to ask. ``url`` is the server's base URL (…/v1); ``cache`` a JSON file or None."""

    url: str
    model: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    key: str | None = None
    cache: Path | None = None

    @classmethod
    def from_options(cls, url: str | None, model: str | None, timeout: float | None) -> "LLMSettings | None":
        """The settings from the command line, else the environment (:data:`URL_VARIABLE` …); None: no LLM.

        Raises:
            UsageError: a URL that is not http(s), or a timeout that is not a positive number.
        """
        url_name = "--llm "
        if not url:
            url, url_name = os.environ.get(URL_VARIABLE), f"{URL_VARIABLE}="
        if not url:
            return None
        if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
            raise UsageError(f"{url_name}{url}: give the server's base URL, e.g. http://localhost:11434/v1")
        timeout_name = "--llm-timeout "
        if timeout is None:
            raw, timeout_name = os.environ.get(TIMEOUT_VARIABLE), f"{TIMEOUT_VARIABLE}="
            try:
                timeout = float(raw) if raw else DEFAULT_TIMEOUT_S
            except ValueError:
                raise UsageError(f"{TIMEOUT_VARIABLE}={raw}: not a number of seconds") from None
        if not timeout > 0:
            raise UsageError(f"{timeout_name}{timeout:g}: must be more than 0 seconds")
        key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)
        return cls(url.rstrip("/"), model or os.environ.get(MODEL_VARIABLE), timeout, key)


class _ServerGone(Exception):
    """Connection refused or timed out: do not ask this server again."""


class _BadAnswer(Exception):
    """HTTP error, not JSON, or not of the schema."""


@dataclass
class _Client:
    settings: LLMSettings
    cache: dict = field(default_factory=dict)
    gone: str | None = None
    asked: int = 0
    response_format: str = "json_schema"
    """How to ask for JSON of a schema: OpenAI's form first, llama-cpp-python's after a 400/422/500."""

    def ask(self, prompt: str, schema: dict, language: str) -> dict:
        """The model's answer to ``prompt`` as a dict valid against ``schema`` (one retry).

        Raises:
            _ServerGone: the server is unreachable (now or earlier in this run).
            _BadAnswer: two invalid answers.
        """
        import jsonschema

        system = SYSTEM.format(language=LANGUAGES.get(language, language))
        key = hashlib.sha256(json.dumps([PROMPT_VERSION, self.settings.model, system, prompt],
                                        ensure_ascii=False).encode("utf-8")).hexdigest()
        if key in self.cache:
            return self.cache[key]
        if self.gone:
            raise _ServerGone(self.gone)
        problem = ""
        for _ in range(2):
            try:
                answer = self._post(system, prompt, schema)
                jsonschema.validate(answer, schema)
            except (_BadAnswer, jsonschema.ValidationError) as exc:
                problem = str(exc).splitlines()[0][:120]
                continue
            self.cache[key] = answer
            self._save()
            return answer
        raise _BadAnswer(problem)

    def _post(self, system: str, prompt: str, schema: dict) -> dict:
        import httpx

        wire = _without_limits(schema)
        formats = {"json_schema": {"type": "json_schema", "json_schema": {"name": "notes", "schema": wire}},
                   "json_object": {"type": "json_object", "schema": wire}}
        body = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                "temperature": 0, "max_tokens": MAX_ANSWER_TOKENS, "response_format": formats[self.response_format]}
        if self.settings.model:
            body["model"] = self.settings.model
        headers = {"Authorization": f"Bearer {self.settings.key}"} if self.settings.key else {}
        self.asked += 1
        try:
            reply = httpx.post(f"{self.settings.url}/chat/completions", json=body, headers=headers,
                               timeout=self.settings.timeout)
            if reply.status_code in (400, 422, 500) and self.response_format == "json_schema":
                # OpenAI's and Ollama's form refused: llama-cpp-python's server knows only json_object with a
                # schema, and answers the other with HTTP 500; the switch is kept for the rest of the run
                self.response_format = "json_object"
                body["response_format"] = formats["json_object"]
                reply = httpx.post(f"{self.settings.url}/chat/completions", json=body, headers=headers,
                                   timeout=self.settings.timeout)
        except httpx.TimeoutException:
            self.gone = f"no answer within {self.settings.timeout:g} s"
            raise _ServerGone(self.gone) from None
        except httpx.HTTPError as exc:  # refused, DNS, reset
            self.gone = f"{type(exc).__name__}: {exc}"[:160]
            raise _ServerGone(self.gone) from None
        if reply.status_code != 200:
            raise _BadAnswer(f"HTTP {reply.status_code}")
        try:
            content = reply.json()["choices"][0]["message"]["content"]
            return json.loads(_strip_fence(content))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _BadAnswer(f"not a JSON answer ({type(exc).__name__})") from None

    def _save(self) -> None:
        if self.settings.cache is not None:
            try:
                write_atomic(self.settings.cache, json.dumps(self.cache, ensure_ascii=False, indent=0) + "\n")
            except (OSError, WriteError):
                pass  # a cache that cannot be written (a full disk) only costs a re-run its answers


def _without_limits(schema):
    """``schema`` without length and count limits, for the server: llama.cpp turns each into a
    repeated grammar rule, and a 1,200-character limit makes a grammar it cannot parse (the
    server then dies). The answer is still checked against the full schema here."""
    if isinstance(schema, dict):
        return {k: _without_limits(v) for k, v in schema.items()
                if k not in ("minLength", "maxLength", "minItems", "maxItems")}
    return schema


def _strip_fence(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _load_cache(path: Path | None) -> dict:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_notes(notes: list[ChapterNotes], overview: list[OverviewItem], sentences: list[Sentence],
                language: str, settings: LLMSettings, progress: Callable[[str], None] | None = None
                ) -> tuple[list[ChapterNotes], list[OverviewItem], str | None]:
    """Chapter notes and overview from the model, the extractive ones where it failed.

    Args:
        notes: the extractive notes (their chapters say which sentences are asked about).
        overview: the extractive overview (kept when the model's fails; not asked for when empty).
        sentences: the talk's sentences (key-point times come from them).
        language: ISO 639-1 code of the notes' text.
        settings: the server; ``settings.cache`` where answers are kept.
        progress: called with a line such as "Language model: chapter 3/12".

    Returns:
        ``(notes, overview, warning)``: ``warning`` is one line saying what fell back, or None.
    """
    client = _Client(settings, _load_cache(settings.cache))
    out, failed, reasons = [], 0, []
    for i, note in enumerate(notes):
        if progress:
            progress(f"Language model: chapter {i + 1}/{len(notes)}")
        try:
            written = _chapter(client, note, sentences, language)
            if written.title.lower() in {n.title.lower() for n in out}:  # two chapters, one title
                written = replace(written, title=note.title)
            out.append(written)
        except (_ServerGone, _BadAnswer) as exc:
            out.append(note)
            failed += 1
            reasons.append(str(exc))
    new_overview = overview
    if overview and failed < len(notes):
        try:
            written = _overview(client, out, language)
            if len(written) >= min(len(overview), 5):
                new_overview = written
            else:
                reasons.append(f"an overview of {len(written)} bullet(s)")
        except (_ServerGone, _BadAnswer) as exc:
            reasons.append(str(exc))
    warning = None
    if failed or reasons:
        why = client.gone or (reasons[0] if reasons else "")
        what = (f"{failed} of {len(notes)} chapters" if failed else "") + \
            (" and the overview" if failed and new_overview is overview and overview else
             "the overview" if not failed else "")
        warning = (f"--llm {settings.url}: {what} kept the extractive notes ({why})"
                   + ("; the server was not asked again" if client.gone else ""))
    return out, new_overview, warning


def _numbered(sentences: list[Sentence], first: int, last: int) -> list[str]:
    return [f"[{i}] {sentences[i].text}" for i in range(first, last)]


def _chapter(client: _Client, note: ChapterNotes, sentences: list[Sentence], language: str) -> ChapterNotes:
    ch = note.chapter
    lines = _numbered(sentences, ch.first, ch.last)
    pieces, current = [], []
    for line in lines:
        if current and sum(len(x) + 1 for x in current) + len(line) > MAX_PROMPT_CHARS:
            pieces.append(current)
            current = []
        current.append(line)
    pieces.append(current)
    answers = [client.ask(CHAPTER_PROMPT.format(text="\n".join(p)), CHAPTER_SCHEMA, language) for p in pieces]
    if len(answers) > 1:
        text = "\n\n".join(f"Piece {k + 1}: {a['title']}\n{a['summary']}\n" + "\n".join(
            f"- [{p['sentence']}] {p['text']}" for p in a["key_points"]) for k, a in enumerate(answers))
        answer = client.ask(MERGE_PROMPT.format(text=text), CHAPTER_SCHEMA, language)
    else:
        answer = answers[0]
    points = sorted({p["sentence"]: p["text"].strip() for p in answer["key_points"]
                     if ch.first <= p["sentence"] < ch.last and p["text"].strip()}.items())
    title, summary = " ".join(answer["title"].split()).strip(" \"'“”"), answer["summary"].strip()
    if not title or not summary:
        raise _BadAnswer("an empty title or summary")
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] if " " in title[:MAX_TITLE_CHARS] else title[:MAX_TITLE_CHARS]
    return replace(note, title=title, summary=summary,
                   key_points=[KeyPoint(sentences[i].start, text) for i, text in points[:5]])


def _overview(client: _Client, notes: list[ChapterNotes], language: str) -> list[OverviewItem]:
    text = "\n".join(f"[{i}] {n.title}: {n.summary}" for i, n in enumerate(notes))
    answer = client.ask(OVERVIEW_PROMPT.format(text=text), OVERVIEW_SCHEMA, language)
    items = [OverviewItem(notes[o["chapter"]].chapter.start, " ".join(o["text"].split()), o["chapter"])
             for o in answer["overview"] if 0 <= o["chapter"] < len(notes) and o["text"].strip()]
    return sorted(items, key=lambda o: o.time)
