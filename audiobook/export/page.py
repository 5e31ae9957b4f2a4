"""A chapter's listening page: one self-contained HTML file with the MP3 and its transcript.

The audio is embedded as a data: URI and the page loads nothing else, so it can be opened
from disk, mailed or archived and still work with no network. While it plays, the sentence
being heard is highlighted and kept in view; clicking a sentence plays from there.
"""

from __future__ import annotations

import base64
import html
import itertools
from dataclasses import dataclass
from pathlib import Path
from string import Template

from audiobook.files import write_atomic

NARRATOR_LABEL = "旁白"

# Character colours as (light scheme, dark scheme): distinguishable from each other and
# readable on both backgrounds and under the highlight. Past eight speakers they repeat.
PALETTE = [
    ("#1f6fb2", "#7db8ff"),  # blue
    ("#b8431a", "#ff8a65"),  # vermilion
    ("#2e7d32", "#81c784"),  # green
    ("#8e44ad", "#ce93d8"),  # purple
    ("#9a6200", "#ffcc66"),  # amber
    ("#c2185b", "#f48fb1"),  # magenta
    ("#00838f", "#4dd0e1"),  # teal
    ("#6d4c41", "#bcaaa4"),  # brown
]


@dataclass(frozen=True)
class PageLine:
    start_ms: int  # when this sentence starts being heard in the MP3
    end_ms: int  # when it ends
    text: str  # the sentence as displayed (for speech, the words inside the quotes)
    speaker: str | None  # None is the narrator; otherwise a character name
    paragraph: int  # lines with the same paragraph number are shown in one <p>
    unsure: bool = False  # speech whose speaker may be wrong: marked


def _palette_css() -> str:
    light = "".join(f"--c{i}:{pair[0]};" for i, pair in enumerate(PALETTE))
    dark = "".join(f"--c{i}:{pair[1]};" for i, pair in enumerate(PALETTE))
    classes = "\n".join(f".c{i}{{color:var(--c{i})}}" for i in range(len(PALETTE)))
    return f":root{{{light}}}\n@media (prefers-color-scheme: dark){{:root{{{dark}}}}}\n{classes}"


# JS and CSS below contain no "$", so string.Template substitutes only our fields.
_TEMPLATE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
:root { color-scheme: light dark; --bg: #fdfcf8; --fg: #222; --muted: #6b6b6b; --hl: #ffef9e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #1b1c1e; --fg: #e4e2dc; --muted: #9a9890; --hl: #4d4420; }
}
$palette
body { margin: 0; background: var(--bg); color: var(--fg); font-size: 1.15rem; line-height: 1.9;
  font-family: "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC",
    "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }
main { max-width: 40em; margin: 0 auto; padding: 0 1.2em 40vh; }
h1 { font-size: 1.6rem; line-height: 1.4; margin: 1.2em 0 0.6em; }
.bar { position: sticky; top: 0; z-index: 1; background: var(--bg); padding: 0.6em 0;
  border-bottom: 1px solid color-mix(in srgb, var(--fg) 15%, transparent); }
.bar audio { width: 100%; display: block; }
.legend { list-style: none; padding: 0; margin: 1em 0 1.5em; font-size: 0.9rem;
  display: flex; flex-wrap: wrap; gap: 0.3em 1.4em; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%;
  background: currentColor; margin-right: 0.4em; }
.voice { color: var(--muted); margin-left: 0.4em; }
#transcript p { text-indent: 2em; margin: 0 0 0.9em; }
.line { cursor: pointer; border-radius: 0.2em; transition: background-color 0.15s;
  scroll-margin: 6em 0 2em; }
.line:hover { text-decoration: underline dotted; text-underline-offset: 0.3em; }
.line.current { background: var(--hl); }
.line.unsure { text-decoration: underline dotted; }
.line.unsure::after { content: "?"; font-size: 0.7em; vertical-align: super; }
</style>
</head>
<body>
<main>
<h1>$title</h1>
<div class="bar"><audio id="player" controls preload="auto"
  src="data:audio/mpeg;base64,$audio"></audio></div>
<ul class="legend">
$legend
</ul>
<div id="transcript">
$transcript
</div>
</main>
<script>
"use strict";
const audio = document.getElementById("player");
const bar = document.querySelector(".bar");  // the sticky strip holding the player
// Sentences in time order for the binary search (reading order already is, but the
// search must not depend on it).
const lines = Array.from(document.querySelectorAll("#transcript .line"), (el) => ({
  el, start: Number(el.dataset.start),
})).sort((a, b) => a.start - b.start);
const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
let current = null;
let frame = 0;

// The last sentence started at or before ms. During the pause after a sentence it stays
// lit, so the highlight does not flicker off between every two sentences.
function lineAt(ms) {
  let lo = 0, hi = lines.length - 1, found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].start <= ms) { found = lines[mid].el; lo = mid + 1; } else { hi = mid - 1; }
  }
  return found;
}

function keepInView(el) {
  const box = el.getBoundingClientRect();
  // The sticky player covers the top of the window, so "visible" starts below it.
  if (box.top < bar.getBoundingClientRect().bottom || box.bottom > window.innerHeight) {
    el.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
  }
}

function update() {
  // Whole milliseconds: currentTime * 1000 of a seek to a start can land a hair below it.
  const line = lineAt(Math.round(audio.currentTime * 1000));
  if (line === current) return;
  if (current) current.classList.remove("current");
  current = line;
  if (current) { current.classList.add("current"); keepInView(current); }
}

// timeupdate fires only about four times a second: too coarse for short sentences, so
// while playing, follow every frame as well (timeupdate still covers hidden tabs).
function tick() {
  update();
  frame = audio.paused ? 0 : requestAnimationFrame(tick);
}
audio.addEventListener("play", () => { if (!frame) frame = requestAnimationFrame(tick); });
audio.addEventListener("timeupdate", update);
audio.addEventListener("seeked", update);

document.getElementById("transcript").addEventListener("click", (event) => {
  const el = event.target.closest(".line");
  // A click that ends a text selection is someone copying, not asking to jump.
  if (!el || !window.getSelection().isCollapsed) return;
  audio.currentTime = Number(el.dataset.start) / 1000;
  audio.play().catch(() => {});
});

document.addEventListener("keydown", (event) => {
  // The player handles its own keys; elsewhere space would only scroll the page.
  if (event.code !== "Space" || event.target === audio || event.repeat) return;
  if (event.ctrlKey || event.altKey || event.metaKey) return;
  event.preventDefault();
  if (audio.paused) audio.play().catch(() => {}); else audio.pause();
});
</script>
</body>
</html>
""")


def _colour_classes(lines: list[PageLine]) -> dict[str, str]:
    """Each character's colour class, in the order they first speak: the same chapter
    always gets the same colours."""
    classes: dict[str, str] = {}
    for line in lines:
        if line.speaker is not None and line.speaker not in classes:
            classes[line.speaker] = f"c{len(classes) % len(PALETTE)}"
    return classes


def _legend(lines: list[PageLine], voices: dict[str | None, str], colours: dict[str, str]) -> str:
    def item(label: str, speaker: str | None, css: str) -> str:
        voice = html.escape(voices.get(speaker, "—"))
        return (
            f'<li class="{css}"><span class="swatch"></span>{html.escape(label)}'
            f'<span class="voice">{voice}</span></li>'
        )

    items = []
    if None in voices or any(line.speaker is None for line in lines):
        items.append(item(NARRATOR_LABEL, None, "narrator"))
    items += [item(speaker, speaker, css) for speaker, css in colours.items()]
    return "\n".join(items)


def _transcript(lines: list[PageLine], colours: dict[str, str]) -> str:
    paragraphs = []
    for _, group in itertools.groupby(lines, key=lambda line: line.paragraph):
        run = list(group)
        spans = []
        for i, line in enumerate(run):
            text = line.text
            if line.speaker is not None:
                # One pair of quotes around a speaker's consecutive sentences, as in the book.
                if i == 0 or run[i - 1].speaker != line.speaker:
                    text = "“" + text
                if i == len(run) - 1 or run[i + 1].speaker != line.speaker:
                    text += "”"
            css = "line" if line.speaker is None else f"line {colours[line.speaker]}"
            if line.unsure:
                css += " unsure"
            spans.append(
                f'<span class="{css}" data-start="{line.start_ms}" data-end="{line.end_ms}"'
                f' data-speaker="{html.escape(line.speaker or "")}">{html.escape(text)}</span>'
            )
        paragraphs.append("<p>" + "".join(spans) + "</p>")
    return "\n".join(paragraphs)


def render_page(
    *, title: str, audio: bytes, lines: list[PageLine], voices: dict[str | None, str]
) -> str:
    """The page's HTML. ``voices`` maps each speaker (None for the narrator) to a short
    description of its voice, shown in the legend."""
    colours = _colour_classes(lines)
    return _TEMPLATE.substitute(
        title=html.escape(title),
        palette=_palette_css(),
        audio=base64.b64encode(audio).decode("ascii"),
        legend=_legend(lines, voices, colours),
        transcript=_transcript(lines, colours),
    )


def write_page(
    path: Path,
    *,
    title: str,
    audio: bytes,
    lines: list[PageLine],
    voices: dict[str | None, str],
) -> None:
    """Write the page so that ``path`` is never left half written."""
    write_atomic(path, render_page(title=title, audio=audio, lines=lines, voices=voices))
