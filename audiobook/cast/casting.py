"""Casting: a voice for the narrator and for every character, kept in an editable file.

The draw follows ``voices/casting.toml``: the narrator first, then the characters who speak
most, each with a voice of their gender that no one else in the cast has (the pool's
voices again with rate and pitch offsets when it runs out), then minor characters, who
share the pool. The cast is saved next to the book's chapters as ``cast-<engine>.toml``;
a rerun reads it back, keeps what the user changed and only adds newcomers.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from audiobook.cast.voices import (
    Voice,
    casting_preset,
    catalogue,
    current_name,
    find_voice,
    parse_offset,
)
from audiobook.errors import AudiobookError
from audiobook.files import tomllib, write_atomic
from audiobook.model import Book, Segment

NARRATOR, OTHERS = "narrator", "others"


@dataclass
class Role:
    """One cast entry: a catalogue voice plus the offsets the cast adds to it."""

    voice: str
    rate: int = 0
    pitch: int = 0
    gender: str = "unknown"  # the character's, as read from the text
    lines: int = 0

    def resolve(self, engine: str, where: str) -> Voice:
        return find_voice(engine, self.voice, where).shifted(self.rate, self.pitch)


@dataclass
class Cast:
    engine: str
    narrator: Role
    others: Role  # speech whose speaker is not known
    characters: dict[str, Role] = field(default_factory=dict)
    path: Path | None = None

    def voices(self) -> dict[str | None, Voice]:
        """Speaker -> voice; None is the narrator. Raises on a voice the engine lacks."""
        where = str(self.path.name if self.path else "cast")
        table: dict[str | None, Voice] = {
            None: self.narrator.resolve(self.engine, f"{where}: narrator"),
            OTHERS: self.others.resolve(self.engine, f"{where}: others"),
        }
        for name, role in self.characters.items():
            table[name] = role.resolve(self.engine, f"{where}: {name}")
        return table


def heard_as(
    voices: dict[str | None, Voice], single_voice: bool = False, rate: int = 0
) -> dict[str | None, Voice]:
    """The cast as the listener asked to hear it: every line in the narrator's voice, and
    every voice ``rate`` percent faster (or slower)."""
    narrator = voices[None]
    return {
        name: (narrator if single_voice else v).shifted(rate=rate) for name, v in voices.items()
    }


def voice_for(voices: dict[str | None, Voice], segment: Segment | None) -> Voice:
    """The voice that reads ``segment`` (None: the chapter heading, read by the narrator)."""
    if segment is None or segment.kind != "speech":
        return voices[None]
    return voices.get(segment.speaker, voices[OTHERS]) if segment.speaker else voices[OTHERS]


def cast_path(book_dir: Path, engine: str) -> Path:
    return book_dir / f"cast-{engine}.toml"


def speaking_lines(book: Book) -> Counter[str]:
    return Counter(
        s.speaker for c in book.chapters for s in c.segments if s.kind == "speech" and s.speaker
    )


def draw_cast(book: Book, engine: str, existing: Cast | None = None) -> Cast:
    """The cast for ``book``: ``existing`` entries are kept as they are."""
    preset = casting_preset(engine)
    voices = catalogue(engine)
    lines = speaking_lines(book)
    genders = {c.name: c.gender for c in book.characters}
    if existing is None:
        existing = Cast(
            engine,
            narrator=Role(preset["narrator"]),
            others=Role(preset["neutral"][0]),
        )
    cast = Cast(engine, existing.narrator, existing.others, dict(existing.characters))
    for name, role in cast.characters.items():
        role.lines = lines.get(name, 0)

    def sound(role: Role) -> tuple:
        known = voices.get(current_name(engine, role.voice))
        return known.shifted(role.rate, role.pitch).sound if known else ()

    taken = {sound(cast.narrator)} | {sound(r) for r in cast.characters.values()}
    offsets = [
        (parse_offset(r, "%", "casting"), parse_offset(p, "Hz", "casting"))
        for r, p in preset["offsets"]
    ]
    order = {name: i for i, name in enumerate(lines)}  # first to speak first, on ties
    ranked = sorted(lines, key=lambda n: (-lines[n], order[n]))
    for rank, name in enumerate(ranked):
        if name in cast.characters:
            continue
        gender = genders.get(name, "unknown")
        pool = preset[gender] if gender in ("male", "female") else preset["neutral"]
        role = None
        if rank < preset["main_characters"]:
            role = _unused(pool, offsets, voices, taken)
        if role is None:  # a minor character, or no distinct voice is left
            role = Role(pool[_stable_index(name, len(pool))])
        role.gender, role.lines = gender, lines[name]
        taken.add(sound(role))
        cast.characters[name] = role
    return cast


def _unused(
    pool: list[str], offsets: list[tuple[int, int]], voices: dict[str, Voice], taken: set
) -> Role | None:
    for rate, pitch in [(0, 0), *offsets]:
        for name in pool:
            if voices[name].shifted(rate, pitch).sound not in taken:
                return Role(name, rate, pitch)
    return None


def _stable_index(name: str, size: int) -> int:
    """The same minor character gets the same pool voice in every run and every book."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big") % size


# --- the cast file -------------------------------------------------------------------

_HEADER = """\
The cast of {book} for the {engine} engine: who speaks with which voice.
Edit freely: voice is a name from `audiobook voices --engine {engine}`; rate ("+10%" is
faster) and pitch ("-5Hz" is lower) are added to that voice. Your changes are kept; new
characters are added at the end. `audiobook cast INPUT --reset` draws the cast again.
gender and lines are what the text says of a character, for your information."""


def load_cast(path: Path, engine: str) -> Cast | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AudiobookError(f"{path}: not a valid TOML file ({exc})") from None

    def role(entry: object, where: str) -> Role:
        if not isinstance(entry, dict) or not isinstance(entry.get("voice"), str):
            raise AudiobookError(f'{path}: {where} needs a voice = "..." line')
        lines = entry.get("lines", 0)
        if isinstance(lines, bool) or not isinstance(lines, int):
            raise AudiobookError(f"{path}: {where}: lines = {lines!r} should be a whole number")
        return Role(
            voice=entry["voice"],
            rate=parse_offset(entry.get("rate", "+0%"), "%", f"{path}: {where}: rate"),
            pitch=parse_offset(entry.get("pitch", "+0Hz"), "Hz", f"{path}: {where}: pitch"),
            gender=str(entry.get("gender", "unknown")),
            lines=lines,
        )

    preset = casting_preset(engine)
    characters = data.get("characters", {})
    if not isinstance(characters, dict):
        raise AudiobookError(f"{path}: characters must be a table ([characters.NAME] entries)")
    cast = Cast(
        engine,
        narrator=role(data.get(NARRATOR, {"voice": preset["narrator"]}), NARRATOR),
        others=role(data.get(OTHERS, {"voice": preset["neutral"][0]}), OTHERS),
        characters={str(name): role(entry, name) for name, entry in characters.items()},
        path=path,
    )
    cast.voices()  # an unknown voice is an error now, before anything is synthesized
    return cast


def save_cast(path: Path, cast: Cast, book_name: str) -> None:
    """Write ``cast`` to ``path``, keeping the user's comments and layout if it exists."""
    if path.is_file():
        document = tomlkit.parse(path.read_text("utf-8"))
    else:
        document = tomlkit.document()
        for line in _HEADER.format(book=f"《{book_name}》", engine=cast.engine).splitlines():
            document.add(tomlkit.comment(line))
        document.add("engine", cast.engine)
    _put_role(document, NARRATOR, cast.narrator, character=False)
    if OTHERS not in document:
        document.add(tomlkit.comment("others: speech whose speaker is not known"))
    _put_role(document, OTHERS, cast.others, character=False)
    characters = document.setdefault("characters", tomlkit.table(is_super_table=True))
    for name, role in cast.characters.items():
        _put_role(characters, name, role, character=True)
    write_atomic(path, tomlkit.dumps(document))


def _put_role(container, name: str, role: Role, character: bool) -> None:
    if name in container:
        entry = container[name]
        if character:
            entry["lines"] = role.lines  # the only field the program keeps up to date
        return
    entry = tomlkit.table()
    entry["voice"] = role.voice
    entry["rate"] = f"{role.rate:+d}%"
    entry["pitch"] = f"{role.pitch:+d}Hz"
    if character:
        entry["gender"] = role.gender
        entry["lines"] = role.lines
    container[name] = entry


def prepare_cast(book: Book, book_dir: Path, engine: str, reset: bool = False) -> Cast:
    """The book's cast for ``engine``: read from its file, completed, saved back."""
    path = cast_path(book_dir, engine)
    existing = None if reset else load_cast(path, engine)
    if reset:
        path.unlink(missing_ok=True)
    cast = draw_cast(book, engine, existing)
    cast.path = path
    save_cast(path, cast, book.name)
    return cast
