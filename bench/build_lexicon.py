"""Make the shipped lexicon (audiobook/speech/pronounce.toml) by measurement: every word of
bench/data/polyphone_words.tsv (web-novel words with a polyphone, and their readings, as
labelled by reading) that the front end reads wrong on its own, alone or inside a
sentence, goes in; the words it already reads right stay out.

    uv run python bench/build_lexicon.py [--check]

--check only prints what the front end misreads, with the shipped list and without.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ROOT / "bench" / "data" / "polyphone_words.tsv"
LEXICON = ROOT / "audiobook" / "speech" / "pronounce.toml"
sys.path.insert(0, str(ROOT))

from audiobook.speech.engines import frontend  # noqa: E402

# Each word is read alone and in these frames, which put it after and before other words.
FRAMES = ["{}", "他说{}。", "{}这件事，谁也没想到。", "那天夜里，众人都提到了{}。", "在{}里"]

HEADER = """\
# Readings the offline voice's front end gets wrong on its own, shipped with the tool.
# Made by bench/build_lexicon.py from bench/data/polyphone_words.tsv: only the words that
# the front end misread, alone or in a sentence, before this list existed. The front end
# adds them to its word list and uses them where its segmentation finds them. A book's own
# [pronounce] table (audiobook.toml) goes over these.

[pronounce]
"""


def misread(word: str, pinyin: list[str]) -> bool:
    for frame in FRAMES:
        sentence = frame.format(word)
        syllables = frontend.readings(sentence)[0]
        at = frame.index("{}")
        before = len([c for c in sentence[:at] if frontend.HANZI.match(c)])
        if syllables[before : before + len(word)] != pinyin:
            return True
    return False


def main() -> None:
    with WORDS.open(encoding="utf-8") as handle:
        rows = [(r["word"], r["pinyin"].split()) for r in csv.DictReader(handle, delimiter="\t")]
    shipped_readings = frontend._shipped_readings
    frontend._shipped_readings = lambda: {}  # first the front end on its own
    wrong_without = [(w, p) for w, p in rows if misread(w, p)]
    frontend._shipped_readings = shipped_readings
    shipped = shipped_readings()
    wrong_with = [w for w, p in rows if misread(w, p)]
    print(f"{len(rows)} words; misread on its own: {len(wrong_without)}; "
          f"with the shipped list ({len(shipped)} words): {len(wrong_with)}")  # fmt: skip
    if "--check" in sys.argv:
        print("still misread: " + " ".join(wrong_with))
        return
    body = "".join(f'"{w}" = "{" ".join(p)}"\n' for w, p in sorted(wrong_without))
    LEXICON.write_text(HEADER + body, "utf-8")
    print(f"wrote {len(wrong_without)} words to {LEXICON.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
