"""Who the characters are: the people a book's speech tags and narration name, their
aliases (小卫, 张市长) and their genders.

A character is the subject of a speech tag (高妍微笑答道), a subject the narration keeps
coming back to, or a name called at the start of a quote and present in the narration.
Gender comes from words in the name (嫂, 爷, 太太), then from the pronouns that follow the
character's mentions, then from the characters of the given name.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import jieba
import jieba.posseg as posseg

from audiobook.model import Chapter, Character, Segment
from audiobook.text.hanzi import HANZI_RANGES
from audiobook.text.words import (
    ADDRESS_FORMS,
    FEMALE_NAME_CHARS,
    FEMALE_WORDS,
    KIN_ENDINGS,
    MALE_NAME_CHARS,
    MALE_WORDS,
    NOT_CHARACTERS,
    PLACE_ENDINGS,
    ROLE_ENDINGS,
    SURNAMES,
    TITLES,
)

jieba.setLogLevel(logging.WARNING)

NARRATOR = "我"
CLAUSE_END = re.compile(r"[。！？!?…；;]")
LEADING_WORDS = re.compile(
    r"^(?:于是|便|又|就|却|这时|这时候|只见|随后|然后|接着|可是|但是|但|而|那|这|此时|当下|"
    r"忽然|突然|终于|也|还|才|只|倒|都|因为|所以|如果|哪知|不料|正|见|然而|有一个|有个|"
    r"一个|那个|这个|那位|这位)+"
)
_NOUN_FLAGS = ("n", "nr", "nrfg", "nrt", "ns", "nz", "nt", "eng", "ng")


def _tag_clauses(chapters: list[Chapter]) -> list[str]:
    """The narration clauses right before and right after each speech segment."""
    clauses = []
    for chapter in chapters:
        segs = chapter.segments
        for i, seg in enumerate(segs):
            if seg.kind != "speech":
                continue
            before = neighbour(segs, i, -1)
            after = neighbour(segs, i, +1)
            if before:
                clauses.append(last_clause(before))
            if after:
                clauses.append(first_clause(after))
    return clauses


def _sentence_heads(chapters: list[Chapter]) -> list[str]:
    """The first clause of every narration sentence."""
    return [first_clause(s.text) for ch in chapters for s in ch.segments if s.kind == "narration"]


def neighbour(segs: list[Segment], i: int, step: int) -> str:
    j = i + step
    if (
        0 <= j < len(segs)
        and segs[j].paragraph == segs[i].paragraph
        and segs[j].kind == "narration"
    ):
        return segs[j].text
    return ""


def last_clause(text: str) -> str:
    text = text.rstrip("：:，, ")
    return CLAUSE_END.split(text)[-1]


def first_clause(text: str) -> str:
    return re.split(r"[。！？!?…；;，,]", text, maxsplit=1)[0]


def subject_of(clause: str) -> str | None:
    """The noun phrase a tag clause starts with: 高妍 in 高妍微笑答道, 阿Q in 阿Q说,
    张安平 in 张安平点了点头; None when it does not name a person."""
    clause = LEADING_WORDS.sub("", clause.strip())
    if not clause:
        return None
    if clause[0] in "我他她伊":
        return clause[0] if not clause.startswith(("他们", "她们", "我们", "伊们")) else None
    subject, person = "", False
    for word, flag in posseg.lcut(clause[:12]):
        if flag.startswith(("nr",)) or (not subject and word in SURNAMES):
            person = True
        elif _NUMBER_NAME.fullmatch(word):
            pass  # 七斤, 八一嫂, 驼背五少爷: a name with a number (the weight at birth)
        elif not (flag.startswith(_NOUN_FLAGS) or word in ("阿", "小", "老")):
            break
        subject += word
    if not 2 <= len(subject) <= 5:
        return None
    if person or looks_like_person(subject) or subject.endswith("斤"):
        return subject
    return None


# a number that names someone: 七斤 (counted in 斤, as 风波 explains), or the number of a
# 嫂/婶/叔 (八一嫂, 四婶); a bare number (三天, 一刻) is nobody
_NUMBER_NAME = re.compile("[一二三四五六七八九十]{1,2}斤|[一二三四五六七八九十]{1,2}")


def looks_like_person(name: str) -> bool:
    """A role or kinship noun (掌柜, 车夫, 七斤嫂, 老头子), a 阿/小/老 name, or one with a
    Latin letter (阿Q, 小D)."""
    return (
        (name[0] in "阿小老" and len(name) <= 3)
        or any(ch.isascii() and ch.isalpha() for ch in name)
        or any(w in name for w in (*FEMALE_WORDS, *MALE_WORDS, *TITLES))
        or name.endswith(ROLE_ENDINGS)
    )


def _vocative_name(quote: str) -> str | None:
    """A person's name opening a quote and followed by a pause: 孙丽 in “孙丽，你…”."""
    found = re.match(rf"^([{HANZI_RANGES}]{{2,3}})[，,！!]", quote)
    if not found:
        return None
    words = posseg.lcut(found[1])
    return found[1] if len(words) == 1 and words[0].flag.startswith("nr") else None


def discover_characters(chapters: list[Chapter]) -> list[Character]:
    """Characters are who the tags say speaks: the subjects of speech tags."""
    subjects = Counter(s for s in map(subject_of, _tag_clauses(chapters)) if s)
    # ... and who the narration keeps talking about: subjects of its sentences
    actors = Counter(s for s in map(subject_of, _sentence_heads(chapters)) if s)
    # ... and who is called by name at the start of a quote (“孙丽，你明天去吗？”)
    vocatives: Counter[str] = Counter()
    for chapter in chapters:
        for segment in chapter.segments:
            called = _vocative_name(segment.text) if segment.kind == "speech" else None
            if called:
                vocatives[called] += 1
    narration = "\n".join(s.text for ch in chapters for s in ch.segments if s.kind == "narration")
    for called in vocatives:
        if called in narration:  # called, and present in the story's narration
            actors[called] += 2
    candidates = {
        name
        for name in subjects
        if name not in ("他", "她", "伊") and not name.endswith(PLACE_ENDINGS)
    }
    candidates |= {
        name
        for name, count in actors.items()
        if count >= 2
        and name not in ("他", "她", "伊", NARRATOR)
        and not name.endswith(PLACE_ENDINGS)
    }
    # 安平 tagged where the text says 张安平: take the surname in
    for name in list(candidates):
        if len(name) == 2 and name[0] not in SURNAMES:
            before = Counter(
                narration[m.start() - 1] for m in re.finditer(name, narration) if m.start() > 0
            )
            if before:
                char, count = before.most_common(1)[0]
                if char in SURNAMES and count >= 0.6 * sum(before.values()):
                    candidates.discard(name)
                    candidates.add(char + name)
    # one name inside another: the longer is the name when it accounts for most uses of
    # the shorter (安平 / 张安平), else it is noise around the name (阿Q / 阿Q不平)
    counts = {name: narration.count(name) for name in candidates}
    keep = set(candidates)
    for short in candidates:
        for long in candidates:
            if short != long and short in long and short in keep and long in keep:
                if long.startswith(short) and long[len(short) :] in KIN_ENDINGS:
                    continue  # 七斤 and 七斤嫂 are husband and wife
                if counts[long] >= 0.9 * counts[short]:
                    keep.discard(short)
                else:
                    keep.discard(long)
    keep = sorted((n for n in keep if not _nobody(n)), key=lambda n: -counts[n])
    characters = [Character(name=n, gender=infer_gender(n, narration, tuple(keep))) for n in keep]
    _join_aliases(characters, narration)
    return characters


def _join_aliases(characters: list[Character], text: str) -> None:
    """小卫/老卫 and 卫市长/张市长 -> the full name with that surname, when only one
    character has it; the given name alone (江南) -> the full name."""
    by_surname: dict[str, list[Character]] = {}
    for c in characters:
        # a surname's name, not a noun (车夫 would make 小车 and 老车 aliases)
        plain_noun = [(w, f) for w, f in posseg.lcut(c.name)] == [(c.name, "n")]
        if len(c.name) in (2, 3) and c.name[0] in SURNAMES and not plain_noun:
            by_surname.setdefault(c.name[0], []).append(c)
    for c in characters:
        if len(c.name) == 3:
            given = c.name[1:]
            if text.count(given) > text.count(c.name):
                c.aliases.append(given)
        owners = by_surname.get(c.name[0], [])
        if len(owners) != 1 or owners[0] is not c:
            continue
        surname = c.name[0]
        for prefix in ("小", "老", "阿"):
            if prefix + surname in text:
                c.aliases.append(prefix + surname)
        for title in TITLES:
            if surname + title in text:
                c.aliases.append(surname + title)
    # an alias two characters share (尼姑 for 老尼姑 and 小尼姑) names neither
    shared = Counter(a for c in characters for a in set(c.aliases))
    for c in characters:
        c.aliases = [a for a in dict.fromkeys(c.aliases) if shared[a] == 1 and a != c.name]
    # 刘四 for 刘四爷: the name without its title, when both are of one gender (七斤 and
    # 七斤嫂 are husband and wife)
    for c in characters:
        for o in characters:
            rest = o.name[len(c.name) :]
            if (
                o is not c
                and len(c.name) >= 2
                and o.name.startswith(c.name)
                and (rest in TITLES or rest in ("爷", "爷爷"))
                and (c.gender == o.gender or "unknown" in (c.gender, o.gender))
            ):
                o.aliases.append(c.name)
    # 虎姑娘 and 虎妞: a form of address on the one name that starts like it
    for c in characters:
        if len(c.name) >= 3 and c.name[1:] in ADDRESS_FORMS:
            owners = [o for o in characters if o is not c and o.name[0] == c.name[0]]
            if len(owners) == 1 and owners[0].name[1:] not in ADDRESS_FORMS:
                owners[0].aliases.append(c.name)
    # an alias found as a separate character: fold it in
    alias_of = {a: c for c in characters for a in c.aliases}
    for c in list(characters):
        owner = alias_of.get(c.name)
        if owner is not None and owner is not c:
            characters.remove(c)


def _nobody(name: str) -> bool:
    """A crowd, a pronoun-like word or a glued phrase (向大家低声), not a person."""
    return (
        name in NOT_CHARACTERS
        or name.endswith("们")
        or any(w in name for w in ("大家", "低声", "大声"))
    )


def infer_gender(name: str, text: str, others: tuple[str, ...] = ()) -> str:
    """From words in the name (嫂, 爷, 太太), then from the pronouns that follow the
    character's mentions (each 他/她 counted for the nearest character before it), then
    from the characters of the given name."""
    if name == NARRATOR:
        return "unknown"
    if any(w in name for w in FEMALE_WORDS):
        return "female"
    if any(w in name for w in MALE_WORDS):
        return "male"
    he = she = 0
    rivals = [o for o in others if o != name and name not in o]
    for found in re.finditer(re.escape(name), text):
        window = re.split(r"[。！？\n]", text[found.end() : found.end() + 40])[0]
        cut = min((window.find(r) for r in rivals if r in window), default=-1)
        if cut >= 0:
            window = window[:cut]
        he += window.count("他")
        she += window.count("她")
    # the pronouns decide only when one clearly outnumbers the other: mixed evidence (a
    # woman often mentioned beside a man) must not give a confident wrong gender
    if she >= 2 * he and she:
        return "female"
    if he >= 2 * she and he:
        return "male"
    given = name[1:] if len(name) >= 2 else name
    if any(ch in FEMALE_NAME_CHARS for ch in given):
        return "female"
    if any(ch in MALE_NAME_CHARS for ch in given):
        return "male"
    return "unknown"
