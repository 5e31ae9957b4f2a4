"""Dialogue and speaker accuracy of `audiobook script` on the hand-labelled gold sets.

    uv run python bench/eval_dialogue.py [-v]

Prints, per file and in total: quotes labelled, found, right kind, and right speaker
among speech quotes, plus the analysis speed of the whole of 鲁迅小说集.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))

from audiobook.text.evaluation import Score, evaluate, gold_sets  # noqa: E402
from audiobook.text.reading import load  # noqa: E402
from audiobook.text.script import make_script  # noqa: E402


def main() -> None:
    verbose = "-v" in sys.argv
    overall = Score()
    print(f"{'gold set':34} quotes found  kind  speech speaker")
    for gold in gold_sets(DATA):
        name = gold.name
        result = evaluate(gold)
        overall.add(result)
        print(
            f"{name:34} {result.gold:6} {result.found:5} {result.kind_right:5} "
            f"{result.speech:6} {result.speaker_right:7}"
        )
        if verbose:
            for miss in result.misses:
                print("    ", miss)
    print(
        f"{'total':34} {overall.gold:6} {overall.found:5} {overall.kind_right:5} "
        f"{overall.speech:6} {overall.speaker_right:7}"
    )
    print(
        f"kind accuracy {overall.kind_right / max(overall.found, 1):.1%}, "
        f"speaker accuracy {overall.speaker_right / max(overall.speech, 1):.1%}"
    )

    luxun = DATA / "鲁迅小说集.txt"
    started = time.perf_counter()
    book = make_script(load(luxun), luxun.stem).book
    seconds = time.perf_counter() - started
    chars = sum(c.characters for c in book.chapters)
    print(
        f"analysis of {luxun.name}: {chars} characters in {seconds:.2f} s "
        f"({chars / seconds:,.0f} characters/s)"
    )


if __name__ == "__main__":
    main()
