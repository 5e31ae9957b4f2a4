"""`audiobook build` end to end: real voice, real MP3 files, tags read back."""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from audiobook.audio.build import BuildPlan, build_book
from audiobook.cast.casting import draw_cast
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines.choose import get_engine
from audiobook.text.reading import load
from audiobook.text.script import book_from_text, make_script
from tests.conftest import SEEDS, run_cli

BOOK = """《测试小说》
作者：测试者

第一章 开端

　　他走进房间。房间里很安静。
　　窗外下着雨，一切都很平常。

第二章 继续

　　第二天早上，天晴了。
"""


def ffmpeg_chapters(path: Path) -> list[tuple[float, str]]:
    """Chapter (start seconds, title) as ffmpeg reads them from the file."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    chapters, start = [], None
    for line in result.stdout.splitlines():
        if line.startswith("START="):
            start = int(line[6:]) / 1000
        elif line.startswith("title=") and start is not None:
            chapters.append((start, line[6:]))
            start = None
    return chapters  # in the order ffmpeg lists them, which is the order of the frames


class Quiet:
    def segments_planned(self, count) -> None: ...
    def segment_finished(self, how) -> None: ...
    def chapter_done(self, result) -> None: ...


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The small book built once through the CLI."""
    work = tmp_path_factory.mktemp("built")
    (work / "book.txt").write_text(BOOK, "utf-8")
    result = run_cli("build", "book.txt", "-o", "out", cwd=work)
    assert result.returncode == 0, result.stderr
    return work, result


def test_writes_one_mp3_per_chapter(built) -> None:
    work, result = built
    files = sorted((work / "out" / "测试小说").glob("*"))
    assert [f.name for f in files] == [
        ".audiobook.lock",  # one writer at a time
        "0001 开端.lrc",
        "0001 开端.mp3",
        "0001 开端.srt",
        "0002 继续.lrc",
        "0002 继续.mp3",
        "0002 继续.srt",
        "cast-local.toml",
        "speakers.toml",  # where the reader corrects a speaker
    ]
    assert "Wrote 2 of 2" in result.stdout


def test_mp3_is_mono_and_tagged(built) -> None:
    work, _ = built
    path = work / "out" / "测试小说" / "0001 开端.mp3"
    audio = MP3(path)
    assert audio.info.channels == 1
    assert audio.info.sample_rate == 24000
    assert 4 < audio.info.length < 15
    tags = ID3(path)
    assert tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == "开端"
    assert str(tags["TALB"]) == "测试小说"
    assert str(tags["TPE1"]) == "测试者"
    assert str(tags["TRCK"]) == "1/2"
    assert str(tags["TCON"]) == "Audiobook"
    toc = tags["CTOC:toc"]
    assert toc.flags == 3  # top-level and ordered
    assert toc.child_element_ids == ["chp0"]
    chap = tags["CHAP:chp0"]
    assert chap.start_time == 0
    assert abs(chap.end_time - audio.info.length * 1000) < 150
    assert str(chap.sub_frames["TIT2"]) == "开端"


def test_ffmpeg_reads_the_chapter_markers(built) -> None:
    work, _ = built
    assert ffmpeg_chapters(work / "out" / "测试小说" / "0002 继续.mp3") == [(0.0, "继续")]


def test_rerun_reuses_finished_chapters(built) -> None:
    work, _ = built
    path = work / "out" / "测试小说" / "0002 继续.mp3"
    before = MP3(path).info.length
    content = path.read_bytes()
    started = time.perf_counter()
    result = run_cli("build", "book.txt", "-o", "out", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "Wrote 0 of 2" in result.stdout
    assert result.stdout.count("up to date") == 2
    assert MP3(path).info.length == before
    assert path.read_bytes() == content  # an up-to-date file is not even rewritten
    assert time.perf_counter() - started < 60


def test_chapter_selection_and_changed_text(tmp_path: Path) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    result = run_cli("build", "book.txt", "-o", "out", "--chapters", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(f.name for f in (tmp_path / "out" / "测试小说").glob("*.mp3")) == [
        "0002 继续.mp3"
    ]
    # the chapter's text changes: it is rebuilt, not reused
    (tmp_path / "book.txt").write_text(BOOK.replace("天晴了", "下雪了"), "utf-8")
    result = run_cli("build", "book.txt", "-o", "out", "--chapters", "2-", cwd=tmp_path)
    assert "Wrote 1 of 1" in result.stdout


def test_markers_at_paragraphs_after_the_interval(tmp_path: Path) -> None:
    # paragraph openings of falling length: mutagen would write their frames shortest first
    text = "第一章 长章\n" + "\n".join(
        f"第{i}段{'的' * (7 - i)}开头，后面还有一些话。" for i in range(1, 7)
    )
    book = book_from_text(text, "x")
    plan = BuildPlan(book=book, out_dir=tmp_path, chapters=book.chapters, marker_every_ms=5000)
    voices = draw_cast(book, "local").voices()
    engine = get_engine("local", workers=1)
    [result] = asyncio.run(build_book(plan, engine, voices, Quiet(), SegmentCache(tmp_path)))
    chaps = sorted(ID3(result.path).getall("CHAP"), key=lambda c: c.start_time)
    titles = [str(c.sub_frames["TIT2"]) for c in chaps]
    assert titles[0] == "长章"
    assert len(chaps) >= 3
    assert all(t.endswith("的开头…") for t in titles[1:])
    starts = [c.start_time for c in chaps]
    assert all(b - a >= 5000 for a, b in itertools.pairwise(starts))
    assert [c.end_time for c in chaps[:-1]] == starts[1:]
    assert chaps[-1].end_time == result.duration_ms
    listed = ffmpeg_chapters(result.path)
    assert [title for _, title in listed] == titles  # in order, whatever their lengths
    assert [start for start, _ in listed] == sorted(start for start, _ in listed)


def test_seed_chapter_000(tmp_path: Path) -> None:
    """The bar: one MP3 titled 暗访缙金科技园, markers readable by mutagen and ffmpeg,
    and a length consistent with the text."""
    result = run_cli("build", str(SEEDS / "000_041c593aa96c4732.txt"), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    [path] = (tmp_path / "重生官路：巅峰父子").glob("*.mp3")
    assert path.name == "0001 暗访缙金科技园.mp3"
    tags = ID3(path)
    assert str(tags["TIT2"]) == "暗访缙金科技园"
    assert str(tags["TALB"]) == "重生官路:巅峰父子"
    seconds = MP3(path).info.length
    book = make_script(load(SEEDS / "000_041c593aa96c4732.txt"), "000").book
    characters = book.chapters[0].characters  # read aloud: no heading, breadcrumb, marks
    assert 3.5 <= characters / seconds <= 5.0, characters / seconds
    chapters = ffmpeg_chapters(path)
    assert chapters[0] == (0.0, "暗访缙金科技园")
    assert len(chapters) == len(tags["CTOC:toc"].child_element_ids) >= 2
    assert all(b[0] - a[0] >= 180 for a, b in itertools.pairwise(chapters))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"\x00\x01\x02\x03binary\x00", "binary"),
        (bytes(range(0x80, 0x100)) * 4, "cannot decode"),
    ],
    ids=["missing", "empty", "binary", "undecodable"],
)
def test_bad_input_gives_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "in.txt"
    if content is not None:
        path.write_bytes(content)
    result = run_cli("build", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_bad_chapter_list_gives_one_line(tmp_path: Path) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    result = run_cli("build", "book.txt", "--chapters", "x-y", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: --chapters")
    assert len(result.stderr.strip().splitlines()) == 1


def start_build(folder: Path) -> subprocess.Popen:
    """`audiobook build book.txt -o out` in ``folder``, running, as a user starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "audiobook", "build", "book.txt", "-o", "out"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ctrl_c_keeps_finished_chapters_and_no_partial_file(tmp_path: Path) -> None:
    chapter = "　　" + "他走进房间，房间里很安静。窗外下着雨。" * 6
    text = "".join(f"第{i}章 第{i}回\n{chapter}\n" for i in range(1, 5))
    (tmp_path / "book.txt").write_text(text, "utf-8")
    process = start_build(tmp_path)
    folder = tmp_path / "out" / "book"
    deadline = time.monotonic() + 180
    while not list(folder.glob("0001*.mp3")) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Interrupted" in stderr
    names = sorted(p.name for p in folder.iterdir() if p.suffix == ".mp3")
    assert not [p for p in folder.glob(".*") if p.name != ".audiobook.lock"]
    assert names and all(n.endswith(".mp3") for n in names), names  # no .part left
    assert len(names) < 4
    assert MP3(folder / names[0]).info.length > 5


def test_ctrl_c_while_the_book_is_read_stops_at_once(tmp_path: Path) -> None:
    # the book is read in a process of its own: Ctrl-C must stop it too, without a word
    paragraph = "　　{0}天早上，林晚走进了第{0}号房间。陈默说：“今天还有{0}件事。”\n"
    chapters = [f"第{n}章\n" + paragraph.format(n) * 200 for n in range(1, 150)]
    (tmp_path / "book.txt").write_text("".join(chapters), "utf-8")  # about a minute's reading
    process = start_build(tmp_path)
    time.sleep(4)  # reading by now
    assert process.poll() is None
    asked = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - asked < 5
    assert process.returncode == 130, stderr
    assert stderr.strip() == "Interrupted: finished chapter files are kept."


def test_two_builds_of_one_book_at_once_take_turns(tmp_path: Path) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    command = [sys.executable, "-m", "audiobook", "build", "book.txt", "-o", "out"]
    first, second = (
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    )
    outcomes = [process.communicate(timeout=300) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outcomes
    said = "".join(err.decode() for _, err in outcomes)
    assert "Waiting for another build of this book" in said
    assert "Traceback" not in said
    folder = tmp_path / "out" / "测试小说"
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith(".audiobook"))
    assert [n for n in names if n.endswith(".mp3")] == ["0001 开端.mp3", "0002 继续.mp3"]
    assert not [n for n in names if n.startswith(".")]  # no temporary file left behind
    assert all(MP3(folder / n).info.length > 1 for n in names if n.endswith(".mp3"))


def test_a_whole_book_file_of_some_chapters_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    result = run_cli("build", "book.txt", "--chapters", "1", "--single-file", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--single-file makes the whole book" in lines[0]
    assert "1 of its 2 chapters" in lines[0]
    assert not (tmp_path / "output").exists()


def test_retagging_a_finished_chapter_never_leaves_a_broken_file(built, tmp_path, monkeypatch):
    import shutil

    from audiobook.audio import tags

    work, _ = built
    path = tmp_path / "0001 开端.mp3"
    shutil.copyfile(next((work / "out" / "测试小说").glob("0001*.mp3")), path)
    before = path.read_bytes()

    def crash(_: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(tags, "_put_chapters_in_order", crash)
    with pytest.raises(OSError):
        tags.update_book_tags(path, track=1, total=3, album="测试小说", artist="测试者")
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]
    monkeypatch.undo()
    tags.update_book_tags(path, track=1, total=3, album="测试小说", artist="测试者")
    assert str(ID3(path)["TRCK"]) == "1/3" and MP3(path).info.length > 1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
