"""Who says each quote: characters discovered in the text, their genders, and each
speech segment attributed by the cues a reader uses.

Cues, strongest first: a tag before the quote (X…道：“…”, X点了点头，“…”), a tag after it
(“…”X加重了语气说道。), then, for a bare quote, the character the narration just spoke of,
or the other party of a two-person exchange. A name at the very start of a quote
(“李毅，…”) is the person addressed, never the speaker. 他/她 are resolved to the most
recent character of that gender; 我 is the first-person narrator.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, replace

import jieba
import jieba.posseg as posseg

from audiobook.model import Chapter, Character, Segment
from audiobook.text.dialogue import SPEECH_VERBS

jieba.setLogLevel(logging.WARNING)

NARRATOR = "我"
_CLAUSE_END = re.compile(r"[。！？!?…；;]")
_VERB = re.compile("|".join(sorted(SPEECH_VERBS, key=len, reverse=True)))
_LEADING_WORDS = re.compile(
    r"^(?:于是|便|又|就|却|这时|这时候|只见|随后|然后|接着|可是|但是|但|而|那|这|此时|当下|"
    r"忽然|突然|终于|也|还|才|只|倒|都|因为|所以|如果|哪知|不料|正|见|然而|有一个|有个|"
    r"一个|那个|这个|那位|这位)+"
)
FEMALE_WORDS = (
    "她",
    "女",
    "妈",
    "娘",
    "嫂",
    "婶",
    "姐",
    "妹",
    "婆",
    "奶",
    "姑",
    "姨",
    "妻",
    "太太",
    "夫人",
    "小姐",
    "女士",
    "母亲",
    "老太",
    "媳妇",
    "闺女",
    "尼姑",
)
MALE_WORDS = (
    "他",
    "哥",
    "弟",
    "爷",
    "叔",
    "伯",
    "公",
    "父",
    "先生",
    "老爷",
    "少爷",
    "丈夫",
    "儿子",
    "和尚",
    "大人",
    "秀才",
    "掌柜",
    "老头",
    "男人",
    "老汉",
)
TITLES = (
    "市长",
    "省长",
    "书记",
    "县长",
    "局长",
    "主任",
    "部长",
    "秘书长",
    "秘书",
    "厅长",
    "处长",
    "科长",
    "镇长",
    "村长",
    "总经理",
    "经理",
    "董事长",
    "总",
    "老师",
    "教授",
    "医生",
    "队长",
    "司令",
    "将军",
    "主席",
    "委员",
    "老板",
    "掌柜",
    "先生",
    "太太",
    "大人",
    "少爷",
    "老爷",
    "师傅",
    "师父",
    "同志",
    "哥",
    "姐",
    "叔",
    "婶",
    "嫂",
)
_PRONOUNS = {"他": "male", "她": "female", "伊": "female"}  # 伊: she, in older prose
# how a reply opens (好的，…) and how a speaker carries on after a long line (另外啊，…)
_REPLY = re.compile(
    r"^(?:好的?|是的?|嗯+|对的?|行|知道了?|明白了?|可以|不|没有|谢谢|哦|噢|唔|啊|哎)[，,。！!…、]"
)
SHORT_LINE = 45  # characters: a line this short expects an answer
_CARRY_ON_OPENERS = ("另外", "还有", "而且", "再说", "所以", "因此", "总之", "怎么", "至于")
_PREPOSITIONS = set("和跟与向对给把被让叫朝替同问望找")
_NOUN_FLAGS = ("n", "nr", "nrfg", "nrt", "ns", "nz", "nt", "eng", "ng")


@dataclass
class _Context:
    """What the attribution knows while reading a chapter in order."""

    recent: list[str]  # characters mentioned in narration, most recent last
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


# --- discovery --------------------------------------------------------------------------


def _tag_clauses(chapters: list[Chapter]) -> list[str]:
    """The narration clauses right before and right after each speech segment."""
    clauses = []
    for chapter in chapters:
        segs = chapter.segments
        for i, seg in enumerate(segs):
            if seg.kind != "speech":
                continue
            before = _neighbour(segs, i, -1)
            after = _neighbour(segs, i, +1)
            if before:
                clauses.append(_last_clause(before))
            if after:
                clauses.append(_first_clause(after))
    return clauses


def _sentence_heads(chapters: list[Chapter]) -> list[str]:
    """The first clause of every narration sentence."""
    return [_first_clause(s.text) for ch in chapters for s in ch.segments if s.kind == "narration"]


def _neighbour(segs: list[Segment], i: int, step: int) -> str:
    j = i + step
    if (
        0 <= j < len(segs)
        and segs[j].paragraph == segs[i].paragraph
        and segs[j].kind == "narration"
    ):
        return segs[j].text
    return ""


def _last_clause(text: str) -> str:
    text = text.rstrip("：:，, ")
    return _CLAUSE_END.split(text)[-1]


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
    return _CLAUSE_END.split(text.rstrip("：:，, "))[-1]


def _first_clause(text: str) -> str:
    return re.split(r"[。！？!?…；;，,]", text, maxsplit=1)[0]


SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶"
    "黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷"
    "詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
    "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
    "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘"
    "池查麻苑迟邝"
)
ROLE_WORDS = (
    "人",
    "夫",
    "儿",
    "生",
    "长",
    "官",
    "兵",
    "警",
    "差",
    "贩",
    "匠",
    "工",
    "客",
    "丁",
    "童",
    "娃",
    "徒",
    "汉",
)


def subject_of(clause: str) -> str | None:
    """The noun phrase a tag clause starts with: 高妍 in 高妍微笑答道, 阿Q in 阿Q说,
    张安平 in 张安平点了点头; None when it does not name a person."""
    clause = _LEADING_WORDS.sub("", clause.strip())
    if not clause:
        return None
    if clause[0] in "我他她伊":
        return clause[0] if not clause.startswith(("他们", "她们", "我们", "伊们")) else None
    subject, person = "", False
    for word, flag in posseg.lcut(clause[:12]):
        if flag.startswith(("nr",)) or (not subject and word in SURNAMES):
            person = True
        elif not (flag.startswith(_NOUN_FLAGS) or word in ("阿", "小", "老")):
            break
        subject += word
    if not 2 <= len(subject) <= 5:
        return None
    if person or looks_like_person(subject):
        return subject
    return None


def looks_like_person(name: str) -> bool:
    """A role or kinship noun (掌柜, 车夫, 七斤嫂, 老头子), a 阿/小/老 name, or one with a
    Latin letter (阿Q, 小D)."""
    return (
        (name[0] in "阿小老" and len(name) <= 3)
        or any(ch.isascii() and ch.isalpha() for ch in name)
        or any(w in name for w in (*FEMALE_WORDS[2:], *MALE_WORDS[1:], *TITLES))
        or name.endswith(ROLE_WORDS)
    )


def _vocative_name(quote: str) -> str | None:
    """A person's name opening a quote and followed by a pause: 孙丽 in “孙丽，你…”."""
    found = re.match(r"^([\u4e00-\u9fff]{2,3})[，,！!]", quote)
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
        if name not in ("他", "她", "伊") and not name.endswith(_PLACE_SUFFIXES)
    }
    candidates |= {
        name
        for name, count in actors.items()
        if count >= 2
        and name not in ("他", "她", "伊", NARRATOR)
        and not name.endswith(_PLACE_SUFFIXES)
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
                if long.startswith(short) and long[len(short) :] in _KIN_SUFFIXES:
                    continue  # 七斤 and 七斤嫂 are husband and wife
                if counts[long] >= 0.9 * counts[short]:
                    keep.discard(short)
                else:
                    keep.discard(long)
    keep = sorted(keep, key=lambda n: -counts[n])
    characters = [Character(name=n, gender=infer_gender(n, narration, tuple(keep))) for n in keep]
    _join_aliases(characters, narration)
    return characters


def _join_aliases(characters: list[Character], text: str) -> None:
    """小卫/老卫 and 卫市长/张市长 -> the full name with that surname, when only one
    character has it; the given name alone (江南) -> the full name."""
    by_surname: dict[str, list[Character]] = {}
    for c in characters:
        if len(c.name) in (2, 3) and c.name != NARRATOR:
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
        c.aliases = [a for a in dict.fromkeys(c.aliases) if shared[a] == 1]
    # an alias found as a separate character: fold it in
    alias_of = {a: c for c in characters for a in c.aliases}
    for c in list(characters):
        owner = alias_of.get(c.name)
        if owner is not None and owner is not c:
            characters.remove(c)


# Characters far more common in one sex's given names: a weak prior, used only when the
# text's own pronouns say nothing.
FEMALE_NAME_CHARS = set(
    "妍娜丽芳婷敏静燕霞玲娟琳莉萍梅兰慧倩雪颖璐蓉媛婉瑶薇菲晶洁嫣姗娇"
    "妮婕娅琪钰凤翠莲秀淑珍娥妹嫦婵姝嫱"
)
MALE_NAME_CHARS = set("刚强军伟勇斌涛磊鹏杰峰龙波辉健毅豪彪虎雄武超亮猛斌浩宇栋庆松柏")


def infer_gender(name: str, text: str, others: tuple[str, ...] = ()) -> str:
    """From words in the name (嫂, 爷, 太太), then from the pronouns that follow the
    character's mentions (each 他/她 counted for the nearest character before it), then
    from the characters of the given name."""
    if name == NARRATOR:
        return "unknown"
    if any(w in name for w in FEMALE_WORDS[2:]):
        return "female"
    if any(w in name for w in MALE_WORDS[1:]):
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
    if she > he:
        return "female"
    if he > she:
        return "male"
    given = name[1:] if len(name) >= 2 else name
    if any(ch in FEMALE_NAME_CHARS for ch in given):
        return "female"
    if any(ch in MALE_NAME_CHARS for ch in given):
        return "male"
    return "unknown"


# --- attribution ------------------------------------------------------------------------


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


_KIN_SUFFIXES = {
    "嫂",
    "嫂子",
    "妈",
    "婶",
    "奶奶",
    "太太",
    "老太",
    "爷",
    "叔",
    "伯",
    "哥",
    "姐",
    "娘",
    "公",
    "婆",
    "儿",
    "大妈",
    "大叔",
    "大爷",
}
_PLURAL = re.compile(r"^(?:他们|她们|我们|人们|大家|众人|大伙|\S{1,4}们)")
_PLACE_SUFFIXES = (
    "镇",
    "村",
    "庄",
    "城",
    "县",
    "省",
    "市",
    "府",
    "河",
    "山",
    "街",
    "巷",
    "庙",
    "祠",
    "庵",
    "家",
    "店",
    "楼",
    "馆",
    "国",
    "州",
)
_POSSESSIVE = re.compile(r"^(?:我|他|她|伊)的")


def _who(sentence: str, names, genders, ctx: _Context, last: bool = True) -> str | None:
    """The speaker a tag sentence names: the character (or pronoun) that starts one of
    its clauses, the clause nearest the speech verb when ``last`` (X看着Y，笑道：), else
    the first. 我 is the narrator; 我的母亲 is the mother, not 我."""
    heads = []
    for clause in re.split(r"[，,、：:]", sentence):
        clause = _LEADING_WORDS.sub("", clause.strip())
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
    ctx = _Context(recent=[], last_speakers=[])
    segs = chapter.segments
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
    return replace(chapter, segments=out)


def _speaker_for(segs: list[Segment], i: int, names, genders, ctx: _Context) -> str | None:
    seg = segs[i]
    addressed = _addressee(seg.text, names)
    before = _neighbour(segs, i, -1)
    after = _neighbour(segs, i, +1)
    candidates = []
    tag_clauses = []
    if before and before.rstrip().endswith(("：", ":", "，", ",")):
        tag_clauses.append(_last_clause(before))
    if after:
        tag_clauses.append(_first_clause(after))
    if before and before.rstrip().endswith(("：", ":", "，", ",")):
        candidates.append(_who(_last_sentence(before), names, genders, ctx))
    if after:
        clause = _first_clause(after)
        if _VERB.search(clause) or len(clause) <= 8:
            candidates.append(_who(clause, names, genders, ctx))
    if before and not before.rstrip().endswith(("：", ":", "，", ",")):
        candidates.append(_who(_last_clause(before), names, genders, ctx))
    for name in candidates:
        if name and name != addressed:
            return name
    if any(_PLURAL.match(_LEADING_WORDS.sub("", c.strip())) for c in tag_clauses):
        return None  # 他们便假作吃惊的说：a crowd, no one character
    tag = _last_sentence(_tag_paragraph_before(segs, i))
    if tag and not any(candidates):  # named in a tag ending the paragraph before (X说：¶“…”)
        name = _who(tag, names, genders, ctx)
        if name and name != addressed and name in {n for _, n in _mentions(tag, names)}:
            return name
        if _PLURAL.match(_LEADING_WORDS.sub("", _last_clause(tag).strip())):
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
    for text in (_paragraph_text(segs, i, -1), _paragraph_text(segs, i, +1)):
        lead = _leading_mention(text, names, addressed) if text else None
        if lead and not (quick and lead == ctx.last_speaker):
            return lead
    if ctx.last_speaker and ctx.last_speaker != addressed and not quick:
        return ctx.last_speaker
    for name in reversed(ctx.recent):
        if name not in (addressed, ctx.last_speaker if quick else None):
            return name
    return None


def _paragraph_text(segs: list[Segment], i: int, step: int) -> str:
    """The paragraph before (step -1) or after (+1) segment i's, if it is narration."""
    paragraph = segs[i].paragraph + step
    same = [s for s in segs if s.paragraph == paragraph]
    if same and all(s.kind == "narration" for s in same):
        return "".join(s.text for s in same)
    return ""


def _leading_mention(text: str, names, addressed: str | None) -> str | None:
    """The character a sentence is about: its first mention at the start of a clause
    (和卫江南聊了几句，张庆平又扭头望向高妍 -> 张庆平)."""
    first = _CLAUSE_END.split(text, maxsplit=1)[0]
    for at, name in _mentions(first, names):
        at_clause_start = (
            at == 0
            or first[at - 1] in "，,、：:"
            or (at <= 2 and first[:at] in ("这时", "只见", "于是", "便", "又", "就"))
        )
        if at_clause_start and name != addressed:
            return name
    return None
