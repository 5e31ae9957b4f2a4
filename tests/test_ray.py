"""Books built as Ray tasks on a local Ray: the very files a build without Ray makes, also
when a task is killed in the middle of a chapter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fake_edge import FakeEdgeServer

BASE = "https://example.org/books/"
PINNED = {"SOURCE_DATE_EPOCH": "1780000000"}  # the feed's dates
SENTENCES = ["他说：“早。”", "她笑着点了点头，转身走进了雨里。", "院子里的槐树又开花了。"]


def write_book(folder: Path, title: str, lengths: list[int]) -> str:
    text = f"《{title}》\n作者：某甲\n"
    for number, length in enumerate(lengths, 1):
        body = "".join(f"{title}第{number}章第{k}句。{SENTENCES[k % 3]}" for k in range(length))
        text += f"第{number}章 第{number}天\n　　{body}\n"
    (folder / f"{title}.txt").write_text(text, "utf-8")
    return f"{title}.txt"


def podcast(
    folder: Path, books: list[str], out: str, *extra: str, edge: str = ""
) -> subprocess.Popen:
    """`audiobook podcast` in a fresh process with a cache of its own (empty at first),
    with the offline voice, or the edge voices of the fake service at ``edge``."""
    env = {**os.environ, **PINNED, "AUDIOBOOK_CACHE": str(folder / f"cache-{out}")}
    engine = ["--engine", "local"]
    if edge:
        env["AUDIOBOOK_EDGE_URL"], engine = edge, ["--engine", "edge"]
    args = ["podcast", *books, "--base-url", BASE, "-o", out, *engine, *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "audiobook", *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


def outputs(folder: Path) -> dict[str, bytes]:
    """Every chapter MP3, subtitle and feed, by its path in the output folder."""
    kinds = {".mp3", ".lrc", ".srt", ".xml"}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.suffix in kinds
    }


def test_a_batch_built_on_ray_is_the_batch_built_without_it(tmp_path) -> None:
    books = [write_book(tmp_path, "甲书", [2, 1]), write_book(tmp_path, "乙书", [1, 2, 1])]
    finish(podcast(tmp_path, books, "plain"))
    finish(podcast(tmp_path, books, "ray", "--ray", "--jobs", "2"))
    plain, on_ray = outputs(tmp_path / "plain"), outputs(tmp_path / "ray")
    assert sum(name.endswith(".mp3") for name in plain) == 5
    assert sum(name.endswith(".xml") for name in plain) == 2
    assert list(on_ray) == list(plain)
    assert [n for n in plain if on_ray[n] != plain[n]] == []

    # Built already and unchanged: nothing goes to Ray, no file is written again.
    made = {p: p.stat().st_mtime_ns for p in (tmp_path / "ray").rglob("*.mp3")}
    finish(podcast(tmp_path, books, "ray", "--ray", "--jobs", "2"))
    assert {p: p.stat().st_mtime_ns for p in made} == made


def read_aloud(server: FakeEdgeServer) -> set[str]:
    """The texts the service read, but for the engine's "is it there?" probes. (Each once:
    two books may share a line, which the plain build, a book at a time, finds cached
    for the second, and two tasks at once may both ask for.)"""
    return {h.text for h in server.heard if h.text != "你好。"}


def test_edge_chapters_on_ray_are_the_chapters_made_without_it(tmp_path) -> None:
    books = [write_book(tmp_path, "戊书", [3, 1]), write_book(tmp_path, "己书", [2])]
    with FakeEdgeServer() as server:
        finish(podcast(tmp_path, books, "plain", edge=server.url))
        plain_heard = read_aloud(server)
        server.heard.clear()
        finish(podcast(tmp_path, books, "ray", "--ray", edge=server.url))
        assert read_aloud(server) == plain_heard  # the same requests
    plain, on_ray = outputs(tmp_path / "plain"), outputs(tmp_path / "ray")
    assert sum(name.endswith(".mp3") for name in plain) == 3
    assert on_ray == plain


def ray_chapter_workers() -> list[int]:
    """The processes running a chapter task: Ray titles them after the task."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and title.startswith(b"ray::make_chapter"):
            found.append(int(entry.name))
    return found


def test_a_chapter_whose_task_is_killed_is_retried_and_comes_out_the_same(tmp_path) -> None:
    books = [write_book(tmp_path, "丙书", [12, 2])]
    finish(podcast(tmp_path, books, "plain"))
    running = podcast(tmp_path, books, "ray", "--ray", "--jobs", "2")
    cache = tmp_path / "cache-ray"
    killed: list[int] = []
    deadline = time.monotonic() + 300
    while not killed and running.poll() is None and time.monotonic() < deadline:
        # mid-chapter: some of the long chapter's 30-odd lines are in the cache, not all
        if 1 <= len(list(cache.rglob("*.flac"))) < 15:
            for pid in ray_chapter_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.05)
    finish(running)
    assert killed, "no chapter task was caught in the middle of its chapter"
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "plain")


def test_a_build_without_ray_does_not_import_it(tmp_path) -> None:
    book = write_book(tmp_path, "丁书", [1])
    code = (
        "import sys; from audiobook.cli import main; "
        f"main(['build', {book!r}, '--engine', 'local', '-o', 'out'], standalone_mode=False); "
        "assert 'ray' not in sys.modules, 'ray was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "out").rglob("*.mp3"))


def test_a_chapter_that_fails_on_ray_is_reported_as_failed(tmp_path) -> None:
    from audiobook.audio import cluster

    def broken() -> cluster.ChapterFiles:
        raise ValueError("the model file is damaged")

    cluster.connect(None, 1, "local")
    try:
        import ray

        failed = cluster._result_of(ray, ray.remote(broken).options(max_retries=0).remote())
    finally:
        cluster.disconnect()
    assert failed.error == "ValueError: the model file is damaged"
    chapter = cluster.Chapter(order=1, title=None, heading="第1章")
    result = cluster._write_files(chapter, tmp_path / "0001.mp3", failed)
    assert result.error == failed.error and not list(tmp_path.iterdir())
