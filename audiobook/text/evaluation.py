"""Scoring the script stage against hand-labelled quotes (tests/data: seeds' gold.json and
gold/*.json): is every quote found, with the right kind and, for speech, the right
speaker? Used by the tests and by bench/eval_dialogue.py."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from audiobook.model import Chapter
from audiobook.text.convert import ScriptConverter
from audiobook.text.dialogue import split_quotes
from audiobook.text.normalize import normalize_paragraph

_TO_SIMPLIFIED = ScriptConverter(traditional=True)
_NOT_TEXT = re.compile(r"[^\w]")


@dataclass(frozen=True)
class Quote:
    text: str
    kind: str  # "speech" or "emphasis"
    speaker: str | None
    confidence: float | None = None
    cue: str | None = None


@dataclass
class Score:
    gold: int = 0
    found: int = 0
    kind_right: int = 0
    speech: int = 0  # gold speech quotes found
    speaker_right: int = 0
    misses: list[str] = field(default_factory=list)  # descriptions of what went wrong
    judged: list[tuple[float, str, bool]] = field(default_factory=list)  # speech quotes:
    # (confidence, cue, speaker right)

    def add(self, other: Score) -> None:
        self.gold += other.gold
        self.found += other.found
        self.kind_right += other.kind_right
        self.speech += other.speech
        self.speaker_right += other.speaker_right
        self.misses += other.misses
        self.judged += other.judged


def chapter_quotes(chapter: Chapter) -> list[Quote]:
    """Every top-level quote of a chapter in reading order: speech segments, and quoted
    terms found inside narration segments."""
    quotes = []
    for segment in chapter.segments:
        if segment.kind == "speech":
            quotes.append(
                Quote(segment.text, "speech", segment.speaker, segment.confidence, segment.cue)
            )
            continue
        pieces, _ = split_quotes(segment.text)
        quotes += [Quote(p.text, "emphasis", None) for p in pieces if p.quoted]
    return quotes


def key(text: str) -> str:
    return _NOT_TEXT.sub("", _TO_SIMPLIFIED.to_simplified(normalize_paragraph(text)))


def same_person(found: str | None, gold: str | None) -> bool:
    """Equal, or one name inside the other (老栓 / 华老栓, 太爷 / 赵太爷): labellers and the
    tool may pick different forms of the same name."""
    if found is None or gold is None:
        return found == gold
    return found == gold or (min(len(found), len(gold)) >= 2 and (found in gold or gold in found))


def score(quotes: list[Quote], gold: list[dict], lookahead: int = 6) -> Score:
    """Aligns gold quotes with found ones in order, by their opening words."""
    result = Score(gold=len(gold))
    j = 0
    for item in gold:
        want = key(item["starts"])
        match = None
        for k in range(j, min(j + lookahead, len(quotes))):
            have = key(quotes[k].text)
            if want and (have.startswith(want) or (have and want.startswith(have))):
                match = k
                break
        if match is None:
            result.misses.append(f"not found: {item['starts']}")
            continue
        j = match + 1
        found = quotes[match]
        result.found += 1
        if found.kind == item["kind"]:
            result.kind_right += 1
        else:
            result.misses.append(f"kind {found.kind} for {item['kind']}: {item['starts']}")
        if item["kind"] == "speech":
            result.speech += 1
            speaker = _TO_SIMPLIFIED.to_simplified(item.get("speaker") or "") or None
            right = same_person(found.speaker, speaker)
            if found.kind == "speech":
                result.judged.append((found.confidence or 0.0, found.cue or "none", right))
            if right:
                result.speaker_right += 1
            else:
                result.misses.append(f"speaker {found.speaker} for {speaker}: {item['starts']}")
    return result


@dataclass(frozen=True)
class GoldSet:
    name: str
    source: Path
    chapters: list[tuple[str | None, list[dict]]]  # (heading, or None for all; quotes)
    seed: bool  # one of the two chapters the project was made from


def gold_sets(data: Path, heldout: bool = False) -> list[GoldSet]:
    """The labelled quotes under ``data`` (tests/data): seeds/gold.json and gold/*.json, or
    with ``heldout`` the held-out part (heldout/*.json), scored only to judge, never to tune."""
    sets = []
    if not heldout:
        seeds = json.loads((data / "seeds" / "gold.json").read_text("utf-8"))
        for name, entry in seeds["files"].items():
            sets.append(GoldSet(name, data / "seeds" / name, [(None, entry["quotes"])], True))
    for path in sorted((data / ("heldout" if heldout else "gold")).glob("*.json")):
        entry = json.loads(path.read_text("utf-8"))
        chapters = [(c["title"], c["quotes"]) for c in entry["chapters"]]
        sets.append(GoldSet(path.stem, data / entry["source"], chapters, False))
    return sets


def evaluate(gold: GoldSet) -> Score:
    """The script stage run on the gold set's source, scored chapter by chapter."""
    from audiobook.text.reading import load
    from audiobook.text.script import make_script

    book = make_script(load(gold.source), gold.source.stem).book
    total = Score()
    for title, quotes in gold.chapters:
        if title is None:
            found = [q for c in book.chapters for q in chapter_quotes(c)]
        else:
            chapter = next(c for c in book.chapters if title in (c.heading, c.title))
            found = chapter_quotes(chapter)
        total.add(score(found, quotes))
    return total
