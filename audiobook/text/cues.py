"""Reading the text around a quote as a reader does: who a tag clause names (a name, or a
pronoun resolved to the last character of that gender), who a quote addresses, the tag
that ends the paragraph before, the character a sentence is about."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiobook.model import Character, Segment
from audiobook.text.characters import CLAUSE_END, LEADING_WORDS, NARRATOR
from audiobook.text.words import SPEECH_VERBS

# a verb, not the noun it makes (笑声, 哭声, 笑容)
VERB = re.compile("(?:" + "|".join(sorted(SPEECH_VERBS, key=len, reverse=True)) + ")(?![声容脸])")
PRONOUNS = {"他": "male", "她": "female", "伊": "female"}  # 伊: she, in older prose
# how a reply opens (好的，…) and how a speaker carries on after a long line (另外啊，…)
REPLY = re.compile(
    r"^(?:好的?|是的?|嗯+|对的?|行|知道了?|明白了?|可以|不|没有|谢谢|哦|噢|唔|啊|哎)[，,。！!…、]"
)
SHORT_LINE = 45  # characters: a line this short expects an answer
MEMORY = 200  # names kept in mind: far more than any pronoun reaches back, and bounded
CARRY_ON_OPENERS = ("另外", "还有", "而且", "再说", "所以", "因此", "总之", "怎么", "至于")
PREPOSITIONS = set("和跟与向对给把被让叫朝替同问望找")


@dataclass
class Context:
    """What the attribution knows while reading a chapter in order."""

    recent: list[str]  # characters mentioned in narration, most recent last
    paragraphs: dict[int, list[Segment]]  # the chapter's segments by paragraph
    last_speakers: list[str]  # speakers of previous quotes, most recent last
    last_addressee: str | None = None
    last_speech_paragraph: int = -10
    last_speaker: str | None = None  # of the previous quote
    last_quote: str = ""
    lead: str | None = None  # the character the book mentions most


_TAG_END = re.compile("(?:" + "|".join(SPEECH_VERBS) + r")[^，。！？]{0,3}[。：:，,]$")


def tag_paragraph_before(segs: list[Segment], i: int) -> str:
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


def last_sentence(text: str) -> str:
    return CLAUSE_END.split(text.rstrip("：:，, "))[-1]


def name_index(characters: list[Character]) -> list[tuple[str, str]]:
    """(surface form, character name), longest forms first for matching."""
    forms = [(c.name, c.name) for c in characters]
    forms += [(a, c.name) for c in characters for a in c.aliases]
    return sorted(forms, key=lambda f: len(f[0]), reverse=True)


def mentions(text: str, names: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(position, character) of each mention, in order, longest match wins."""
    return [(start, name) for start, name, _ in mention_spans(text, names)]


def mention_spans(text: str, names: list[tuple[str, str]]) -> list[tuple[int, str, int]]:
    """(start, character, end) of each mention, in order, longest match wins."""
    taken = [False] * len(text)
    found = []
    for form, name in names:
        for m in re.finditer(re.escape(form), text):
            if not any(taken[m.start() : m.end()]):
                found.append((m.start(), name, m.end()))
                for k in range(m.start(), m.end()):
                    taken[k] = True
    return sorted(found)


PLURAL = re.compile(
    r"^(?:他们|她们|我们|人们|大家|众人|大伙|旁人|别人|有的|所有|许多|好些|一群|\S{1,4}们)"
)
CROWD = "众人"  # who a crowd's line is by: nobody in particular
# one of a crowd: 一个说, 一个看着她的疤，应和道 (but 一个胖大叔说 is a person described)
_ONE_OF_THEM = re.compile(r"^(?:有|另|又)?一个(?:人)?[说道看应笑问叫嚷便也又就却接插抢回冷]")
# A person named by description at the head of a tag: 那个人, 光头的矮子, 穿红衣的女子,
# 一个胖大叔. The determiner goes (一个, 这位); 那 stays, as in 那人.
PERSON_NOUNS = (
    "女子|女人|男人|汉子|大叔|大婶|大妈|大爷|大娘|老头儿|老头子|老头|老太太|老太婆|老妇人|妇人"
    "|矮子|胖子|瘦子|小伙子|年轻人|少年|少女|姑娘|老者|老人"
)
_DETERMINER = re.compile(r"^(?:于是|便|又|就|这时|只见|忽然)?(?:一个|一位|这个|这位|那个|那位)?")
# 穿红衣的女子, 二十多岁的人 (a description ending in 的), or 胖大叔, 老女人
_DESCRIBED = re.compile(
    rf"^(?:[^，。！？“”\s]{{1,5}}的(?:{PERSON_NOUNS}|人)|[^，。！？“”\s的]{{0,2}}?(?:{PERSON_NOUNS}))"
)
_THAT_ONE = re.compile(r"^(?:那个|那)人")


# not a description but a clause about someone else: 被女人…, 是一个老女人, 看见他的女人
_NOT_A_DESCRIPTION = re.compile(r"^(?:是|被|把|对|向|和|跟|给|让|叫|看|见|听)|[我你他她]的|^所有")


def _described(clause: str) -> str | None:
    if _THAT_ONE.match(clause):
        return "那人"
    found = _DESCRIBED.match(_DETERMINER.sub("", clause))
    if not found or _NOT_A_DESCRIPTION.search(found[0]):
        return None
    return found[0]


_POSSESSIVE = re.compile(r"^(?:我|他|她|伊)的")
_OF_PLACE = re.compile(r"[^，。！？\s我你他她]{1,4}的")  # 前台的小姑娘, 对门的王九妈


def who(sentence: str, names, genders, ctx: Context, last: bool = True) -> str | None:
    """The speaker a tag sentence names: the character (or pronoun) that starts one of
    its clauses, the clause nearest the speech verb when ``last`` (X看着Y，笑道：), else
    the first. 我 is the narrator; 我的母亲 is the mother, not 我."""
    heads = []
    for raw in re.split(r"[，,、：:]", sentence):
        clause = LEADING_WORDS.sub("", raw.strip())
        if not clause:
            continue
        possessive = _POSSESSIVE.match(clause)
        body = clause[possessive.end() :] if possessive else clause
        spans = mention_spans(body, names)
        starts = {at for at, _, _ in spans}
        named = [  # not the one spoken to (向着我说) or whose someone is (我的母亲)
            (at, name)
            for at, name, end in spans
            if not PREPOSITIONS.intersection(body[:at])
            and not (body[end : end + 1] == "的" and end + 1 in starts)
        ]
        if named and (named[0][0] <= 2 or _OF_PLACE.fullmatch(body[: named[0][0]])):
            heads.append(named[0][1])
        elif possessive:
            continue  # 他的母亲 with no known 母亲: nobody we know
        elif clause[0] == "我" and not clause.startswith("我们"):
            heads.append(NARRATOR)
        elif PLURAL.match(clause) or _ONE_OF_THEM.match(raw.strip()):
            heads.append(CROWD)  # 所有喝酒的人便都看着他笑，有的叫道：a crowd
        elif clause[0] in PRONOUNS and clause[1:2] != "们":
            heads.append(recent_of_gender(PRONOUNS[clause[0]], genders, ctx))
        elif described := _described(raw.strip()):
            heads.append(described)  # 光头的矮子, 那人: someone the text describes
    heads = [h for h in heads if h]
    if not heads:
        return None
    return heads[-1] if last else heads[0]


def recent_of_gender(gender: str, genders: dict[str, str], ctx: Context) -> str | None:
    """The last character of that gender mentioned; but of the last two, the story's lead,
    whom a bare 他/她 most often means (小D是什么东西呢？他很想即刻揪住他: 他 is 阿Q)."""
    last_two: list[str] = []
    for name in reversed(ctx.recent):
        if genders.get(name) == gender and name not in last_two:
            last_two.append(name)
            if len(last_two) == 2:
                break
    if last_two:
        return ctx.lead if ctx.lead in last_two else last_two[0]
    for name in reversed(ctx.recent):
        if genders.get(name) == "unknown":
            return name
    return None


def addressee(quote: str, names) -> str | None:
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


_TO_WHOM = re.compile(r"(?:对|向|朝|冲|跟)着?|问|望着|看着|瞧着|指着")


def spoken_to(tag: str, names, genders, ctx: Context, speaker: str | None) -> str | None:
    """Whom a tag says the quote is for: 太爷…对阿Q说, 对他嚷道 (他: the last man who is
    not the speaker)."""
    for found in _TO_WHOM.finditer(tag):
        rest = tag[found.end() :]
        named = [(at, name) for at, name in mentions(rest[:6], names) if at == 0]
        if named and named[0][1] != speaker:
            return named[0][1]
        if rest[:1] in PRONOUNS and rest[1:2] != "们":
            gender = PRONOUNS[rest[0]]
            for name in reversed(ctx.recent):
                if name != speaker and genders.get(name) == gender:
                    return name
    return None


def paragraph_text(segs: list[Segment], i: int, step: int, ctx: Context) -> str:
    """The paragraph before (step -1) or after (+1) segment i's, if it is narration."""
    same = ctx.paragraphs.get(segs[i].paragraph + step, [])
    if same and all(s.kind == "narration" for s in same):
        return "".join(s.text for s in same)
    return ""


def leading_mention(text: str, names, addressed: str | None) -> str | None:
    """The character a sentence is about: its first mention at the start of a clause
    (和卫江南聊了几句，张庆平又扭头望向高妍 -> 张庆平)."""
    first = CLAUSE_END.split(text, maxsplit=1)[0]
    for at, name in mentions(first, names):
        at_clause_start = (
            at == 0
            or first[at - 1] in "，,、：:"
            or (at <= 2 and first[:at] in ("这时", "只见", "于是", "便", "又", "就"))
        )
        if at_clause_start and name != addressed:
            return name
    return None
