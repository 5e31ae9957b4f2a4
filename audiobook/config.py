"""User settings from ``audiobook.toml``: next to the input file, in the current folder,
or given with ``--config``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from audiobook.errors import AudiobookError
from audiobook.files import tomllib

CONFIG_NAME = "audiobook.toml"


@dataclass(frozen=True)
class Pauses:
    """Silences in milliseconds ([pauses] in the config)."""

    lead_in: int = 300  # before the chapter title
    after_heading: int = 1000
    sentence: int = 350
    trailing_off: int = 650  # after a sentence that ends in …… or ——
    speaker_change: int = 600  # between sentences of different voices in one paragraph
    paragraph: int = 800
    tail: int = 1200


@dataclass(frozen=True)
class Level:
    """Every chapter's integrated loudness (ITU-R BS.1770, LUFS) and true-peak ceiling
    (dBTP, in the MP3 as decoded) ([loudness] in the config)."""

    target: float = -16.0  # spoken-word podcasts and audiobooks
    ceiling: float = -1.0


@dataclass(frozen=True)
class Pronunciation:
    """How to read one word ([pronounce] in the config): syllables with tone numbers for
    the offline voice ("chong2", 5 for the neutral tone), or a text to say instead."""

    pinyin: tuple[str, ...] = ()
    say: str = ""


SYLLABLE = re.compile(r"[a-z]+[1-5]")  # ü written v, as pypinyin does


@dataclass
class Config:
    remove_patterns: list[str] = field(default_factory=list)  # [cleanup] remove
    pauses: Pauses = field(default_factory=Pauses)
    level: Level = field(default_factory=Level)
    encoding: str | None = None  # [input] encoding: overrides detection
    chapter_pattern: str | None = None  # [chapters] pattern: a regex starting each heading
    pronounce: dict[str, Pronunciation] = field(default_factory=dict)  # [pronounce]


def load_config(
    explicit: Path | None,
    input_path: Path,
    encoding: str | None = None,
    chapter_pattern: str | None = None,
) -> Config:
    """The settings file's values, with the command line's ``encoding`` and
    ``chapter_pattern`` (when given) over them."""
    config = Config()
    if explicit is not None:
        if not explicit.is_file():
            raise AudiobookError(f"{explicit}: no such config file")
        config = _parse(explicit)
    else:
        for candidate in (input_path.parent / CONFIG_NAME, Path.cwd() / CONFIG_NAME):
            if candidate.is_file():
                config = _parse(candidate)
                break
    config.encoding = encoding or config.encoding
    config.chapter_pattern = chapter_pattern or config.chapter_pattern
    return config


def _parse(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AudiobookError(f"{path}: cannot read the config ({exc})") from None
    unknown = sorted(set(data) - set(_TABLES))
    if unknown:
        raise AudiobookError(
            f"{path}: no setting {unknown[0]!r} (the tables are {', '.join(_TABLES)})"
        )
    remove = _table(path, data, "cleanup").get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(p, str) for p in remove):
        raise AudiobookError(f"{path}: [cleanup] remove must be a list of regex strings")
    pauses = _section(path, data, "pauses", Pauses, int, lambda v: 0 <= v <= 10_000)
    level = _section(path, data, "loudness", Level, float, lambda v: -70 <= v <= 0)
    encoding = _string(path, data, "input", "encoding")
    chapter_pattern = _string(path, data, "chapters", "pattern")
    pronounce = {
        word: parse_pronunciation(word, value, f"{path}: [pronounce]")
        for word, value in _table(path, data, "pronounce").items()
    }
    return Config(remove, pauses, level, encoding, chapter_pattern, pronounce)


_TABLES = ("cleanup", "pauses", "loudness", "input", "chapters", "pronounce")


def parse_pronunciation(word: str, value: object, where: str) -> Pronunciation:
    """``"重庆" = "chong2 qing4"`` or ``"GDP" = { say = "国内生产总值" }``."""
    if not word.strip():
        raise AudiobookError(f"{where}: an empty word")
    if isinstance(value, dict) and set(value) == {"say"} and isinstance(value["say"], str):
        if not value["say"].strip():
            raise AudiobookError(f'{where}: {word!r}: say = "" would say nothing')
        return Pronunciation(say=value["say"])
    if isinstance(value, str):
        syllables = tuple(value.lower().replace("ü", "v").split())
        if syllables and all(SYLLABLE.fullmatch(s) for s in syllables):
            return Pronunciation(pinyin=syllables)
    raise AudiobookError(
        f'{where}: {word!r} should be "pin1 yin1" (syllables with tone numbers) '
        f'or {{ say = "text" }}, not {value!r}'
    )


def _table(path: Path, data: dict, name: str) -> dict:
    """``[name]``, which must be a table (``pauses = 5`` is not)."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise AudiobookError(f"{path}: {name} must be a table ([{name}] and keys under it)")
    return table


def _string(path: Path, data: dict, table: str, key: str) -> str | None:
    value = _table(path, data, table).get(key)
    if value is not None and not isinstance(value, str):
        raise AudiobookError(f"{path}: [{table}] {key} must be a string")
    return value


def _section(path: Path, data: dict, name: str, kind: type, number: type, sane) -> object:
    """A [name] table of numbers onto the dataclass ``kind``: unknown keys and values out
    of range are errors, so that a typo is not silently ignored."""
    table = _table(path, data, name)
    known = {f.name for f in fields(kind)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise AudiobookError(f"{path}: [{name}] has no {key!r} (known: {', '.join(known)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not sane(value):
            raise AudiobookError(f"{path}: [{name}] {key} = {value!r} is out of range")
        values[key] = number(value)
    return kind(**values)
