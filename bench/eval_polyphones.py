"""How often the offline voice's front end reads a polyphone right, on hand-labelled
sentences (tests/data/gold/polyphones.tsv: one polyphone per web-novel sentence, its
reading in context, labelled by reading before the front end was tuned).

    uv run python bench/eval_polyphones.py [-v] [--heldout | --second | --third]

Scores the dev rows (two in three); --heldout the rows kept aside, which were scored once
(session 6) and then tuned on; --second the second set (polyphones-2.tsv, other
sentences and words, written after the first was spent), scored once (session 6) and
seen since; --third the third set (polyphones-3.tsv, written by a helper who saw neither
the program nor the other sets, after the second was seen): kept aside, only to judge. The
reading compared is the dictionary's, before tone sandhi. -v lists every miss.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "gold" / "polyphones.tsv"
SECOND = ROOT / "tests" / "data" / "gold" / "polyphones-2.tsv"
THIRD = ROOT / "tests" / "data" / "gold" / "polyphones-3.tsv"
sys.path.insert(0, str(ROOT))

from audiobook.speech.engines.frontend import readings  # noqa: E402
from audiobook.text.hanzi import HANZI  # noqa: E402


def reading_at(sentence: str, index: int) -> str:
    """The front end's syllable for the hanzi at ``index`` of ``sentence``."""
    syllables, chars, _ = readings(sentence)
    position = len(HANZI.findall(sentence[:index]))
    hanzi = [k for k, ch in enumerate(chars) if ch]
    if len(hanzi) != len(HANZI.findall(sentence)) or chars[hanzi[position]] != sentence[index]:
        return "?"
    return syllables[hanzi[position]]


def main() -> None:
    verbose = "-v" in sys.argv
    split = "heldout" if "--heldout" in sys.argv else "dev"
    gold = GOLD
    if "--second" in sys.argv:
        split, gold = "heldout2", SECOND
    if "--third" in sys.argv:
        split, gold = "heldout3", THIRD
    with gold.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["split"] == split]
    started = time.perf_counter()
    misses: list[tuple[dict, str]] = []
    wrong_by_char: Counter[str] = Counter()
    for row in rows:
        got = reading_at(row["sentence"], int(row["index"]))
        if got != row["pinyin"]:
            misses.append((row, got))
            wrong_by_char[row["char"]] += 1
    took = time.perf_counter() - started
    right = len(rows) - len(misses)
    print(f"{split}: {right}/{len(rows)} polyphones read right, {right / len(rows):.1%}")
    print(f"  {len(rows) / took:.0f} sentences/s")
    print("  most missed: " + ", ".join(f"{c} {n}" for c, n in wrong_by_char.most_common(12)))
    if verbose:
        for row, got in misses:
            print(f"  {row['id']:>4} {row['char']} {got:>7} (gold {row['pinyin']:>7})  "
                  f"{row['note']:<12} {row['sentence']}")  # fmt: skip


if __name__ == "__main__":
    main()
