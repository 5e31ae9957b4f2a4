"""The chapter page: its HTML, and its behaviour in headless Chromium with a real MP3."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import lameenc
import numpy as np
import pytest

from audiobook.export.page import PageLine, render_page, write_page

RATE = 24000
LENGTH_MS = 6000
LINES = [
    PageLine(200, 1000, "天色渐渐暗了下来。", None, 0),
    PageLine(1300, 2100, '你来了<b>&"', "林黛玉", 0),
    PageLine(2400, 3200, "宝玉笑道：", None, 0),
    PageLine(3600, 4400, "我来迟了。", "贾宝玉", 1),
    PageLine(4700, 5500, "罢了。", "林黛玉", 1),
]
VOICES = {None: "zh-CN-YunxiNeural", "林黛玉": "zh-CN-XiaoyiNeural", "贾宝玉": "baker-low -6%"}


def make_mp3() -> bytes:
    """A tone during each line, silence between: the timings a real chapter would have."""
    samples = np.zeros(RATE * LENGTH_MS // 1000)
    for n, line in enumerate(LINES):
        start, end = line.start_ms * RATE // 1000, line.end_ms * RATE // 1000
        t = np.arange(end - start) / RATE
        samples[start:end] = 0.3 * np.sin(2 * np.pi * (330 + 110 * n) * t)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(RATE)
    encoder.set_out_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(5)
    pcm = (samples * 32767).astype("<i2").tobytes()
    return bytes(encoder.encode(pcm) + encoder.flush())


@pytest.fixture(scope="module")
def mp3() -> bytes:
    return make_mp3()


@pytest.fixture(scope="module")
def page_html(mp3) -> str:
    return render_page(title="第一回 <风雪> & 夜", audio=mp3, lines=LINES, voices=VOICES)


# --- the HTML itself ---------------------------------------------------------------------


def test_html_embeds_audio_and_escapes_text(page_html, mp3):
    assert '<html lang="zh-CN">' in page_html
    assert '<meta charset="utf-8">' in page_html
    assert f"data:audio/mpeg;base64,{base64.b64encode(mp3).decode()}" in page_html
    assert "<h1>第一回 &lt;风雪&gt; &amp; 夜</h1>" in page_html
    assert "你来了&lt;b&gt;&amp;&quot;" in page_html
    assert "<b>" not in page_html
    assert page_html.count('<span class="line') == len(LINES)
    assert page_html.count("<p>") == 2
    for voice in VOICES.values():
        assert voice in page_html


def test_html_loads_nothing_from_the_network(page_html):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page_html, re.I)
    assert not re.search(r"url\(|@import", page_html)
    assert "http" not in page_html


def test_colours_follow_first_appearance(page_html):
    spans = re.findall(r'<span class="line( c\d)?" [^>]*data-speaker="([^"]*)"', page_html)
    assert spans == [("", ""), (" c0", "林黛玉"), ("", ""), (" c1", "贾宝玉"), (" c0", "林黛玉")]


def test_speech_is_quoted(page_html):
    assert "“我来迟了。”" in page_html
    assert "“天色" not in page_html


def test_write_page_is_atomic(tmp_path, mp3):
    path = tmp_path / "ch1.html"
    path.write_text("old")
    write_page(path, title="t", audio=mp3, lines=LINES, voices=VOICES)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["ch1.html"]  # no temp file left behind


# --- in the browser ----------------------------------------------------------------------


def chromium_path() -> str:
    """The Chromium to drive. Missing, the browser tests skip with the reason on a fresh
    machine; .ci/run sets AUDIOBOOK_REQUIRE_BROWSER, so there a missing one is a failure
    and the page's script is always checked."""
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found or not Path(found).exists():
        reason = "Chromium not found: install it (apt-get install chromium) or set CHROMIUM"
        if os.environ.get("AUDIOBOOK_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        # Headless Chromium plays to a null audio sink when the machine has no sound
        # device, so currentTime advances; the flag only lets play() start without a click.
        browser = playwright.chromium.launch(
            executable_path=path, args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, page_html, tmp_path):
    path = tmp_path / "chapter.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 800, "height": 300})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=5000)
    yield page
    page.close()
    assert not errors, errors
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def current_index(page) -> int:
    return page.evaluate(
        "Array.from(document.querySelectorAll('.line')).findIndex("
        "(el) => el.classList.contains('current'))"
    )


def expected_index(ms: float) -> int:
    """The page's rule: the last line started (it stays lit through the pause after it)."""
    return max((i for i, line in enumerate(LINES) if line.start_ms <= ms), default=-1)


def test_duration_is_the_mp3_length(page):
    duration = page.evaluate("document.getElementById('player').duration")
    assert duration == pytest.approx(LENGTH_MS / 1000, abs=0.15)


def test_playing_moves_the_highlight(page):
    # Sample in the page, so that currentTime and the highlight are read at one instant.
    # Away from the line boundaries the highlight must be right: timeupdate alone would
    # leave it up to 250 ms behind, while a frame (even on a loaded machine) is far less.
    samples = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.getElementById('player');
            const spans = Array.from(document.querySelectorAll('.line'));
            const samples = [];
            audio.play().catch(reject);
            const timer = setInterval(() => {
                samples.push([audio.currentTime * 1000,
                              spans.findIndex((el) => el.classList.contains('current'))]);
                if (audio.currentTime > 3.5) finish();
            }, 20);
            const finish = () => { clearInterval(timer); audio.pause(); resolve(samples); };
            setTimeout(finish, 8000);
        })"""
    )
    assert samples[-1][0] > 3500, f"currentTime did not advance: {samples[-5:]}"
    boundaries = [ms for line in LINES for ms in (line.start_ms, line.end_ms)]
    checked = [(ms, index) for ms, index in samples if min(abs(ms - b) for b in boundaries) > 120]
    assert checked
    for ms, index in checked:
        assert index == expected_index(ms), f"at {ms:.0f} ms line {index} was highlighted"
    inside = {
        i for ms, _ in checked for i, line in enumerate(LINES) if line.start_ms < ms < line.end_ms
    }
    assert inside >= {0, 1, 2}


def test_seek_highlights_the_line(page):
    middle = (LINES[2].start_ms + LINES[2].end_ms) / 2000
    page.evaluate(
        """(t) => new Promise((resolve) => {
            const audio = document.getElementById('player');
            audio.addEventListener('seeked', () => setTimeout(resolve, 0), { once: true });
            audio.currentTime = t;
        })""",
        middle,
    )
    assert current_index(page) == 2


def test_click_seeks_to_the_line(page):
    page.locator(".line").nth(3).click()
    page.wait_for_function(
        "document.querySelectorAll('.line')[3].classList.contains('current')", timeout=3000
    )
    position = page.evaluate(
        "(() => { const audio = document.getElementById('player'); audio.pause();"
        " return audio.currentTime; })()"
    )
    assert position == pytest.approx(LINES[3].start_ms / 1000, abs=0.3)


def test_space_toggles_playback(page):
    page.locator("h1").click()
    page.keyboard.press("Space")
    page.wait_for_function("!document.getElementById('player').paused", timeout=3000)
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('player').paused", timeout=3000)


def test_speaker_colours(page):
    colours = page.evaluate(
        "Array.from(document.querySelectorAll('.line'), (el) => getComputedStyle(el).color)"
    )
    narrator, daiyu, _, baoyu, daiyu_again = colours
    assert colours[2] == narrator
    assert daiyu == daiyu_again
    assert len({narrator, daiyu, baoyu}) == 3
    body = page.evaluate("getComputedStyle(document.body).color")
    assert narrator == body


def test_current_line_is_scrolled_into_view(page):
    in_view = """(i) => {
        const box = document.querySelectorAll('.line')[i].getBoundingClientRect();
        const top = document.querySelector('.bar').getBoundingClientRect().bottom;
        return box.top >= top && box.bottom <= window.innerHeight;
    }"""
    assert not page.evaluate(in_view, 4)  # the small window shows only the top of the page
    page.evaluate(
        f"document.getElementById('player').currentTime = {LINES[4].start_ms / 1000 + 0.1}"
    )
    page.wait_for_function(in_view, arg=4, timeout=3000)
    assert current_index(page) == 4
