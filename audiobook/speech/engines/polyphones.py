"""Polyphones read from the words around them: the readings pypinyin, which reads word by
word, cannot give (its phrase dictionary and jieba's words settle the rest)."""

from __future__ import annotations

from pypinyin.constants import PHRASES_DICT

# Polyphones whose reading the words around them decide, where pypinyin, reading word by
# word, cannot: 得 "must" after its subject (咱们得走) and 得 linking a verb to how it is
# done (快得吓人: de5, not de2 "obtain"), 着 "hit, catch" before 了 (着了魔,
# 着了凉), and 还 "give back" ending a clause (你什么时候还？).
_DEI_AFTER = set("我你他她它咱们家就还也都总可非必须只")
_DE_BEFORE = set("了到很不出住上下起过着罪意失手势逞")


def _unlisted(chars: list[str], bounds: list[str | None], i: int) -> bool:
    """Whether the word holding syllable ``i`` is missing from pypinyin's phrases (so that
    it was read character by character)."""
    start = i
    while start and bounds[start] is None:
        start -= 1
    stop = i + 1
    while stop < len(chars) and bounds[stop] is None:
        stop += 1
    return "".join(chars[start:stop]) not in PHRASES_DICT


def in_context(syllables: list[str], chars: list[str], bounds: list[str | None]) -> list[str]:
    out = list(syllables)
    n = len(out)
    for i, char in enumerate(chars):
        alone = bounds[i] is not None and (i + 1 == n or bounds[i + 1] is not None)
        if char == "得" and out[i] == "de2" and bounds[i] is None and _unlisted(chars, bounds, i):
            out[i] = "de5"  # 快得 (jieba's word, not pypinyin's): 快得吓人
        if not alone:
            continue
        after = chars[i + 1] if i + 1 < n and bounds[i + 1] != "#3" else ""
        before = chars[i - 1] if i and bounds[i] != "#3" else ""
        if char == "得" and before in _DEI_AFTER and after and after not in _DE_BEFORE:
            out[i] = "dei3"
        elif char == "得" and before and after and out[i] == "de2":
            out[i] = "de5"  # 快得吓人, 说得对: the complement marker, not "obtain"
        elif char == "着" and after == "了":
            out[i] = "zhao2"
        elif char == "还" and before and not after:
            out[i] = "huan2"
    return out
