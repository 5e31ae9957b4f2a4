"""Every settings or data file the tool reads, damaged or mistyped: one line naming the
file and the key, and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from audiobook.cli import run
from audiobook.errors import AudiobookError
from audiobook.export.podcast import publication_dates

BOOK = "第1章 开始\n　　李明说：“你好。”王芳说：“你好。”\n"


def one_line_error(monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", ["audiobook", *args])
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), lines
    return lines[0]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("pauses = 5\n", "pauses must be a table"),
        ("cleanup = 1\n", "cleanup must be a table"),
        ('[pauses]\nsentence = "x"\n', "[pauses] sentence = 'x'"),
        ("[pauses]\nsentense = 300\n", "[pauses] has no 'sentense'"),
        ("[pause]\nsentence = 300\n", "no setting 'pause'"),
        ("[cleanup]\nremove = 3\n", "[cleanup] remove must be a list"),
        ('[input]\nencoding = ["gbk"]\n', "[input] encoding must be a string"),
        ("[loudness\n", "cannot read the config"),
    ],
)
def test_a_bad_config_names_the_key(tmp_path, monkeypatch, capsys, settings, expected) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    (tmp_path / "audiobook.toml").write_text(settings, "utf-8")
    monkeypatch.chdir(tmp_path)
    line = one_line_error(monkeypatch, capsys, "script", "book.txt")
    assert "audiobook.toml" in line and expected in line


@pytest.mark.parametrize(
    ("cast", "expected"),
    [
        ('[characters."李明"]\nvoice = "baker"\nlines = "x"\n', "李明: lines = 'x'"),
        ('[characters."李明"]\nvoice = "baker"\nrate = 5\n', "李明: rate"),
        ('[characters."李明"]\nrate = "+5%"\n', '李明 needs a voice = "..." line'),
        ("characters = 5\n", "characters must be a table"),
        ('narrator = "baker"\n', 'narrator needs a voice = "..." line'),
        ('[narrator]\nvoice = "nobody"\n', "nobody"),
        ("[narrator\n", "not a valid TOML file"),
    ],
)
def test_a_bad_cast_file_names_the_entry(tmp_path, monkeypatch, capsys, cast, expected) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    folder = tmp_path / "out" / "book"
    folder.mkdir(parents=True)
    (folder / "cast-local.toml").write_text(cast, "utf-8")
    monkeypatch.chdir(tmp_path)
    line = one_line_error(monkeypatch, capsys, "cast", "book.txt", "--engine", "local", "-o", "out")
    assert "cast-local.toml" in line and expected in line


def test_a_bad_corrections_file_names_the_entry(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    folder = tmp_path / "output" / "book"
    folder.mkdir(parents=True)
    (folder / "speakers.toml").write_text('["第1章"]\n"你好" = 5\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    line = one_line_error(monkeypatch, capsys, "script", "book.txt")
    assert "speakers.toml" in line and '"你好" needs a speaker name' in line


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ('{"published": {"urn:uuid:1": "last tuesday"}}', "urn:uuid:1: 'last tuesday'"),
        ('{"published": [1, 2]}', 'needs a "published" table'),
        ('{"published": {"urn:uuid:1": "2026-01-0', "damaged"),
    ],
)
def test_a_damaged_podcast_state_is_an_error_not_new_dates(tmp_path, state, expected) -> None:
    path = tmp_path / "podcast.json"
    path.write_text(state, "utf-8")
    with pytest.raises(AudiobookError, match=r"podcast\.json") as error:
        publication_dates(path, ["urn:uuid:1"])
    assert expected in str(error.value)
    assert path.read_text("utf-8") == state  # left for the user to fix


def test_a_date_without_a_zone_is_read_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "podcast.json"
    path.write_text('{"published": {"urn:uuid:1": "2026-01-01T08:00:00"}}', "utf-8")
    now = datetime(2026, 2, 1, tzinfo=timezone.utc)
    dates = publication_dates(path, ["urn:uuid:1", "urn:uuid:2"], now)
    assert dates["urn:uuid:1"] == datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    assert dates["urn:uuid:2"] == now


def test_source_date_epoch_pins_new_dates_and_a_bad_one_is_an_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    dates = publication_dates(tmp_path / "podcast.json", ["urn:uuid:1"])
    assert dates["urn:uuid:1"] == datetime.fromtimestamp(1780000000, timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(AudiobookError, match="SOURCE_DATE_EPOCH='yesterday'"):
        publication_dates(tmp_path / "other.json", ["urn:uuid:1"])
