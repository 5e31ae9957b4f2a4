"""Dialogue and speaker accuracy of `audiobook script` on the hand-labelled gold sets.

    uv run python bench/eval_dialogue.py [-v] [--rules] [--heldout]

Prints, per file and in total: quotes labelled, found, right kind, and right speaker
among speech quotes; accuracy by confidence band (is the confidence honest?), and with
--rules by the cue that decided; then the analysis speed of the whole of 鲁迅小说集.
--heldout scores the held-out part (tests/data/heldout) instead: only to judge, at the end.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))

from audiobook.text.evaluation import Score, evaluate, gold_sets  # noqa: E402
from audiobook.text.reading import load  # noqa: E402
from audiobook.text.script import make_script  # noqa: E402

BANDS = [(0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.0, 0.5)]


def main() -> None:
    verbose = "-v" in sys.argv
    heldout = "--heldout" in sys.argv
    overall = Score()
    print(f"{'gold set':34} quotes found  kind  speech speaker")
    for gold in gold_sets(DATA, heldout=heldout):
        result = evaluate(gold)
        overall.add(result)
        print(
            f"{gold.name:34} {result.gold:6} {result.found:5} {result.kind_right:5} "
            f"{result.speech:6} {result.speaker_right:7}  "
            f"{result.speaker_right / max(result.speech, 1):.1%}"
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
    judged = overall.judged
    print("confidence band   quotes  share   right")
    for low, high in BANDS:
        band = [right for confidence, _, right in judged if low <= confidence < high]
        print(
            f"[{low:.1f}, {min(high, 1):.1f}{']' if high > 1 else ')'}       {len(band):6} "
            f"{len(band) / max(len(judged), 1):6.1%} {sum(band) / max(len(band), 1):7.1%}"
        )
    if "--rules" in sys.argv:
        by_cue: dict[str, list[bool]] = defaultdict(list)
        for confidence, cue, right in judged:  # the confidence tells alone / agreed / rival
            by_cue[f"{cue} @{confidence:.2f}"].append(right)
        print("deciding cue @confidence         quotes   right")
        for cue, rights in sorted(by_cue.items(), key=lambda item: -len(item[1])):
            print(f"{cue:32} {len(rights):7} {sum(rights) / len(rights):7.1%}")
    if heldout:
        return
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
