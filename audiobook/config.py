"""User settings from ``audiobook.toml``: next to the input file, in the current folder,
or given with ``--config``."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from audiobook.errors import AudiobookError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = "audiobook.toml"


@dataclass
class Config:
    remove_patterns: list[str] = field(default_factory=list)  # [cleanup] remove


def load_config(explicit: Path | None, input_path: Path) -> Config:
    if explicit is not None:
        if not explicit.is_file():
            raise AudiobookError(f"{explicit}: no such config file")
        return _parse(explicit)
    for candidate in (input_path.parent / CONFIG_NAME, Path.cwd() / CONFIG_NAME):
        if candidate.is_file():
            return _parse(candidate)
    return Config()


def _parse(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AudiobookError(f"{path}: cannot read the config ({exc})") from None
    remove = data.get("cleanup", {}).get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(p, str) for p in remove):
        raise AudiobookError(f"{path}: [cleanup] remove must be a list of regex strings")
    return Config(remove_patterns=remove)
