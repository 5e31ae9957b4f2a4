"""Preview, podcast and whole-book files as a user runs them."""

from __future__ import annotations

import os
import stat
import struct
import sys
import zlib
from pathlib import Path
from urllib.parse import quote, unquote

import feedparser
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from tests.conftest import SEEDS, run_cli
from tests.fake_edge import FakeEdgeServer
from tests.test_page import chromium_path

BASE = "https://example.org/books/"


def tiny_png() -> bytes:
    """A real 2x2 PNG, built by hand so that the tests need no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def book(title: str, chapters: int) -> str:
    return f"《{title}》\n作者：某甲\n" + "".join(
        f"第{i}章 第{i}天\n　　{title}的第{i}天，他说：“早。”\n" for i in range(1, chapters + 1)
    )


@pytest.fixture
def edge_env():
    with FakeEdgeServer() as server:
        yield {"AUDIOBOOK_EDGE_URL": server.url}


def feed_of(folder: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((folder / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def test_podcast_batch_of_three_books(tmp_path, edge_env) -> None:
    for name, count in (("甲书", 2), ("乙书", 3), ("丙书", 1)):
        (tmp_path / f"{name}.txt").write_text(book(name, count), "utf-8")
    (tmp_path / "cover.png").write_bytes(tiny_png())
    args = ["podcast", "甲书.txt", "乙书.txt", "丙书.txt", "--base-url", BASE, "-o", "pod"]
    result = run_cli(*args, "--cover", "cover.png", cwd=tmp_path, env=edge_env)
    assert result.returncode == 0, result.stderr
    guids = {}
    for name, count in (("甲书", 2), ("乙书", 3), ("丙书", 1)):
        folder = tmp_path / "pod" / name
        parsed = feed_of(folder)
        channel = parsed.feed
        assert channel.title == name
        assert channel.itunes_type == "serial"
        assert channel.author_detail.name == "某甲" or channel.get("itunes_author") == "某甲"
        assert channel.image.href == f"{BASE}{quote(name)}/cover.png"
        assert (folder / "cover.png").read_bytes() == tiny_png()
        assert len(parsed.entries) == count
        dates = [entry.published_parsed for entry in parsed.entries]
        assert dates == sorted(dates) and len(set(dates)) == count
        for number, entry in enumerate(parsed.entries, 1):
            assert int(entry.itunes_episode) == number
            [enclosure] = entry.enclosures
            assert enclosure.type == "audio/mpeg"
            assert enclosure.href.startswith(f"{BASE}{quote(name)}/")
            path = folder / unquote(enclosure.href.rsplit("/", 1)[1])
            assert path.is_file() and int(enclosure.length) == path.stat().st_size
            assert abs(int(entry.itunes_duration) - MP3(path).info.length) <= 1
            assert ID3(path).getall("APIC")[0].data == tiny_png()
        guids[name] = [entry.id for entry in parsed.entries]

    # a new chapter appears in one book: one item more, no GUID changed
    (tmp_path / "乙书.txt").write_text(book("乙书", 4), "utf-8")
    result = run_cli(*args, "--cover", "cover.png", cwd=tmp_path, env=edge_env)
    assert result.returncode == 0, result.stderr
    entries = feed_of(tmp_path / "pod" / "乙书").entries
    assert [e.id for e in entries[:3]] == guids["乙书"] and len(entries) == 4
    assert entries[3].published_parsed > entries[2].published_parsed
    assert [e.id for e in feed_of(tmp_path / "pod" / "甲书").entries] == guids["甲书"]


def test_every_file_of_a_published_book_is_readable_by_a_web_server(tmp_path, edge_env) -> None:
    """Under umask 022 every file in the book's folder is 0644, as a server running as
    another user needs: the feed, podcast.json, the cover, the cast, MP3s and subtitles."""
    (tmp_path / "甲书.txt").write_text(book("甲书", 2), "utf-8")
    (tmp_path / "cover.png").write_bytes(tiny_png())
    saved = os.umask(0o022)
    try:
        podcast = ["podcast", "甲书.txt", "--base-url", BASE, "-o", "pod", "--cover", "cover.png"]
        result = run_cli(*podcast, cwd=tmp_path, env=edge_env)
        assert result.returncode == 0, result.stderr
        build = ["build", "甲书.txt", "-o", "pod", "--single-file", "--engine", "edge"]
        result = run_cli(*build, cwd=tmp_path, env=edge_env)
        assert result.returncode == 0, result.stderr
    finally:
        os.umask(saved)
    files = sorted(p for p in (tmp_path / "pod" / "甲书").rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert {"feed.xml", "podcast.json", "cover.png", "甲书.mp3", "cast-edge.toml"} <= names
    assert sum(p.suffix == ".srt" for p in files) == 2
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {
        p.name: "0o644" for p in files
    }


def test_podcast_needs_a_web_address(tmp_path) -> None:
    (tmp_path / "a.txt").write_text(book("甲书", 1), "utf-8")
    result = run_cli("podcast", "a.txt", "--base-url", "pod/", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("Error: --base-url")


def test_single_file_and_m4b(tmp_path, edge_env) -> None:
    (tmp_path / "a.txt").write_text(book("甲书", 3), "utf-8")
    result = run_cli("build", "a.txt", "--single-file", "--m4b", cwd=tmp_path, env=edge_env)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "output" / "甲书"
    whole = folder / "甲书.mp3"
    chapters = sorted(ID3(whole).getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == ["第1天", "第2天", "第3天"]
    parts = sum(MP3(p).info.length for p in folder.glob("000*.mp3"))
    assert abs(MP3(whole).info.length - parts) < 0.2
    assert (folder / "甲书.m4b").stat().st_size > 1000


def test_preview_of_the_seed_with_page_and_player(tmp_path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    player = bin_dir / "mpg123"
    player.write_text(
        f"#!{sys.executable}\nimport sys\nopen(sys.argv[0] + '.log', 'w').write(sys.argv[-1])\n"
    )
    player.chmod(player.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin"}
    seed = SEEDS / "000_041c593aa96c4732.txt"
    args = ["preview", str(seed), "--seconds", "30", "--html", "--play", "--engine", "local"]
    result = run_cli(*args, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "output" / "重生官路：巅峰父子" / "preview"
    mp3 = folder / "0001 暗访缙金科技园.mp3"
    assert str(mp3) in " ".join(result.stdout.split()) or mp3.name in result.stdout
    assert "张安平" in result.stdout and "baker" in result.stdout  # the cast it used
    assert 30 <= MP3(mp3).info.length <= 45
    assert Path(str(player) + ".log").read_text().endswith(mp3.name)

    from playwright.sync_api import sync_playwright

    srt = (folder / "0001 暗访缙金科技园.srt").read_text("utf-8").split("\n\n")
    third = srt[2].splitlines()
    start = third[1].split(" --> ")[0].replace(",", ".").split(":")
    seconds = int(start[1]) * 60 + float(start[2])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        page = browser.new_page()
        page.goto((folder / "0001 暗访缙金科技园.html").as_uri())
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        page.evaluate(f"document.getElementById('player').currentTime = {seconds + 0.2}")
        page.wait_for_function("document.querySelector('.line.current') !== null")
        shown = page.evaluate("document.querySelector('.line.current').textContent")
        browser.close()
    assert third[2].strip("“”") in shown
