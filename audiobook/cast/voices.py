"""Voices as values, and the catalogues of them in ``voices/*.toml``.

A voice is what an engine needs to speak (its engine, the engine's voice id, rate, pitch
and volume offsets) plus what casting needs to choose it (gender, locale, style). The
catalogue files are data: adding a voice or a derived variant needs no code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from audiobook.errors import AudiobookError
from audiobook.files import tomllib

VOICES_DIR = Path(__file__).resolve().parent / "data"
GENDERS = ("male", "female", "neutral")


@dataclass(frozen=True)
class Voice:
    engine: str  # "edge" or "local"
    id: str  # a catalogue name: "zh-CN-XiaoxiaoNeural", "baker", "man-deep"
    gender: str = "neutral"
    locale: str = "zh-CN"
    style: str = ""
    rate: int = 0  # percent: +10 speaks 10 % faster
    pitch: int = 0  # Hz up (+) or down (-)
    volume: int = 0  # percent
    # How the engine makes this voice from its own speaker (the offline engine's model
    # pitch, formants, tilt...: see local.toml), as sorted (name, value) pairs.
    timbre: tuple[tuple[str, float], ...] = ()

    @property
    def rate_text(self) -> str:
        return f"{self.rate:+d}%"

    @property
    def pitch_text(self) -> str:
        return f"{self.pitch:+d}Hz"

    @property
    def volume_text(self) -> str:
        return f"{self.volume:+d}%"

    @property
    def sound(self) -> tuple:
        """What the audio depends on: two voices with equal sounds are heard alike."""
        return (self.engine, self.id, self.rate, self.pitch, self.volume, *self.timbre)

    def shifted(self, rate: int = 0, pitch: int = 0) -> Voice:
        return replace(self, rate=self.rate + rate, pitch=self.pitch + pitch)

    @property
    def offsets_text(self) -> str:
        """ "-6% -36Hz", leaving out offsets that are zero."""
        pairs = ((self.rate_text, self.rate), (self.pitch_text, self.pitch))
        return " ".join(text for text, value in pairs if value)

    def describe(self) -> str:
        return f"{self.id} {self.offsets_text}".strip()


def parse_offset(text: object, unit: str, where: str) -> int:
    """ "+10%" -> 10, "-5Hz" -> -5 (the signs and units edge-tts uses)."""
    found = re.fullmatch(rf"\s*([+-]?\d+)\s*{re.escape(unit)}\s*", str(text), re.IGNORECASE)
    if not found:
        raise AudiobookError(f"{where}: {text!r} should look like +10{unit} or -5{unit}")
    return int(found[1])


@cache
def _entries(engine: str) -> dict[str, dict]:
    """The ``[voice.NAME]`` tables of an engine's catalogue file, read once."""
    path = VOICES_DIR / f"{engine}.toml"
    try:
        return tomllib.loads(path.read_text("utf-8")).get("voice", {})
    except FileNotFoundError:
        raise AudiobookError(f"{path}: voice catalogue missing") from None


@cache
def catalogue(engine: str) -> dict[str, Voice]:
    """The named voices of an engine, in the order of its catalogue file."""
    voices: dict[str, Voice] = {}
    for name, entry in _entries(engine).items():
        where = f"{engine}.toml: {name}"
        voices[name] = Voice(
            engine=engine,
            id=name,
            gender=entry.get("gender", "neutral"),
            locale=entry.get("locale", "zh-CN"),
            style=entry.get("style", ""),
            rate=parse_offset(entry.get("rate", "+0%"), "%", where),
            pitch=parse_offset(entry.get("pitch", "+0Hz"), "Hz", where),
            timbre=_timbre(entry.get("timbre", {}), where),
        )
    return voices


def _timbre(table: object, where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(table, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in table.values()
    ):
        raise AudiobookError(f"{where}: timbre should be a table of numbers")
    return tuple(sorted((str(k), float(v)) for k, v in table.items()))


@cache
def _former_names(engine: str) -> dict[str, str]:
    return {old: name for name, e in _entries(engine).items() for old in e.get("formerly", [])}


def current_name(engine: str, name: str) -> str:
    """A voice's name now: the names voices had before (``formerly = [...]``) still stand
    for them, so that a cast file written by an older version still reads."""
    return _former_names(engine).get(name, name)


def find_voice(engine: str, name: str, where: str) -> Voice:
    voices = catalogue(engine)
    name = current_name(engine, name)
    if name not in voices:
        raise AudiobookError(
            f"{where}: unknown {engine} voice {name!r} (see: audiobook voices --engine {engine})"
        )
    return voices[name]


@cache
def casting_preset(engine: str) -> dict:
    path = VOICES_DIR / "casting.toml"
    presets = tomllib.loads(path.read_text("utf-8"))
    if engine not in presets:
        raise AudiobookError(f"{path}: no casting preset for the {engine} engine")
    return presets[engine]
