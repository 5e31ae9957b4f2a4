"""Who says each quote: every speech segment attributed to one of the characters
(``characters`` finds them) by the cues a reader uses.

Cues, strongest first: a tag before the quote (X…道：“…”, X点了点头，“…”), a tag after it
(“…”X加重了语气说道。), then, for a bare quote, the character the narration just spoke of,
or the other party of a two-person exchange. A name at the very start of a quote
(“李毅，…”) is the person addressed, never the speaker. 他/她 are resolved to the most
recent character of that gender; 我 is the first-person narrator.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from audiobook.model import Chapter, Character, Segment
from audiobook.text.characters import (
    CLAUSE_END,
    LEADING_WORDS,
    NARRATOR,
    discover_characters,
    first_clause,
    last_clause,
    neighbour,
)
from audiobook.text.words import SPEECH_VERBS

_VERB = re.compile("|".join(sorted(SPEECH_VERBS, key=len, reverse=True)))
_PRONOUNS = {"他": "male", "她": "female", "伊": "female"}  # 伊: she, in older prose
# how a reply opens (好的，…) and how a speaker carries on after a long line (另外啊，…)
_REPLY = re.compile(
    r"^(?:好的?|是的?|嗯+|对的?|行|知道了?|明白了?|可以|不|没有|谢谢|哦|噢|唔|啊|哎)[，,。！!…、]"
)
SHORT_LINE = 45  # characters: a line this short expects an answer
MEMORY = 200  # names kept in mind: far more than any pronoun reaches back, and bounded
_CARRY_ON_OPENERS = ("另外", "还有", "而且", "再说", "所以", "因此", "总之", "怎么", "至于")
_PREPOSITIONS = set("和跟与向对给把被让叫朝替同问望找")


@dataclass
class _Context:
    """What the attribution knows while reading a chapter in order."""

    recent: list[str]  # characters mentioned in narration, most recent last
    paragraphs: dict[int, list[Segment]]  # the chapter's segments by paragraph
    last_speakers: list[str]  # speakers of previous quotes, most recent last
    last_addressee: str | None = None
    last_speech_paragraph: int = -10
    last_speaker: str | None = None  # of the previous quote
    last_quote: str = ""


def analyse(chapters: list[Chapter]) -> tuple[list[Chapter], list[Character]]:
    """Chapters with speakers filled in, and the book's characters."""
    characters = discover_characters(chapters)
    names = _name_index(characters)
    genders = {c.name: c.gender for c in characters}
    attributed = [_attribute_chapter(ch, names, genders) for ch in chapters]
    spoken = Counter(s.speaker for ch in attributed for s in ch.segments if s.speaker)
    characters = [c for c in characters if spoken[c.name] or c.name != NARRATOR]
    characters.sort(key=lambda c: -spoken[c.name])
    return attributed, characters


_TAG_END = re.compile("(?:" + "|".join(SPEECH_VERBS) + r")[^，。！？]{0,3}[。：:，,]$")


def _tag_paragraph_before(segs: list[Segment], i: int) -> str:
    """A tag ending the paragraph before, when the quote stands alone in its own
    paragraph (他说：¶“…”, 七斤叹一口气说，¶“…”); "" otherwise."""
    if i == 0:
        return ""
    previous = segs[i - 1]
    if previous.kind != "narration" or previous.paragraph != segs[i].paragraph - 1:
        return ""
    if i >= 2 and segs[i - 2].kind == "speech" and segs[i - 2].paragraph == previous.paragraph:
        return ""  # “…”阿Q说。 closes the quote before it: not a tag for this one
    text = previous.text.rstrip()
    if text.endswith(("：", ":")) or _TAG_END.search(text):
        return text[:-1]
    return ""


def _last_sentence(text: str) -> str:
    return CLAUSE_END.split(text.rstrip("：:，, "))[-1]


def _name_index(characters: list[Character]) -> list[tuple[str, str]]:
    """(surface form, character name), longest forms first for matching."""
    forms = [(c.name, c.name) for c in characters]
    forms += [(a, c.name) for c in characters for a in c.aliases]
    return sorted(forms, key=lambda f: len(f[0]), reverse=True)


def _mentions(text: str, names: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(position, character) of each mention, in order, longest match wins."""
    taken = [False] * len(text)
    found = []
    for form, name in names:
        for m in re.finditer(re.escape(form), text):
            if not any(taken[m.start() : m.end()]):
                found.append((m.start(), name))
                for k in range(m.start(), m.end()):
                    taken[k] = True
    return sorted(found)


_PLURAL = re.compile(r"^(?:他们|她们|我们|人们|大家|众人|大伙|\S{1,4}们)")
_POSSESSIVE = re.compile(r"^(?:我|他|她|伊)的")


def _who(sentence: str, names, genders, ctx: _Context, last: bool = True) -> str | None:
    """The speaker a tag sentence names: the character (or pronoun) that starts one of
    its clauses, the clause nearest the speech verb when ``last`` (X看着Y，笑道：), else
    the first. 我 is the narrator; 我的母亲 is the mother, not 我."""
    heads = []
    for clause in re.split(r"[，,、：:]", sentence):
        clause = LEADING_WORDS.sub("", clause.strip())
        if not clause:
            continue
        possessive = _POSSESSIVE.match(clause)
        body = clause[possessive.end() :] if possessive else clause
        mentions = [
            (at, name)
            for at, name in _mentions(body, names)
            if at == 0 or body[at - 1] not in _PREPOSITIONS
        ]
        if mentions and mentions[0][0] <= 2:
            heads.append(mentions[0][1])
        elif possessive:
            continue  # 他的母亲 with no known 母亲: nobody we know
        elif clause[0] == "我" and not clause.startswith("我们"):
            heads.append(NARRATOR)
        elif clause[0] in _PRONOUNS and clause[1:2] != "们":
            heads.append(_recent_of_gender(_PRONOUNS[clause[0]], genders, ctx))
    heads = [h for h in heads if h]
    if not heads:
        return None
    return heads[-1] if last else heads[0]


def _recent_of_gender(gender: str, genders: dict[str, str], ctx: _Context) -> str | None:
    for name in reversed(ctx.recent):
        if genders.get(name) == gender:
            return name
    for name in reversed(ctx.recent):
        if genders.get(name) == "unknown":
            return name
    return None


def _addressee(quote: str, names) -> str | None:
    """“李毅，我明天的行程…” -> 李毅: a name opening the quote and followed by a pause."""
    for form, name in names:
        if quote.startswith(form) and quote[len(form) : len(form) + 1] in (
            "，",
            "！",
            "！",
            "、",
            ",",
            "…",
            "。",
            "？",
        ):
            return name
    return None


def _attribute_chapter(chapter: Chapter, names, genders) -> Chapter:
    segs = chapter.segments
    paragraphs: dict[int, list[Segment]] = {}
    for seg in segs:
        paragraphs.setdefault(seg.paragraph, []).append(seg)
    ctx = _Context(recent=[], paragraphs=paragraphs, last_speakers=[])
    out: list[Segment] = []
    for i, seg in enumerate(segs):
        if seg.kind == "narration":
            for _, name in _mentions(seg.text, names):
                ctx.recent.append(name)
            out.append(seg)
            continue
        speaker = _speaker_for(segs, i, names, genders, ctx)
        out.append(replace(seg, speaker=speaker))
        if speaker:
            if not ctx.last_speakers or ctx.last_speakers[-1] != speaker:
                ctx.last_speakers.append(speaker)
            ctx.recent.append(speaker)
        ctx.last_addressee = _addressee(seg.text, names)
        ctx.last_speech_paragraph = seg.paragraph
        ctx.last_speaker = speaker
        ctx.last_quote = seg.text
        if len(ctx.recent) > 2 * MEMORY or len(ctx.last_speakers) > 2 * MEMORY:
            del ctx.recent[:-MEMORY], ctx.last_speakers[:-MEMORY]
    return replace(chapter, segments=out)


def _speaker_for(segs: list[Segment], i: int, names, genders, ctx: _Context) -> str | None:
    seg = segs[i]
    addressed = _addressee(seg.text, names)
    before = neighbour(segs, i, -1)
    after = neighbour(segs, i, +1)
    candidates = []
    tag_clauses = []
    if before and before.rstrip().endswith(("：", ":", "，", ",")):
        tag_clauses.append(last_clause(before))
    if after:
        tag_clauses.append(first_clause(after))
    if before and before.rstrip().endswith(("：", ":", "，", ",")):
        candidates.append(_who(_last_sentence(before), names, genders, ctx))
    if after:
        clause = first_clause(after)
        if _VERB.search(clause) or len(clause) <= 8:
            candidates.append(_who(clause, names, genders, ctx))
    if before and not before.rstrip().endswith(("：", ":", "，", ",")):
        candidates.append(_who(last_clause(before), names, genders, ctx))
    for name in candidates:
        if name and name != addressed:
            return name
    if any(_PLURAL.match(LEADING_WORDS.sub("", c.strip())) for c in tag_clauses):
        return None  # 他们便假作吃惊的说：a crowd, no one character
    tag = _last_sentence(_tag_paragraph_before(segs, i))
    if tag and not any(candidates):  # named in a tag ending the paragraph before (X说：¶“…”)
        name = _who(tag, names, genders, ctx)
        if name and name != addressed and name in {n for _, n in _mentions(tag, names)}:
            return name
        if _PLURAL.match(LEADING_WORDS.sub("", last_clause(tag).strip())):
            return None
    if ctx.last_speech_paragraph == seg.paragraph:  # a second quote in the same paragraph
        adjacent = i > 0 and segs[i - 1].kind == "speech"
        if not adjacent:  # “…”他说，“…”: the same speaker goes on
            return ctx.last_speaker
        others = [
            n for n in reversed(ctx.last_speakers[:-1]) if n not in (ctx.last_speaker, addressed)
        ]
        return others[0] if others else None  # “…”“…”: an exchange
    return _untagged(segs, i, names, genders, ctx, addressed)


def _untagged(
    segs: list[Segment], i: int, names, genders, ctx: _Context, addressed: str | None
) -> str | None:
    """A quote with no tag. In order: the one the last quote called by name; in a quick
    exchange (the last quote was in the paragraph before), the other party after a
    question, a short line or a reply, else the same speaker going on; the character
    whose action the paragraph before (or after) tells; the last speaker, who goes on
    after narration; the character the narration last spoke of."""
    seg = segs[i]
    quick = seg.paragraph - ctx.last_speech_paragraph == 1
    if quick and ctx.last_addressee and ctx.last_addressee != addressed:
        return ctx.last_addressee
    if quick and ctx.last_speaker:
        previous = ctx.last_quote
        turn = (
            _REPLY.match(seg.text)
            or previous.endswith(("？", "?"))
            or len(previous) <= SHORT_LINE
            or _REPLY.match(previous)
        )
        parallel = seg.text[:2] == previous[:2]  # 工作做好了，…¶工作没干好，…
        carry_on = seg.text.startswith(_CARRY_ON_OPENERS) or parallel
        if (carry_on or not turn) and ctx.last_speaker != addressed:
            return ctx.last_speaker
        others = [
            n for n in reversed(ctx.last_speakers[:-1]) if n not in (ctx.last_speaker, addressed)
        ]
        if others:
            return others[0]
    for text in (_paragraph_text(segs, i, -1, ctx), _paragraph_text(segs, i, +1, ctx)):
        lead = _leading_mention(text, names, addressed) if text else None
        if lead and not (quick and lead == ctx.last_speaker):
            return lead
    if ctx.last_speaker and ctx.last_speaker != addressed and not quick:
        return ctx.last_speaker
    for name in reversed(ctx.recent):
        if name not in (addressed, ctx.last_speaker if quick else None):
            return name
    return None


def _paragraph_text(segs: list[Segment], i: int, step: int, ctx: _Context) -> str:
    """The paragraph before (step -1) or after (+1) segment i's, if it is narration."""
    same = ctx.paragraphs.get(segs[i].paragraph + step, [])
    if same and all(s.kind == "narration" for s in same):
        return "".join(s.text for s in same)
    return ""


def _leading_mention(text: str, names, addressed: str | None) -> str | None:
    """The character a sentence is about: its first mention at the start of a clause
    (和卫江南聊了几句，张庆平又扭头望向高妍 -> 张庆平)."""
    first = CLAUSE_END.split(text, maxsplit=1)[0]
    for at, name in _mentions(first, names):
        at_clause_start = (
            at == 0
            or first[at - 1] in "，,、：:"
            or (at <= 2 and first[:at] in ("这时", "只见", "于是", "便", "又", "就"))
        )
        if at_clause_start and name != addressed:
            return name
    return None
