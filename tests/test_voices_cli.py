"""The voice commands as a user runs them: a real process against the fake edge service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audiobook.cast.voices import Voice, catalogue, parse_offset
from audiobook.speech.cache import segment_key
from audiobook.speech.engines.edge import EdgeEngine
from tests.conftest import SEEDS, run_cli
from tests.fake_edge import FakeEdgeServer, Heard

SEED_002 = SEEDS / "002_0f929d2b9e10c4b0.txt"


def key_of(heard: Heard) -> str:
    voice = Voice(
        "edge",
        heard.voice,
        rate=parse_offset(heard.rate, "%", ""),
        pitch=parse_offset(heard.pitch, "Hz", ""),
        volume=parse_offset(heard.volume, "%", ""),
    )
    return segment_key("edge", EdgeEngine.version, voice, heard.text)


def cached_keys(cache: Path) -> set[str]:
    return {p.stem for p in cache.glob("segments/*/*.json")}


@pytest.fixture
def server():
    with FakeEdgeServer(voices=set(catalogue("edge"))) as fake:
        yield fake


def test_auto_picks_edge_when_it_answers_and_the_cast_edit_is_heard(server, tmp_path) -> None:
    env = {"AUDIOBOOK_EDGE_URL": server.url, "AUDIOBOOK_CACHE": str(tmp_path / "cache")}
    result = run_cli("build", str(SEED_002), "-o", "out", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "edge engine" in result.stderr
    book_dir = tmp_path / "out" / "002_0f929d2b9e10c4b0"
    cast = book_dir / "cast-edge.toml"
    text = cast.read_text("utf-8")
    voices = {h.voice for h in server.heard}
    assert len(voices) >= 4  # narrator, 张庆平, 卫江南, 高妍 (and perhaps unknown speakers)

    # the user gives 高妍 another voice: the next build uses it for her lines only
    block = text[text.index('[characters."高妍"]') :]
    old = block.split('voice = "')[1].split('"')[0]
    cast.write_text(text.replace(block, block.replace(old, "zh-CN-XiaoyiNeural", 1)), "utf-8")
    heard = len(server.heard)
    result = run_cli("build", str(SEED_002), "-o", "out", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    again = [h for h in server.heard[heard:] if h.text != "你好。"]  # not auto's probe
    assert again and {h.voice for h in again} == {"zh-CN-XiaoyiNeural"}
    assert f"{len(again)} synthesized" in result.stdout
    assert "Wrote 1 of 1" in result.stdout
    assert 'voice = "zh-CN-XiaoyiNeural"' in cast.read_text("utf-8")


def test_killed_halfway_resumes_without_redoing_finished_segments(server, tmp_path) -> None:
    # 20 chapters, each a heading and a run of three sentences: 40 requests
    book = "《长篇》\n" + "".join(
        f"第{i}章 第{i}回\n　　" + "".join(f"这是第{i}章的第{j}句话。" for j in range(3)) + "\n"
        for i in range(1, 21)
    )
    (tmp_path / "book.txt").write_text(book, "utf-8")
    server.latency = 0.15
    cache = tmp_path / "cache"
    env = {**os.environ, "AUDIOBOOK_EDGE_URL": server.url, "AUDIOBOOK_CACHE": str(cache)}
    command = [sys.executable, "-m", "audiobook", "build", "book.txt", "--engine", "edge"]
    process = subprocess.Popen(
        [*command, "-o", "out", "-j", "2"], cwd=tmp_path, env=env, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while len(cached_keys(cache)) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = cached_keys(cache)
    assert 8 <= len(finished) < 40  # killed halfway
    heard = len(server.heard)

    rerun = subprocess.run([*command, "-o", "out"], cwd=tmp_path, env=env, capture_output=True)
    assert rerun.returncode == 0, rerun.stderr
    redone = {key_of(h) for h in server.heard[heard:]}
    assert redone and not redone & finished

    server.latency = 0
    env["AUDIOBOOK_CACHE"] = str(tmp_path / "fresh-cache")
    whole = subprocess.run([*command, "-o", "whole"], cwd=tmp_path, env=env, capture_output=True)
    assert whole.returncode == 0, whole.stderr
    resumed = sorted((tmp_path / "out" / "长篇").glob("*.mp3"))
    uninterrupted = sorted((tmp_path / "whole" / "长篇").glob("*.mp3"))
    assert [p.name for p in resumed] == [p.name for p in uninterrupted] and len(resumed) == 20
    assert all(
        a.read_bytes() == b.read_bytes() for a, b in zip(resumed, uninterrupted, strict=True)
    )


def test_voices_lists_the_catalogues() -> None:
    result = run_cli("voices", "--engine", "edge")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Neural") == 14
    result = run_cli("voices")
    assert "man-deep" in result.stdout and "zh-CN-XiaoxiaoNeural" in result.stdout


def test_voices_as_json_for_scripts() -> None:
    result = run_cli("voices", "--format", "json")
    assert result.returncode == 0, result.stderr
    voices = json.loads(result.stdout)
    assert {(v["engine"], v["name"]) for v in voices} == {
        (engine, name) for engine in ("edge", "local") for name in catalogue(engine)
    }
    xiaoxiao = next(v for v in voices if v["name"] == "zh-CN-XiaoxiaoNeural")
    assert xiaoxiao["gender"] == "female" and xiaoxiao["locale"] == "zh-CN"
    assert all(v["description"] and v["gender"] in ("male", "female", "neutral") for v in voices)


def test_cast_command_shows_and_resets(tmp_path) -> None:
    result = run_cli("cast", str(SEED_002), "-o", "out", "--engine", "local", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("张庆平", "卫江南", "高妍", "(narrator)", "woman-girl", "man-young"):
        assert name in result.stdout
    cast = tmp_path / "out" / "002_0f929d2b9e10c4b0" / "cast-local.toml"
    # A cast file from before the voices were renamed still reads.
    cast.write_text(cast.read_text("utf-8").replace('"woman-girl"', '"baker-bright"'), "utf-8")
    result = run_cli("cast", str(SEED_002), "-o", "out", "--engine", "local", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cast.write_text(cast.read_text("utf-8").replace('"baker-bright"', '"nobody"'), "utf-8")
    result = run_cli("cast", str(SEED_002), "-o", "out", "--engine", "local", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {cast.name}: 高妍: unknown local voice 'nobody' "
        "(see: audiobook voices --engine local)"
    ]
    result = run_cli(
        "cast", str(SEED_002), "-o", "out", "--engine", "local", "--reset", cwd=tmp_path
    )
    assert result.returncode == 0 and "woman-girl" in result.stdout


def test_script_json_is_unchanged_by_casting(tmp_path) -> None:
    """`script` stays the stable interface: no voices in it."""
    result = run_cli("script", str(SEED_002), "--format", "json")
    assert "voice" not in json.loads(result.stdout)


def test_edge_asked_for_but_unreachable_is_one_line(tmp_path) -> None:
    result = run_cli("build", str(SEED_002), "-o", "out", "--engine", "edge", cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: the edge service does not answer")
    assert not list(tmp_path.glob("out/*/*.mp3"))


def test_a_book_read_by_two_engines_says_so(server, tmp_path) -> None:
    (tmp_path / "book.txt").write_text(
        "第一章 甲\n　　他来了。\n第二章 乙\n　　他走了。\n", "utf-8"
    )
    first = run_cli("build", "book.txt", "--engine", "local", "--chapters", "1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Note:" not in first.stderr
    env = {"AUDIOBOOK_EDGE_URL": server.url}
    second = run_cli("build", "book.txt", "--chapters", "2", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "read by the local engine and these by edge" in " ".join(second.stderr.split())
