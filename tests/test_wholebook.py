"""Whole-book MP3 and M4B from real chapter MP3s, checked with independent readers:
mutagen, libsndfile (soundfile) and ffmpeg."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import imageio_ffmpeg
import lameenc
import numpy as np
import pytest
import soundfile
from mutagen.id3 import APIC, ID3, TIT2, CTOCFlags
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from audiobook.errors import AudiobookError
from audiobook.export import m4b, mpeg
from audiobook.export.m4b import write_m4b
from audiobook.export.wholebook import MAX_TOC_CHILDREN, BookInfo, Part, join_mp3

RATE = 24000
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
# Titles of falling length: mutagen would save their CHAP frames shortest first, that is in
# reverse, and ffmpeg lists chapters in frame order.
TITLES = ["第一章 很长很长很长很长的一个标题", "第二章 中等长度的标题", "第三章 短", "四"]
SECONDS = [1.0, 1.5, 0.6, 2.0]


def encode(samples: int, freq: float = 440.0, rate: int = RATE) -> bytes:
    """A tone as the build encodes it: LAME CBR 64 kbit/s mono, no Xing/LAME frame."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(5)
    t = np.arange(samples) / rate
    pcm = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2").tobytes()
    return encoder.encode(pcm) + encoder.flush()


def chapter_file(path: Path, audio: bytes, title: str, picture: bytes | None = None) -> Path:
    path.write_bytes(audio)
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[title]))
    if picture:
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=picture))
    id3.save(path, v2_version=3)
    return path


def png(width: int = 8, height: int = 8) -> bytes:
    """A real (tiny, red) PNG, made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def jpeg(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("cover") / "cover.jpg"
    red = ["-f", "lavfi", "-i", "color=red:s=32x32", "-frames:v", "1"]
    subprocess.run([FFMPEG, "-loglevel", "error", *red, str(path)], check=True)
    return path.read_bytes()


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> list[Part]:
    folder = tmp_path_factory.mktemp("chapters")
    made = []
    for i, (title, seconds) in enumerate(zip(TITLES, SECONDS, strict=True)):
        audio = encode(int(seconds * RATE), freq=300 + 100 * i)
        # One chapter carries a 200 kB picture, so its tag is far bigger than one chunk
        # of audio; another ends with an ID3v1 tag that must not be copied as audio.
        picture = b"\xff\xd8" + bytes(200_000) if i == 1 else None
        path = chapter_file(folder / f"{i + 1:03d}.mp3", audio, title, picture)
        if i == 2:
            ID3(path).save(path, v2_version=3, v1=2)
            assert path.read_bytes()[-128:-125] == b"TAG"
        made.append(Part(path, title))
    return made


def decoded_samples(path: Path) -> int:
    samples, rate = soundfile.read(str(path), dtype="int16")
    assert rate == RATE
    return len(samples)


def ffmpeg_chapters(path: Path) -> list[tuple[float, float, str]]:
    """(start s, end s, title) of each chapter as ffmpeg reads the file."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    chapters = []
    for block in result.stdout.split("[CHAPTER]")[1:]:
        fields = dict(line.split("=", 1) for line in block.strip().splitlines() if "=" in line)
        num, den = (int(x) for x in fields["TIMEBASE"].split("/"))
        scale = num / den
        title = fields.get("title", "")
        chapters.append((int(fields["START"]) * scale, int(fields["END"]) * scale, title))
    return chapters


def ffmpeg_info(path: Path) -> str:
    return subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stderr


def ffmpeg_duration(path: Path) -> float:
    match = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", ffmpeg_info(path))
    assert match, "ffmpeg shows no duration"
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def cumulative_ms(lengths: list[int]) -> list[float]:
    starts, elapsed = [], 0
    for length in lengths:
        starts.append(elapsed * 1000 / RATE)
        elapsed += length
    return starts


# --- MP3 ----------------------------------------------------------------------------------


def test_join_plays_as_one_file_with_chapter_markers(parts, tmp_path, jpeg):
    out = tmp_path / "书.mp3"
    markers = join_mp3(parts, out, BookInfo("三体", "刘慈欣", cover=jpeg))

    lengths = [decoded_samples(part.path) for part in parts]  # independent of our parsing
    total_s = sum(lengths) / RATE
    assert MP3(out).info.length == pytest.approx(total_s, abs=0.05)
    assert decoded_samples(out) == pytest.approx(sum(lengths), abs=0.05 * RATE)
    assert not list(out.parent.glob(".*.part"))

    starts = cumulative_ms(lengths)
    assert [title for _, title in markers] == TITLES
    assert [start for start, _ in markers] == pytest.approx(starts, abs=30)

    id3 = ID3(out)
    assert id3.version == (2, 3, 0)
    assert str(id3["TIT2"]) == "三体" and str(id3["TALB"]) == "三体"
    assert str(id3["TPE1"]) == "刘慈欣"
    assert str(id3["TCON"]) == "Audiobook" and str(id3["TLAN"]) == "chi"
    covers = id3.getall("APIC")
    assert len(covers) == 1 and covers[0].type == 3 and covers[0].data == jpeg

    chaps = {chap.element_id: chap for chap in id3.getall("CHAP")}
    (toc,) = id3.getall("CTOC")
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == [f"chp{i}" for i in range(len(parts))]
    ordered = [chaps[cid] for cid in toc.child_element_ids]
    assert [str(chap.sub_frames["TIT2"]) for chap in ordered] == TITLES
    assert [chap.start_time for chap in ordered] == pytest.approx(starts, abs=30)
    assert [chap.end_time for chap in ordered[:-1]] == [chap.start_time for chap in ordered[1:]]
    assert ordered[-1].end_time == pytest.approx(total_s * 1000, abs=30)

    listed = ffmpeg_chapters(out)
    assert [title for _, _, title in listed] == TITLES
    assert [start * 1000 for start, _, _ in listed] == pytest.approx(starts, abs=30)
    assert ffmpeg_duration(out) == pytest.approx(total_s, abs=0.05)


def test_join_copies_frames_exactly_whatever_the_chunk_size(parts, tmp_path, monkeypatch):
    """Frames cut by a chunk boundary are copied whole: a tiny chunk size gives the same
    bytes, and the audio is exactly the parts' frames (no tags, nothing re-encoded)."""
    big = tmp_path / "big.mp3"
    join_mp3(parts, big, BookInfo("书", "作者"))
    monkeypatch.setattr(mpeg, "CHUNK", 1000)  # not a multiple of the 192-byte frame
    small = tmp_path / "small.mp3"
    join_mp3(parts, small, BookInfo("书", "作者"))
    assert small.read_bytes() == big.read_bytes()

    def audio(path: Path) -> bytes:
        data = path.read_bytes()
        start = ID3(path).size  # header and padding included
        end = len(data) - 128 if data[-128:-125] == b"TAG" else len(data)
        return data[start:end]

    assert audio(big) == b"".join(audio(part.path) for part in parts)


def test_join_counts_frames_not_bytes(tmp_path):
    """Junk between the tag and the audio is skipped, an Info frame is dropped, a cut-off
    last frame is left out; durations still come out exact."""
    audio = encode(RATE)  # 1 s
    frames = len(audio) // 192
    assert len(audio) == frames * 192  # every frame of 64 kbit/s at 24 kHz: 192 bytes
    clean = chapter_file(tmp_path / "clean.mp3", audio, "一")
    info_frame = bytearray(audio[:192])
    info_frame[4 + 9 : 4 + 13] = b"Info"  # where LAME puts it in an MPEG-2 mono frame
    messy = tmp_path / "messy.mp3"
    chapter_file(messy, b"\x00junk\xff\x00" + bytes(info_frame) + audio + audio[:100], "二")
    out = tmp_path / "out.mp3"
    markers = join_mp3([Part(messy, "二"), Part(clean, "一")], out, BookInfo("书", "作者"))
    assert markers == [(0, "二"), (round(frames * 576 * 1000 / RATE), "一")]
    assert decoded_samples(out) == 2 * frames * 576


def test_join_refuses_parts_of_different_formats(tmp_path):
    a = chapter_file(tmp_path / "a.mp3", encode(RATE), "一")
    b = chapter_file(tmp_path / "b.mp3", encode(22050, rate=22050), "二")
    out = tmp_path / "out.mp3"
    with pytest.raises(AudiobookError, match=r"b\.mp3.*22050 Hz"):
        join_mp3([Part(a, "一"), Part(b, "二")], out, BookInfo("书", "作者"))
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


def test_join_300_parts_nests_tables_of_contents(tmp_path):
    audio = encode(100)  # the shortest LAME gives: 3 frames, 72 ms
    count = 300
    parts = [
        Part(chapter_file(tmp_path / f"{i}.mp3", audio, "x"), f"第{i + 1}章") for i in range(count)
    ]
    out = tmp_path / "book.mp3"
    markers = join_mp3(parts, out, BookInfo("长篇", "作者"))
    step = len(audio) // 192 * 576 * 1000 / RATE
    assert [start for start, _ in markers] == pytest.approx([i * step for i in range(count)], abs=1)

    id3 = ID3(out)
    tocs = {toc.element_id: toc for toc in id3.getall("CTOC")}
    chaps = {chap.element_id: chap for chap in id3.getall("CHAP")}
    (top,) = [toc for toc in tocs.values() if toc.flags & CTOCFlags.TOP_LEVEL]
    assert top.flags & CTOCFlags.ORDERED
    assert len(top.child_element_ids) == 2
    reached = []
    for child_id in top.child_element_ids:
        child = tocs[child_id]
        assert child.flags == CTOCFlags.ORDERED  # not top level
        assert 0 < len(child.child_element_ids) <= MAX_TOC_CHILDREN
        assert all(cid in chaps for cid in child.child_element_ids)
        assert re.fullmatch(r"第\d+–\d+章", str(child.sub_frames["TIT2"]))
        reached += child.child_element_ids
    assert reached == [f"chp{i}" for i in range(count)]  # each once, in book order
    assert len(chaps) == count
    assert len(tocs[top.child_element_ids[0]].child_element_ids) == MAX_TOC_CHILDREN
    assert str(tocs[top.child_element_ids[1]].sub_frames["TIT2"]) == "第256–300章"
    starts = [chaps[cid].start_time for cid in reached]
    assert starts == sorted(starts)

    listed = ffmpeg_chapters(out)
    assert len(listed) == count
    assert [title for _, _, title in listed] == [f"第{i + 1}章" for i in range(count)]
    assert [start * 1000 for start, _, _ in listed] == pytest.approx(
        [start for start, _ in markers], abs=1
    )


# --- M4B ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cover_kind", ["jpeg", "png", None])
def test_m4b_has_chapters_and_cover(parts, tmp_path, jpeg, cover_kind):
    cover = {"jpeg": jpeg, "png": png(), None: None}[cover_kind]
    mime = "image/png" if cover_kind == "png" else "image/jpeg"
    out = tmp_path / "三体.m4b"
    write_m4b(parts, out, BookInfo("三体", "刘慈欣", cover=cover, cover_mime=mime))
    assert out.is_file() and not list(out.parent.glob(".*.part"))

    lengths = [decoded_samples(part.path) for part in parts]
    listed = ffmpeg_chapters(out)
    assert [title for _, _, title in listed] == TITLES
    assert [start * 1000 for start, _, _ in listed] == pytest.approx(cumulative_ms(lengths), abs=30)
    assert ffmpeg_duration(out) == pytest.approx(sum(lengths) / RATE, abs=0.1)

    info = ffmpeg_info(out)
    assert "Audio: aac" in info and "mono" in info
    tags = MP4(out).tags
    assert tags["©nam"] == ["三体"] and tags["©ART"] == ["刘慈欣"] and tags["©alb"] == ["三体"]
    if cover is None:
        assert "covr" not in tags
    else:
        assert bytes(tags["covr"][0]) == cover
        assert "(attached pic)" in info


def test_m4b_without_ffmpeg_is_a_clear_error(parts, tmp_path, monkeypatch):
    monkeypatch.setattr(m4b, "find_ffmpeg", lambda: None)
    out = tmp_path / "book.m4b"
    with pytest.raises(AudiobookError, match="ffmpeg") as caught:
        write_m4b(parts, out, BookInfo("书", "作者"))
    assert "\n" not in str(caught.value) and "imageio-ffmpeg" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_m4b_ffmpeg_failure_is_reported_and_leaves_no_file(parts, tmp_path):
    out = tmp_path / "book.m4b"
    with pytest.raises(AudiobookError, match="ffmpeg") as caught:
        write_m4b(parts, out, BookInfo("书", "作者", cover=b"not a picture"))
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_find_ffmpeg_prefers_the_bundled_binary_then_path(monkeypatch):
    assert m4b.find_ffmpeg() == FFMPEG
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    monkeypatch.setattr(m4b.shutil, "which", lambda name: f"/opt/bin/{name}")
    assert m4b.find_ffmpeg() == "/opt/bin/ffmpeg"
    monkeypatch.setattr(m4b.shutil, "which", lambda name: None)
    assert m4b.find_ffmpeg() is None
