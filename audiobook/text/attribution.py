"""Who says each quote: every speech segment attributed to one of the characters
(``characters`` finds them) by the cues a reader uses.

Cues, strongest first: a tag before the quote (X…道：“…”, X点了点头，“…”), a tag after it
(“…”X加重了语气说道。), then, for a bare quote, the character the narration just spoke of,
or the other party of a two-person exchange. A name at the very start of a quote
(“李毅，…”) is the person addressed, never the speaker. 他/她 are resolved to the most
recent character of that gender; 我 is the first-person narrator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from audiobook.model import Chapter, Character, Segment
from audiobook.text.characters import (
    LEADING_WORDS,
    NARRATOR,
    discover_characters,
    first_clause,
    last_clause,
    neighbour,
)
from audiobook.text.cues import (
    CARRY_ON_OPENERS,
    MEMORY,
    PLURAL,
    REPLY,
    SHORT_LINE,
    VERB,
    Context,
    addressee,
    last_sentence,
    leading_mention,
    mentions,
    name_index,
    paragraph_text,
    tag_paragraph_before,
    who,
)


def analyse(chapters: list[Chapter]) -> tuple[list[Chapter], list[Character]]:
    """Chapters with speakers filled in, and the book's characters."""
    characters = discover_characters(chapters)
    names = name_index(characters)
    genders = {c.name: c.gender for c in characters}
    attributed = [_attribute_chapter(ch, names, genders) for ch in chapters]
    spoken = Counter(s.speaker for ch in attributed for s in ch.segments if s.speaker)
    characters = [c for c in characters if spoken[c.name] or c.name != NARRATOR]
    characters.sort(key=lambda c: -spoken[c.name])
    return attributed, characters


def _attribute_chapter(chapter: Chapter, names, genders) -> Chapter:
    segs = chapter.segments
    paragraphs: dict[int, list[Segment]] = {}
    for seg in segs:
        paragraphs.setdefault(seg.paragraph, []).append(seg)
    ctx = Context(recent=[], paragraphs=paragraphs, last_speakers=[])
    out: list[Segment] = []
    for i, seg in enumerate(segs):
        if seg.kind == "narration":
            for _, name in mentions(seg.text, names):
                ctx.recent.append(name)
            out.append(seg)
            continue
        speaker = _speaker_for(segs, i, names, genders, ctx)
        out.append(replace(seg, speaker=speaker))
        if speaker:
            if not ctx.last_speakers or ctx.last_speakers[-1] != speaker:
                ctx.last_speakers.append(speaker)
            ctx.recent.append(speaker)
        ctx.last_addressee = addressee(seg.text, names)
        ctx.last_speech_paragraph = seg.paragraph
        ctx.last_speaker = speaker
        ctx.last_quote = seg.text
        if len(ctx.recent) > 2 * MEMORY or len(ctx.last_speakers) > 2 * MEMORY:
            del ctx.recent[:-MEMORY], ctx.last_speakers[:-MEMORY]
    return replace(chapter, segments=out)


def _speaker_for(segs: list[Segment], i: int, names, genders, ctx: Context) -> str | None:
    seg = segs[i]
    addressed = addressee(seg.text, names)
    before = neighbour(segs, i, -1)
    after = neighbour(segs, i, +1)
    candidates = []
    tag_clauses = []
    if before and before.rstrip().endswith(("：", ":", "，", ",")):
        tag_clauses.append(last_clause(before))
    if after:
        tag_clauses.append(first_clause(after))
    if before and before.rstrip().endswith(("：", ":", "，", ",")):
        candidates.append(who(last_sentence(before), names, genders, ctx))
    if after:
        clause = first_clause(after)
        if VERB.search(clause) or len(clause) <= 8:
            candidates.append(who(clause, names, genders, ctx))
    if before and not before.rstrip().endswith(("：", ":", "，", ",")):
        candidates.append(who(last_clause(before), names, genders, ctx))
    for name in candidates:
        if name and name != addressed:
            return name
    if any(PLURAL.match(LEADING_WORDS.sub("", c.strip())) for c in tag_clauses):
        return None  # 他们便假作吃惊的说：a crowd, no one character
    tag = last_sentence(tag_paragraph_before(segs, i))
    if tag and not any(candidates):  # named in a tag ending the paragraph before (X说：¶“…”)
        name = who(tag, names, genders, ctx)
        if name and name != addressed and name in {n for _, n in mentions(tag, names)}:
            return name
        if PLURAL.match(LEADING_WORDS.sub("", last_clause(tag).strip())):
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
    segs: list[Segment], i: int, names, genders, ctx: Context, addressed: str | None
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
            REPLY.match(seg.text)
            or previous.endswith(("？", "?"))
            or len(previous) <= SHORT_LINE
            or REPLY.match(previous)
        )
        parallel = seg.text[:2] == previous[:2]  # 工作做好了，…¶工作没干好，…
        carry_on = seg.text.startswith(CARRY_ON_OPENERS) or parallel
        if (carry_on or not turn) and ctx.last_speaker != addressed:
            return ctx.last_speaker
        others = [
            n for n in reversed(ctx.last_speakers[:-1]) if n not in (ctx.last_speaker, addressed)
        ]
        if others:
            return others[0]
    for text in (paragraph_text(segs, i, -1, ctx), paragraph_text(segs, i, +1, ctx)):
        lead = leading_mention(text, names, addressed) if text else None
        if lead and not (quick and lead == ctx.last_speaker):
            return lead
    if ctx.last_speaker and ctx.last_speaker != addressed and not quick:
        return ctx.last_speaker
    for name in reversed(ctx.recent):
        if name not in (addressed, ctx.last_speaker if quick else None):
            return name
    return None
