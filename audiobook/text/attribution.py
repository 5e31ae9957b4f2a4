"""Who says each quote: every speech segment attributed to one of the characters
(``characters`` finds them), with a confidence, by weighing the cues a reader uses.

Each cue is evidence for a speaker, with a weight (``RULES``): a tag before the quote
(X…道：“…”) or after it (“…”X加重了语气说道。), an action beat touching the quote (林晚卷起了
袖子：“…”, “……”她再次无言。), a tag ending the paragraph before, the same speaker going on
after a tag in the same paragraph, and, for a bare quote, the one the last quote called by
name, the other party of a quick exchange, the character whose action the paragraph before
tells, the last speaker, the character last mentioned. The speaker with the most weight
wins. A tag outweighs any number of weak cues; weak cues that agree outweigh one that
stands alone. A name at the very start of a quote (“李毅，…”) is the person addressed,
never the speaker. 他/她 are resolved to the most recent character of that gender; 我 is
the first-person narrator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from audiobook.model import Chapter, Character, Segment
from audiobook.text.characters import (
    CLAUSE_END,
    LEADING_WORDS,
    NARRATOR,
    discover_characters,
    first_clause,
    infer_gender,
    last_clause,
    neighbour,
)
from audiobook.text.cues import (
    CARRY_ON_OPENERS,
    CROWD,
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
    spoken_to,
    tag_paragraph_before,
    who,
)


def analyse(chapters: list[Chapter]) -> tuple[list[Chapter], list[Character]]:
    """Chapters with speakers filled in, and the book's characters."""
    characters = discover_characters(chapters)
    names = name_index(characters)
    genders = {c.name: c.gender for c in characters}
    lead = next((c.name for c in characters if c.name != NARRATOR), None)
    attributed = [_attribute_chapter(ch, names, genders, lead) for ch in chapters]
    spoken = Counter(s.speaker for ch in attributed for s in ch.segments if s.speaker)
    known = {c.name for c in characters}
    characters += [  # people the tags describe (光头的矮子, 那人) speak too
        Character(name, infer_gender(name, "")) for name in spoken if name not in known
    ]
    characters = [c for c in characters if spoken[c.name] or c.name != NARRATOR]
    characters.sort(key=lambda c: -spoken[c.name])
    return attributed, characters


def _attribute_chapter(chapter: Chapter, names, genders, lead: str | None) -> Chapter:
    segs = chapter.segments
    paragraphs: dict[int, list[Segment]] = {}
    for seg in segs:
        paragraphs.setdefault(seg.paragraph, []).append(seg)
    ctx = Context(recent=[], paragraphs=paragraphs, last_speakers=[], lead=lead)
    out: list[Segment] = []
    for i, seg in enumerate(segs):
        if seg.kind == "narration":
            for _, name in mentions(seg.text, names):
                ctx.recent.append(name)
            out.append(seg)
            continue
        attribution = _speaker_for(segs, i, names, genders, ctx)
        speaker = attribution.speaker
        out.append(
            replace(seg, speaker=speaker, confidence=attribution.confidence, cue=attribution.rule)
        )
        if speaker:
            if not ctx.last_speakers or ctx.last_speakers[-1] != speaker:
                ctx.last_speakers.append(speaker)
            ctx.recent.append(speaker)
        ctx.last_addressee = addressee(seg.text, names) or spoken_to(
            _tag_of(segs, i), names, genders, ctx, speaker
        )
        if ctx.last_addressee and ctx.last_addressee != speaker:
            ctx.recent.append(ctx.last_addressee)  # “孔乙己，你…” 他…: the one called
        ctx.last_speech_paragraph = seg.paragraph
        ctx.last_speaker = speaker
        ctx.last_quote = seg.text
        if len(ctx.recent) > 2 * MEMORY or len(ctx.last_speakers) > 2 * MEMORY:
            del ctx.recent[:-MEMORY], ctx.last_speakers[:-MEMORY]
    return replace(chapter, segments=out)


def _tag_of(segs: list[Segment], i: int) -> str:
    """The narration that introduces quote i: the sentence before it in its paragraph, or a
    tag ending the paragraph before."""
    before = neighbour(segs, i, -1)
    if before.rstrip().endswith(_COLON_OR_COMMA):
        return last_sentence(before)
    return tag_paragraph_before(segs, i)


# rule: (weight, how often the speaker it names is right when it decides alone, and when
# another cue agrees), as measured on the gold sets' development part (seeds, 鲁迅, 骆驼祥子
# chapters 一 to 九) with bench/eval_dialogue.py --rules; rounded down where few quotes
# were seen. The confidence is that accuracy, not a hope; halved when a rival has half the
# support.
RULES: dict[str, tuple[float, float, float]] = {
    "tag before by name": (10.0, 0.9, 0.9),
    "tag after by name": (9.5, 0.88, 0.96),
    "tag before": (10.0, 0.8, 0.72),  # the tag's subject is a pronoun (他说：), resolved
    "tag after": (9.5, 0.66, 0.93),
    "tag paragraph before": (8.0, 0.6, 0.9),
    "crowd": (7.0, 0.9, 0.9),
    "beat after by name": (6.0, 0.9, 0.84),
    "long beat after by name": (6.0, 0.9, 0.88),
    "beat after": (6.0, 0.5, 0.94),
    "long beat after": (4.5, 0.6, 0.6),
    "beat before by name": (5.5, 0.66, 0.85),
    "beat before": (5.5, 0.66, 0.92),
    "beat between": (5.2, 0.66, 0.92),
    "goes on after tag": (5.0, 0.62, 0.62),
    "called by name": (2.0, 0.4, 0.4),
    "reply": (1.5, 0.2, 0.75),
    "goes on": (1.5, 0.55, 0.55),
    "exchange": (1.5, 0.6, 0.6),
    "beat in paragraph before": (1.2, 0.3, 0.5),
    "beat in paragraph after": (1.0, 0.2, 0.2),
    "last speaker": (0.8, 0.25, 0.8),
    "recent": (0.4, 0.1, 0.1),
}
_COLON_OR_COMMA = ("：", ":", "，", ",")


@dataclass(frozen=True)
class Evidence:
    speaker: str  # a character's name, or CROWD
    rule: str

    @property
    def weight(self) -> float:
        return RULES[self.rule][0]


@dataclass(frozen=True)
class Attribution:
    speaker: str | None
    confidence: float
    rule: str | None  # the strongest cue for the speaker chosen


def _speaker_for(segs: list[Segment], i: int, names, genders, ctx: Context) -> Attribution:
    found = _evidence(segs, i, names, genders, ctx)
    tally: Counter[str] = Counter()
    for evidence in found:
        tally[evidence.speaker] += evidence.weight
    if not tally:
        return Attribution(None, 0.0, None)
    ranked = tally.most_common(2)
    speaker, weight = ranked[0]
    rule = max((e for e in found if e.speaker == speaker), key=lambda e: e.weight).rule
    agreed = any(e.speaker == speaker and e.rule != rule for e in found)
    confidence = RULES[rule][2 if agreed else 1]
    if len(ranked) > 1 and ranked[1][1] >= 0.5 * weight:  # a rival with half the support
        confidence *= 0.5
    return Attribution(None if speaker == CROWD else speaker, round(confidence, 2), rule)


def _evidence(segs: list[Segment], i: int, names, genders, ctx: Context) -> list[Evidence]:
    """Every cue around quote i, for whoever it names; none for the person addressed."""
    seg = segs[i]
    addressed = addressee(seg.text, names)
    before = neighbour(segs, i, -1)
    after = neighbour(segs, i, +1)
    found: list[tuple[str | None, str]] = []
    tag_clauses = []
    if before and before.rstrip().endswith(_COLON_OR_COMMA):
        tag_clauses.append(last_clause(before))
        rule = "tag before" if VERB.search(last_clause(before)) else "beat before"
        found.append(_named(last_sentence(before), rule, names, genders, ctx))
    if after and not _leads_into_next(segs, i, before, after):
        clause = first_clause(after)
        tag_clauses.append(clause)
        if VERB.search(clause):
            found.append(_named(clause, "tag after", names, genders, ctx))
        elif len(clause) <= 8:
            found.append(_named(clause, "beat after", names, genders, ctx))
        else:  # “西边有兵呀？”老者的眼盯住祥子的军裤。: who acts right after speaking
            found.append(_named(clause, "long beat after", names, genders, ctx))
    if before and not before.rstrip().endswith(_COLON_OR_COMMA):
        found.append((who(last_clause(before), names, genders, ctx), "beat before"))
    named = any(name and name != addressed for name, _ in found)
    if not named and any(PLURAL.match(LEADING_WORDS.sub("", c.strip())) for c in tag_clauses):
        found.append((CROWD, "crowd"))  # 他们便假作吃惊的说：a crowd, no one character
    tag = last_sentence(tag_paragraph_before(segs, i))
    if tag and not named:  # named in a tag ending the paragraph before (X说：¶“…”)
        name = who(tag, names, genders, ctx)
        if name and name in {n for _, n in mentions(tag, names)}:
            found.append((name, "tag paragraph before"))
        elif PLURAL.match(LEADING_WORDS.sub("", last_clause(tag).strip())):
            found.append((CROWD, "crowd"))
    if ctx.last_speech_paragraph == seg.paragraph:  # a second quote in the same paragraph
        if not (i > 0 and segs[i - 1].kind == "speech"):  # “…”他说，“…”: the same speaker
            found.append((ctx.last_speaker, "goes on after tag"))
            # ... unless the narration between is someone else's doing (“…”铺主踢了两脚，“…”)
            found.append((who(first_clause(before), names, genders, ctx), "beat between"))
        else:  # “…”“…”: an exchange
            found.append((_other_party(ctx, addressed), "exchange"))
    else:
        found += _untagged(segs, i, names, ctx, addressed)
    return [Evidence(name, rule) for name, rule in found if name and name != addressed]


def _leads_into_next(segs: list[Segment], i: int, before: str, after: str) -> bool:
    """The narration after quote i is the next quote's tag, not this one's: this quote has
    its own (他们嚷道，“…！”孔乙己睁大眼睛说，“…”) or answers the quote before it
    (“…”“什么清白？…”孔乙己便涨红了脸，争辩道：“…”)."""
    own_tag = before.rstrip().endswith(_COLON_OR_COMMA) and VERB.search(last_clause(before))
    answers = i > 0 and segs[i - 1].kind == "speech" and segs[i - 1].paragraph == segs[i].paragraph
    cut = segs[i].text.rstrip().endswith(_COLON_OR_COMMA)  # “那还用说，”矮子道，“…”
    return bool(
        (own_tag or answers)
        and not cut
        and after.rstrip().endswith(_COLON_OR_COMMA)
        and i + 2 < len(segs)
        and segs[i + 2].kind == "speech"
        and segs[i + 2].paragraph == segs[i].paragraph
    )


def _named(clause: str, rule: str, names, genders, ctx: Context) -> tuple[str | None, str]:
    """Who a tag names, and the rule: ``… by name`` when the name is in the tag itself
    rather than a pronoun (他说) that had to be resolved."""
    name = who(clause, names, genders, ctx)
    if name and name in {n for _, n in mentions(clause, names)}:
        return name, rule + " by name"
    return name, rule


def _other_party(ctx: Context, addressed: str | None) -> str | None:
    """Who answers the last speaker: the one who spoke before them."""
    others = [n for n in reversed(ctx.last_speakers[:-1]) if n not in (ctx.last_speaker, addressed)]
    return others[0] if others else None


def _untagged(
    segs: list[Segment], i: int, names, ctx: Context, addressed: str | None
) -> list[tuple[str | None, str]]:
    """The weak cues of a quote: the one the last quote called by name; in a quick exchange
    (the last quote was in the paragraph before), the other party after a question, a
    short line or a reply, else the same speaker going on; the character whose action the
    paragraph before (or after) tells; the last speaker, who goes on after narration; the
    character the narration last spoke of."""
    seg = segs[i]
    found: list[tuple[str | None, str]] = []
    quick = seg.paragraph - ctx.last_speech_paragraph == 1
    if quick and ctx.last_addressee:
        found.append((ctx.last_addressee, "called by name"))
    if quick and ctx.last_speaker:
        previous = ctx.last_quote
        turn = (
            REPLY.match(seg.text)
            or previous.endswith(("？", "?"))
            or len(previous) <= SHORT_LINE
            or REPLY.match(previous)
        )
        parallel = seg.text[:2] == previous[:2]  # 工作做好了，…¶工作没干好，…
        if seg.text.startswith(CARRY_ON_OPENERS) or parallel or not turn:
            found.append((ctx.last_speaker, "goes on"))
        else:
            found.append((_other_party(ctx, addressed), "reply"))
    for step, rule in ((-1, "beat in paragraph before"), (+1, "beat in paragraph after")):
        text = paragraph_text(segs, i, step, ctx)
        if step < 0:  # the sentence nearest the quote: who acted last
            text = next((t for t in reversed(CLAUSE_END.split(text)) if t.strip()), "")
        lead = leading_mention(text, names, addressed) if text else None
        if lead and not (quick and lead == ctx.last_speaker):
            found.append((lead, rule))
    if ctx.last_speaker and not quick:
        found.append((ctx.last_speaker, "last speaker"))
    recent = next(
        (
            n
            for n in reversed(ctx.recent)
            if n not in (addressed, ctx.last_speaker if quick else None)
        ),
        None,
    )
    found.append((recent, "recent"))
    return found
