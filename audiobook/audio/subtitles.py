"""Subtitles from the real timings of a chapter: SRT, and LRC for Chinese music and
audiobook players. One sentence a line; speech keeps its quote marks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """Where one sentence is heard in the chapter file."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None  # who says it, if known
    paragraph: int  # -1 for the heading
    speech: bool = False  # words inside quote marks
    unsure: bool = False  # ... whose speaker is uncertain


def _display(cue: Cue) -> str:
    text = " ".join(cue.text.split())
    return f"“{text}”" if cue.speech else text


def srt(cues: list[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cues, 1):
        blocks.append(
            f"{number}\n{_srt_time(cue.start_ms)} --> {_srt_time(cue.end_ms)}\n{_display(cue)}\n"
        )
    return "\n".join(blocks)


def _srt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def lrc(cues: list[Cue], *, title: str, artist: str, album: str, length_ms: int) -> str:
    """LRC with the common header tags; times as [mm:ss.xx] (minutes may pass 99)."""
    header = [
        f"[ti:{title}]",
        f"[ar:{artist}]",
        f"[al:{album}]",
        f"[length:{_lrc_time(length_ms)}]",
        "[by:audiobook]",
    ]
    lines = [f"[{_lrc_time(cue.start_ms)}]{_display(cue)}" for cue in cues]
    if cues:  # clear the last line when it has been said
        lines.append(f"[{_lrc_time(cues[-1].end_ms)}]")
    return "\n".join(header + lines) + "\n"


def _lrc_time(ms: int) -> str:
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes:02d}:{rest // 1000:02d}.{rest % 1000 // 10:02d}"
