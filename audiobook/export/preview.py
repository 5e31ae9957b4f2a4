"""Listening to a preview: its page (player and transcript) and a local audio player."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from audiobook.audio.build import BuildPlan, ChapterResult
from audiobook.cast.casting import OTHERS, Cast
from audiobook.export.page import PageLine, write_page

UNKNOWN_SPEAKER = "某人"  # how the page names speech whose speaker is not known

# Command-line players that take an MP3 and exit when it ends, in order of preference.
PLAYERS = (
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"),
    ("mpv", "--no-video", "--really-quiet"),
    ("mpg123", "-q"),
    ("cvlc", "--play-and-exit", "--quiet"),
    ("afplay",),
)


def write_preview_page(page: Path, plan: BuildPlan, result: ChapterResult, cast: Cast) -> None:
    voices = cast.voices()
    lines = []
    for cue in result.cues:
        speaker = (cue.speaker or UNKNOWN_SPEAKER) if cue.speech else None
        lines.append(
            PageLine(cue.start_ms, cue.end_ms, cue.text, speaker, cue.paragraph, cue.unsure)
        )
    described = {name: voice.describe() for name, voice in voices.items() if name != OTHERS}
    if OTHERS in voices:
        described[UNKNOWN_SPEAKER] = voices[OTHERS].describe()
    write_page(
        page,
        title=plan.book.chapter_title(result.chapter),
        audio=result.path.read_bytes(),
        lines=lines,
        voices=described,
    )


def play_file(path: Path) -> str | None:
    """Play ``path`` with the first player found; returns its name, or None if none."""
    for command in PLAYERS:
        if shutil.which(command[0]):
            subprocess.run([*command, str(path)], check=False)
            return command[0]
    if sys.platform == "win32":  # pragma: no cover - the default app for .mp3
        os.startfile(path)  # type: ignore[attr-defined]
        return "the default player"
    return None
