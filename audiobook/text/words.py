"""The word lists in ``words.toml`` (data the text stage reads people by), loaded once."""

from __future__ import annotations

from pathlib import Path

from audiobook.files import tomllib

_WORDS = tomllib.loads((Path(__file__).parent / "words.toml").read_text("utf-8"))

SPEECH_VERBS: tuple[str, ...] = tuple(_WORDS["speech_verbs"])
FEMALE_WORDS: tuple[str, ...] = tuple(_WORDS["female_words"])
MALE_WORDS: tuple[str, ...] = tuple(_WORDS["male_words"])
TITLES: tuple[str, ...] = tuple(_WORDS["titles"])
ROLE_ENDINGS: tuple[str, ...] = tuple(_WORDS["role_endings"])
KIN_ENDINGS: frozenset[str] = frozenset(_WORDS["kin_endings"])
PLACE_ENDINGS: tuple[str, ...] = tuple(_WORDS["place_endings"])
SURNAMES: frozenset[str] = frozenset(_WORDS["surnames"].replace("\n", ""))
FEMALE_NAME_CHARS: frozenset[str] = frozenset(_WORDS["female_name_chars"])
MALE_NAME_CHARS: frozenset[str] = frozenset(_WORDS["male_name_chars"])
NOT_CHARACTERS: frozenset[str] = frozenset(_WORDS["not_characters"])
ADDRESS_FORMS: tuple[str, ...] = tuple(_WORDS["address_forms"])
