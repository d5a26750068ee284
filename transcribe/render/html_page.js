/* transcribe's notes page: player, timeline, search and keys. No dependencies; inlined by
   transcribe/render/html.py. Times are seconds (sentence numbers for text without times). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var chapters = data.chapters, span = data.span || 1;
  var media = document.getElementById("media");
  var head = document.getElementById("head"), clock = document.getElementById("clock");
  var playing = document.getElementById("playing"), dock = document.getElementById("dock");
  var q = document.getElementById("q"), count = document.getElementById("count");
  var hitsBar = document.getElementById("hits");
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  var sents = all(".s[data-start]");
  var starts = sents.map(function (el) { return parseFloat(el.getAttribute("data-start")); });
  var texts = sents.map(function (el) { return el.textContent; });
  var byChapter = { toc: all(".toc[data-ch]"), tl: all(".tl-ch[data-ch]"), sec: all("article.chapter[data-ch]") };

  function fmt(t) {
    t = Math.max(0, Math.floor(t));
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(Math.floor(t / 3600)) + ":" + two(Math.floor(t % 3600 / 60)) + ":" + two(t % 60);
  }
  function pct(t) { return Math.max(0, Math.min(100, t / span * 100)) + "%"; }
  function lastAtOrBefore(list, t) { // index of the last value <= t in an ascending list, or -1
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (list[mid] <= t + 0.01) { found = mid; lo = mid + 1; } else hi = mid - 1; }
    return found;
  }
  var chapterStarts = chapters.map(function (c) { return c.start; });

  /* --- the player, or plain notes without it --- */
  function noMedia() {
    var player = document.getElementById("player");
    if (player) player.parentNode.removeChild(player);
    media = null;
    document.body.classList.remove("has-media");
    document.body.classList.add("no-media");
    if (head) head.hidden = true;
  }
  if (media) {
    media.addEventListener("error", noMedia);
    if (media.error) noMedia();
  }
  if (media) {
    media.addEventListener("loadedmetadata", function () {
      if (media.tagName === "VIDEO" && !media.videoWidth) media.classList.add("audio-only");
      update();
    });
    head.hidden = false;
  }
  var bar = document.getElementById("bar");
  if (bar) bar.hidden = false;

  function seek(t, play) {
    if (!media) return false;
    media.currentTime = Math.max(0, t);
    if (play) { var p = media.play(); if (p && p.catch) p.catch(function () {}); }
    update();
    return true;
  }

  var cur = -1, curCh = -1;
  function mark(list, i, on) { if (i >= 0 && list[i]) list[i].classList.toggle("now", on); }
  function update() {
    if (!media) return;
    var t = media.currentTime;
    head.style.left = pct(t);
    if (clock) clock.textContent = fmt(t) + " / " + fmt(isFinite(media.duration) ? media.duration : span);
    var i = lastAtOrBefore(starts, t);
    if (i !== cur) {
      if (cur >= 0) sents[cur].classList.remove("now");
      if (i >= 0) sents[i].classList.add("now");
      cur = i;
    }
    var c = Math.max(0, lastAtOrBefore(chapterStarts, t));
    if (c !== curCh) {
      ["toc", "tl", "sec"].forEach(function (k) { mark(byChapter[k], curCh, false); mark(byChapter[k], c, true); });
      curCh = c;
      if (playing && chapters[c]) playing.textContent = fmt(chapters[c].start) + " · " + chapters[c].title;
    }
  }
  function loop() { update(); if (media && !media.paused) window.requestAnimationFrame(loop); }
  if (media) {
    ["timeupdate", "seeked", "pause"].forEach(function (e) { media.addEventListener(e, update); });
    media.addEventListener("play", loop);
  }

  document.addEventListener("click", function (e) {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    var link = e.target.closest("[data-t]");
    if (link) {
      if (!media) return; // a plain link to the chapter
      seek(parseFloat(link.getAttribute("data-t")), true);
      if (!link.classList.contains("nav") && !link.classList.contains("tl-block")) e.preventDefault();
      return;
    }
    var s = e.target.closest(".s[data-start]");
    var sel = window.getSelection();
    if (s && media && (!sel || sel.isCollapsed)) seek(parseFloat(s.getAttribute("data-start")), true);
  });

  /* --- search --- */
  var hits = [], at = -1, marked = [];
  function clearSearch() {
    marked.forEach(function (i) { sents[i].textContent = texts[i]; sents[i].classList.remove("hit"); });
    marked = []; hits = []; at = -1;
    all(".miss").forEach(function (el) { el.classList.remove("miss"); });
    document.body.classList.remove("filtering");
    while (hitsBar && hitsBar.firstChild) hitsBar.removeChild(hitsBar.firstChild);
    count.textContent = "";
  }
  function highlight(i, needle) { // wrap each match in sentence i in <mark>; false when none
    var text = texts[i], low = text.toLowerCase(), pos = low.indexOf(needle);
    if (pos < 0) return false;
    var el = sents[i], from = 0;
    el.textContent = "";
    if (low.length !== text.length) { // case folding moved the letters: mark the whole sentence
      var whole = document.createElement("mark"); whole.textContent = text; el.appendChild(whole); hits.push(whole);
      return true;
    }
    while (pos >= 0) {
      if (pos > from) el.appendChild(document.createTextNode(text.slice(from, pos)));
      var m = document.createElement("mark");
      m.textContent = text.slice(pos, pos + needle.length);
      el.appendChild(m); hits.push(m);
      from = pos + needle.length;
      pos = low.indexOf(needle, from);
    }
    if (from < text.length) el.appendChild(document.createTextNode(text.slice(from)));
    return true;
  }
  function search() {
    clearSearch();
    var needle = q.value.replace(/\s+/g, " ").trim().toLowerCase();
    if (!needle) return;
    document.body.classList.add("filtering");
    for (var i = 0; i < sents.length; i++) {
      if (!highlight(i, needle)) continue;
      marked.push(i);
      if (marked.length <= 400 && hitsBar) {
        var tick = document.createElement("i"); tick.style.left = pct(starts[i]); hitsBar.appendChild(tick);
      }
    }
    all(".para").forEach(function (p) { if (!p.querySelector("mark")) p.classList.add("miss"); });
    all(".tx-chapter").forEach(function (c) { if (!c.querySelector("mark")) c.classList.add("miss"); });
    go(0);
  }
  function go(i) {
    if (!hits.length) { count.textContent = data.labels.none; return; }
    if (at >= 0 && hits[at]) { hits[at].classList.remove("cur"); hits[at].closest(".s").classList.remove("hit"); }
    at = (i + hits.length) % hits.length;
    var m = hits[at];
    m.classList.add("cur");
    m.closest(".s").classList.add("hit");
    m.scrollIntoView({ block: "center" });
    count.textContent = data.labels.matches.replace("{i}", at + 1).replace("{n}", hits.length);
  }
  q.addEventListener("input", search);
  q.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); go(at + (e.shiftKey ? -1 : 1)); }
    else if (e.key === "Escape") { q.value = ""; clearSearch(); q.blur(); }
  });
  document.getElementById("next").addEventListener("click", function () { go(at + 1); });
  document.getElementById("prev").addEventListener("click", function () { go(at - 1); });

  /* --- keys (not while typing) --- */
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    var el = e.target, tag = el && el.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (el && el.isContentEditable)) return;
    if (e.key === "/") { e.preventDefault(); q.focus(); q.select(); return; }
    if (!media || el === media) return; // a focused player handles its own keys
    var t = media.currentTime;
    if (e.key === " " || e.key === "Spacebar") {
      if (media.paused) { var p = media.play(); if (p && p.catch) p.catch(function () {}); } else media.pause();
    } else if (e.key === "ArrowLeft") seek(t - 5, false);
    else if (e.key === "ArrowRight") seek(Math.min(t + 5, isFinite(media.duration) ? media.duration : t + 5), false);
    else if (e.key === "j" || e.key === "k") {
      var c = Math.max(0, lastAtOrBefore(chapterStarts, t)) + (e.key === "j" ? -1 : 1);
      if (c < 0 || c >= chapters.length) return;
      seek(chapters[c].start, false);
    } else return;
    e.preventDefault();
  });

  /* --- anchors clear the sticky timeline --- */
  function dockHeight() {
    var h = dock ? dock.getBoundingClientRect().height : 0;
    document.documentElement.style.setProperty("--dock", Math.ceil(h) + "px");
  }
  dockHeight();
  window.addEventListener("resize", dockHeight);
})();
