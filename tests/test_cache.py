"""The segment cache on its own: measured, cleaned, and its command."""

from __future__ import annotations

import os
import time

from click.testing import CliRunner

from audiobook.cli import main
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines import Speech


def test_the_cache_is_measured_and_cleaned(tmp_path) -> None:
    cache = SegmentCache(tmp_path)
    for n in range(3):
        cache.put(f"{n:02d}" + "a" * 62, Speech(b"x" * 1000, "mp3", ()), "text")
    usage = cache.usage()
    assert usage.entries == 3 and usage.size > 3000
    old = next((tmp_path / "segments").glob("00/*"))
    for path in old.parent.iterdir():
        os.utime(path, (time.time() - 40 * 86400,) * 2)
    assert cache.clean(older_than_s=30 * 86400).entries == 1
    assert "00" + "a" * 62 not in cache and "01" + "a" * 62 in cache
    assert cache.clean().entries == 2 and cache.usage().entries == 0
    assert not list((tmp_path / "segments").iterdir())  # no empty folders left


def test_the_cache_command_says_where_and_how_big_and_cleans(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIOBOOK_CACHE", str(tmp_path))
    SegmentCache(tmp_path).put("ab" + "c" * 62, Speech(b"x" * 2000, "mp3", ()), "text")
    shown = CliRunner().invoke(main, ["cache"])
    assert shown.exit_code == 0
    assert str(tmp_path / "segments") in shown.output and "1 segments, 2.1 KB" in shown.output
    kept = CliRunner().invoke(main, ["cache", "clean", "--older-than", "30d"])
    assert kept.exit_code == 0 and "Removed 0 segments" in kept.output
    bad = CliRunner().invoke(main, ["cache", "clean", "--older-than", "soon"])
    assert bad.exit_code == 2 and "--older-than" in bad.output
    cleaned = CliRunner().invoke(main, ["cache", "clean"])
    assert "Removed 1 segments (2.1 KB)" in cleaned.output
    assert SegmentCache(tmp_path).usage().entries == 0
