"""The whole book as an M4B (AAC in MP4, with chapters and cover), encoded by ffmpeg.

The chapter MP3s' frames are piped to ffmpeg; ffmpeg is optional (the ``m4b`` extra, or one
on PATH), so its absence is a clear user error.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from audiobook.errors import AudiobookError
from audiobook.export.mpeg import Stream, copy_frames, ms
from audiobook.export.wholebook import BookInfo, Part, chapter_starts, check_parts, part_lengths
from audiobook.files import temp_path

AAC_BIT_RATE = "64k"
_FFMPEG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\]\s*)+")


def find_ffmpeg() -> str | None:
    """The bundled ffmpeg of the imageio-ffmpeg package if installed, else one on PATH."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        if exe and os.path.isfile(exe):
            return str(exe)
    except Exception:  # not installed, or no binary for this platform: try PATH
        pass
    return shutil.which("ffmpeg")


def write_m4b(parts: list[Part], out: Path, info: BookInfo) -> None:
    """An M4B (AAC in MP4) with chapters, via ffmpeg; AudiobookError with a clear one-line
    message when no ffmpeg binary is found."""
    ffmpeg = find_ffmpeg()
    if ffmpeg is None:
        raise AudiobookError(
            "M4B output needs ffmpeg: install the imageio-ffmpeg package "
            "(uv sync --extra m4b) or put ffmpeg on PATH"
        )
    check_parts(parts)
    # Chapter times must be in the metadata file before ffmpeg starts, so the parts are
    # scanned first (headers only, fast), then their frames are piped to ffmpeg: no joined
    # temporary MP3 on disk and no concat list with paths to quote.
    stream = Stream()
    lengths = part_lengths(parts, stream)
    markers = chapter_starts(parts, lengths, stream.sample_rate)
    total_ms = ms(sum(lengths), stream.sample_rate)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(out)
    with tempfile.TemporaryDirectory(prefix="audiobook-m4b-") as work:
        meta = Path(work) / "chapters.txt"
        meta.write_text(_ffmetadata(info, markers, total_ms), encoding="utf-8")
        cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        cmd += ["-f", "mp3", "-i", "pipe:0", "-i", str(meta)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        codecs = ["-c:a", "aac", "-b:a", AAC_BIT_RATE, "-ac", "1"]
        if info.cover:
            # Named by what the bytes are, not only the declared type: ffmpeg picks its
            # image reader by the file name.
            is_png = info.cover.startswith(b"\x89PNG") or (
                info.cover_mime == "image/png" and not info.cover.startswith(b"\xff\xd8")
            )
            cover = Path(work) / ("cover.png" if is_png else "cover.jpg")
            cover.write_bytes(info.cover)
            cmd += ["-i", str(cover)]
            # The image is stored as it is (no re-encoding) and marked as the cover, which
            # the MP4 muxer writes as iTunes 'covr' artwork rather than a video track.
            maps += ["-map", "2:v"]
            codecs += ["-c:v", "copy", "-disposition:v", "attached_pic"]
        # ipod is the muxer ffmpeg itself picks for .m4b; it is named because the temporary
        # file's extension does not tell ffmpeg. It writes both a QuickTime chapter track
        # (Apple's players) and Nero 'chpl' chapters (most others). The "M4B " brand marks
        # the file as an audiobook, so players remember the position.
        cmd += [*maps, *codecs, "-metadata:s:a:0", "language=chi", "-movflags", "+faststart"]
        cmd += ["-brand", "M4B ", "-f", "ipod", str(temp)]
        try:
            _run_ffmpeg(cmd, parts, Path(work) / "stderr.txt")
            os.replace(temp, out)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


def _run_ffmpeg(cmd: list[str], parts: list[Part], log: Path) -> None:
    # stderr goes to a file, not a pipe: a pipe nobody reads while we write stdin could fill
    # and stall both processes.
    with open(log, "wb") as err:
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err
            )
        except OSError as exc:
            raise AudiobookError(f"could not run ffmpeg ({cmd[0]}): {exc.strerror}") from exc
        assert proc.stdin is not None
        stream = Stream()
        try:
            for part in parts:
                copy_frames(part.path, stream, proc.stdin.write)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit status and stderr say why
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        code = proc.wait()
    if code != 0:
        raise AudiobookError(f"ffmpeg could not write the M4B: {_ffmpeg_reason(log, code)}")


def _ffmpeg_reason(log: Path, code: int) -> str:
    """ffmpeg's last error line, which is its conclusion, plus its first when that differs:
    the first is usually the cause (e.g. "No JPEG data found in image"). The "[muxer @
    0x...]" prefixes are noise to a user."""
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = [_FFMPEG_PREFIX.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return f"exit status {code}"
    if len(lines) > 1 and lines[0] != lines[-1]:
        return f"{lines[-1]} (first error: {lines[0]})"
    return lines[-1]


def _ffmetadata(info: BookInfo, markers: list[tuple[int, str]], total_ms: int) -> str:
    lines = [
        ";FFMETADATA1",
        f"title={_escape(info.title)}",
        f"album={_escape(info.title)}",
        f"artist={_escape(info.author)}",
        "genre=Audiobook",
    ]
    for i, (start, title) in enumerate(markers):
        end = markers[i + 1][0] if i + 1 < len(markers) else total_ms
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={start}",
            f"END={max(end, start)}",
            f"title={_escape(title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """FFMETADATA values: '=', ';', '#', '\\' must be escaped; a line break would end the
    value, so it becomes a space."""
    value = " ".join(value.split())
    for ch in "\\=;#":
        value = value.replace(ch, "\\" + ch)
    return value
