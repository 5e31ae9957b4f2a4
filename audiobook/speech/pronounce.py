"""Pronunciations the reader controls: the text each engine is given for a line.

A lexicon maps words to a reading ("重庆" = "chong2 qing4") or to a text to say instead
("GDP" = { say = "国内生产总值" }): the book's own ``[pronounce]`` table. (The readings
shipped for the offline voice, ``pronounce.toml``, are words of its front end instead.)
The words are found in each line, longest first, and each engine gets what it can use:

- the offline voice gets the reading itself, written into the text as
  ``⟦重庆|chong2 qing4⟧``, which its front end reads as one word with those syllables;
- the online voices take plain text only, so a reading becomes homophones (characters
  with that one reading, the commonest first: 重逢 zhong4 feng2 -> 仲逢), or stays as it
  is, with a warning, when a syllable has none.

Because this spoken form is what the cache key is made of, changing an entry
re-synthesizes exactly the lines that contain its word. Subtitles, pages and the script
keep the original text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from audiobook.config import Pronunciation, parse_pronunciation
from audiobook.errors import AudiobookError
from audiobook.files import tomllib
from audiobook.text.hanzi import HANZI, HANZI_RANGES

DEFAULTS = Path(__file__).resolve().parent / "pronounce.toml"
OPEN, SEPARATOR, CLOSE = "⟦", "|", "⟧"
HANZI_ONLY = re.compile(f"[{HANZI_RANGES}]+")
SEP = re.escape(SEPARATOR)
ANNOTATION = re.compile(f"{OPEN}([^{SEP}{CLOSE}]*){SEP}([^{CLOSE}]*){CLOSE}")  # ⟦word|pin1 yin1⟧


@cache
def default_readings() -> dict[str, list[str]]:
    """The shipped readings: word -> syllables."""
    data = tomllib.loads(DEFAULTS.read_text("utf-8"))
    entries = {w: parse_pronunciation(w, v, DEFAULTS.name) for w, v in data["pronounce"].items()}
    return {word: list(entry.pinyin) for word, entry in entries.items() if entry.pinyin}


def defaults_version() -> str:
    """Part of the offline voice's cache keys: a new shipped list reads words anew."""
    return hashlib.sha256(DEFAULTS.read_bytes()).hexdigest()[:12]


class Words:
    """A table of words, found in a text longest first."""

    def __init__(self, entries: dict[str, Pronunciation]) -> None:
        self.entries = entries
        self.longest = max(map(len, entries), default=0)
        self.firsts = {word[0] for word in entries}

    def matches(self, text: str) -> Iterator[tuple[int, str]]:
        """(start, word) of the entries in ``text``, left to right, the longest word at
        each place; at most ``longest`` lookups a character: linear in the text."""
        at = 0
        while at < len(text):
            if text[at] not in self.firsts:
                at += 1
                continue
            for size in range(min(self.longest, len(text) - at), 0, -1):
                if text[at : at + size] in self.entries:
                    yield at, text[at : at + size]
                    at += size
                    break
            else:
                at += 1


class Lexicon:
    """The book's own readings. (The shipped ones are words of the offline voice's front
    end, which uses them only where its word segmentation finds them.)"""

    def __init__(self, own: dict[str, Pronunciation] | None = None) -> None:
        self.own = dict(own or {})
        for word, entry in self.own.items():
            hanzi = len(HANZI.findall(word))
            if entry.pinyin and hanzi == len(word) and hanzi != len(entry.pinyin):
                raise AudiobookError(
                    f"[pronounce] {word!r} has {hanzi} characters but {len(entry.pinyin)} syllables"
                )
        self.words = Words(self.own)

    def spoken(self, text: str, engine: str) -> str:
        """``text`` as ``engine`` should be given it."""
        pieces, done = [], 0
        for start, word in self.words.matches(text):
            entry = self.own[word]
            pieces.append(text[done:start])
            if entry.say:
                pieces.append(entry.say)
            elif engine == "local":
                pieces.append(f"{OPEN}{word}{SEPARATOR}{' '.join(entry.pinyin)}{CLOSE}")
            else:
                pieces.append(homophones(word, entry.pinyin) or word)
            done = start + len(word)
        return "".join(pieces) + text[done:] if pieces else text

    def unsayable_online(self, text: str) -> list[str]:
        """Words of ``text`` with a reading the online voices cannot be given."""
        found = {word for _, word in self.words.matches(text)}
        return sorted(
            w for w in found if self.own[w].pinyin and not homophones(w, self.own[w].pinyin)
        )


def plain(text: str) -> str:
    """The spoken form of the offline voice back to the words it came from."""
    return ANNOTATION.sub(r"\1", text)


@cache  # asked again for every line that holds the word
def homophones(word: str, pinyin: tuple[str, ...]) -> str | None:
    """``word`` written so that the online voices read it as ``pinyin``: each character
    whose dictionary reading in this word already is that syllable is kept, the others
    become the commonest character with that one reading (重逢 zhong4 feng2 -> 仲逢).
    None when a syllable has no such character."""
    from pypinyin import Style, lazy_pinyin

    if len(word) != len(pinyin) or not HANZI_ONLY.fullmatch(word):
        return None
    usual = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
    out = []
    for char, syllable, read in zip(word, pinyin, usual, strict=True):
        if read == syllable:
            out.append(char)
        elif syllable in _commonest_reading():
            out.append(_commonest_reading()[syllable])
        else:
            return None
    return "".join(out)


@cache
def _commonest_reading() -> dict[str, str]:
    """Syllable -> the commonest character that has that one reading (pypinyin lists every
    reading it knows of, rare ones too). How common a character is: the summed frequencies
    of the words of jieba's dictionary that hold it."""
    import logging
    from collections import Counter

    import jieba
    from pypinyin import Style, pinyin

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    counts: Counter[str] = Counter()
    for word, frequency in jieba.dt.FREQ.items():
        for char in set(HANZI.findall(word)):
            counts[char] += frequency
    best: dict[str, str] = {}
    for char, _ in counts.most_common():
        [readings] = pinyin(char, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)
        if len(readings) == 1:
            best.setdefault(readings[0], char)
    return best
