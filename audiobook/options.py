"""The command line's shared options, and the chapter list they take."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import click

from audiobook.config import Config, load_config
from audiobook.errors import AudiobookError
from audiobook.speech.engines import ENGINES

DEFAULT_OUT = Path("output")


@dataclass(frozen=True)
class Settings:
    """Where a command's settings come from: --config (or audiobook.toml), and the
    options that override it."""

    config_path: Path | None
    encoding: str | None
    chapter_pattern: str | None

    def load(self, input_path: Path) -> Config:
        return load_config(self.config_path, input_path, self.encoding, self.chapter_pattern)


def reading_options(command):
    """--config, --encoding and --chapter-pattern, given to the command as one
    ``settings`` argument."""

    @functools.wraps(command)
    def with_settings(*args, config_path, encoding, chapter_pattern, **kwargs):
        settings = Settings(config_path, encoding, chapter_pattern)
        return command(*args, settings=settings, **kwargs)

    with_settings = click.option(
        "--chapter-pattern",
        metavar="REGEX",
        help="Headings are the lines that start with this (e.g. '^第.+章'); "
        "default: found per book.",
    )(with_settings)
    with_settings = click.option(
        "--encoding",
        metavar="NAME",
        help="Read a TXT in this encoding (gb18030, big5, utf-8); default: detected.",
    )(with_settings)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        help="A TOML file with [cleanup], [pauses], [loudness], [input], [chapters], [pronounce] "
        "(default: audiobook.toml).",
    )(with_settings)


@dataclass(frozen=True)
class Listening:
    """How every voice of the book is heard: --single-voice and --rate."""

    single_voice: bool = False  # the narrator's voice for every line
    rate: int = 0  # percent added to every voice's rate


def listening_options(command):
    """--single-voice and --rate, given to the command as one ``listening`` argument."""

    @functools.wraps(command)
    def with_listening(*args, single_voice, rate, **kwargs):
        return command(*args, listening=Listening(single_voice, rate), **kwargs)

    with_listening = click.option(
        "--rate",
        metavar="PERCENT",
        callback=_parse_rate,
        default="+0%",
        help="Speak every voice faster (+10%) or slower (-10%).",
    )(with_listening)
    return click.option(
        "--single-voice",
        is_flag=True,
        help="Read everything, dialogue too, with the narrator's voice (fewest requests).",
    )(with_listening)


def _parse_rate(context, param, value: str) -> int:
    found = re.fullmatch(r"\s*([+-]?\d+)\s*%?\s*", value)
    if not found or not -50 <= int(found[1]) <= 100:
        raise click.BadParameter(f"{value!r}: give a percentage from -50% to +100%, as in +10%")
    return int(found[1])


output_option = click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for the book's folder.",
)
engine_option = click.option(
    "--engine",
    type=click.Choice(["auto", *ENGINES]),
    default="auto",
    show_default=True,
    help="edge: online neural voices; local: the offline voice; auto: edge if it answers.",
)
cover_option = click.option(
    "--cover",
    "cover_path",
    type=click.Path(path_type=Path),
    help="A JPEG or PNG image: embedded in every MP3 (and the podcast feed).",
)


def parse_selection(spec: str | None, count: int) -> list[int]:
    """ "1-3,7" -> [1, 2, 3, 7] (chapter order numbers, 1-based); None -> all."""
    if not spec:
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.replace("，", ",").split(","):
        part = part.strip()
        found = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+)?)?", part)
        if not found:
            raise AudiobookError(f"--chapters: cannot read {part!r} (use a list like 1-3,7 or 5-)")
        first = int(found[1])
        last = int(found[2]) if found[2] else (count if "-" in part else first)
        if first < 1 or last < first:
            raise AudiobookError(f"--chapters: {part!r} is not a valid range")
        chosen.update(range(first, min(last, count) + 1))
    if not chosen:
        raise AudiobookError(f"--chapters {spec}: the book has only {count} chapter(s)")
    return sorted(chosen)


_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """'30d' -> seconds; minutes, hours, days or weeks."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text.lower())
    if not found:
        raise click.BadParameter(
            f"{text!r}: give a number and m, h, d or w, as in 30d", param_hint="--older-than"
        )
    return float(found[1]) * _AGE_UNITS[found[2]]


ray_option = click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ADDRESS]",
    help="Build the chapters as Ray tasks: on the cluster at ADDRESS (or $RAY_ADDRESS), "
    "else on a local Ray with --jobs CPUs. Put it after INPUT.",
)
