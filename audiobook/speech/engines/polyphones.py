"""Polyphones read from the words around them: the readings pypinyin, which reads word by
word, cannot give (its phrase dictionary and jieba's words settle the rest)."""

from __future__ import annotations

# 得 "must" after its subject (咱们得走), and 得 linking a verb to how it is done
# (快得吓人: de5, not de2 "obtain").
_DEI_AFTER = set("我你他她它咱们家就还也都总可非必须只")
_DE_BEFORE = set("了到很不出住上下起过着罪意失手势逞")


def in_context(
    syllables: list[str], chars: list[str], bounds: list[str | None], settled: list[bool]
) -> list[str]:
    """``syllables`` with the polyphones that no known word settled (``settled[i]`` is
    whether syllable i was read as part of one) read from their neighbours."""
    out = list(syllables)
    n = len(out)
    for i, char in enumerate(chars):
        if char not in POLYPHONES or settled[i]:
            continue
        after = chars[i + 1] if i + 1 < n and bounds[i + 1] != "#3" else ""
        before = chars[i - 1] if i and bounds[i] != "#3" else ""
        if char == "得" and before in _DEI_AFTER and after and after not in _DE_BEFORE:
            out[i] = "dei3"
        elif char == "得" and before and after and after not in "到了" and out[i] == "de2":
            out[i] = "de5"  # 快得吓人, 说得对: the complement marker, not "obtain"
        elif char == "当" and "把" in _clause_before(chars, bounds, i, 5):
            out[i] = "dang4"  # 把我当朋友: to treat as
        else:
            out[i] = _by_neighbours(char, before, after) or out[i]
    return out


PRONOUNS = "我你他她它"
NUMERALS = "一二两三四五六七八九十几数"
SURNAMES = {"单": "shan4", "解": "xie4", "仇": "qiu2", "种": "chong2", "乐": "yue4",
            "曾": "zeng1", "朴": "piao2", "盖": "ge3", "区": "ou1", "查": "zha1", "华": "hua4",
            "覃": "qin2", "缪": "miao4", "召": "shao4", "员": "yun4", "句": "gou1"}  # fmt: skip
# A polyphone that is a word of its own: (reading, the characters that may come before it,
# the characters that may come after it); "" is any, "$" the end of a clause.
ALONE: dict[str, list[tuple[str, str, str]]] = {
    "着": [("zhao2", "", "了"), ("zhao1", "", "棋")],  # 着了魔, 着了凉; 这一着棋
    "还": [("huan2", "", "$")],  # 你什么时候还？
    "中": [("zhong4", "", "了过")],  # 中了埋伏, 中过毒
    "量": [("liang2", "", "了")],  # 量了体温
    "盛": [("cheng2", "", "一了得满饭汤水着上碗进些")],  # the verb, to ladle: 盛一碗饭
    "血": [("xie3", "", "")],  # said alone (审音表): 流了点血 (鲜血, 血脉 are words)
    "倒": [("dao3", "", "在下地")],  # 倒在了血泊之中
    "降": [("xiang2", "不", "$")],  # 宁死不降
    "冲": [("chong4", "", "着" + PRONOUNS)],  # 冲着我来, 冲他一笑
    "觉": [("jiao4", "个好一午懒", "")],  # 睡个好觉
    "教": [("jiao1", "", PRONOUNS)],  # 教我这一招
    "假": [("jia4", "了", "")],  # 请了假
    "空": [("kong4", "", "着")],  # 还空着一个位置
    "兴": [("xing4", "的", "")],  # 扫了大家的兴
    "系": [("ji4", "", "在上好着")],  # 把马系在门口
    "蒙": [("meng1", "", PRONOUNS)],  # 别想蒙我
    "背": [("bei1", "", "起")],  # 背起行囊
    "剥": [("bao1", "", "了开下皮")],  # 剥了你的皮
    "削": [("xiao1", "", "了个一着皮")],  # 削了一个苹果 (削弱, 剥削 are words)
    "挣": [("zheng4", "", "")],  # the verb, to earn: 挣的钱 (挣扎 is a word)
    "种": [("zhong4", "", "满了下上着在出过")],  # 种满了灵药
    "数": [("shu3", "", "一了着不到过清")],  # 数了数, 数不过来
    "行": [("hang2", NUMERALS, "字泪诗")],  # 几行小字, 两行泪
    "横": [("heng4", "么太很真", "")],  # 说话这么横
}


POLYPHONES = {"得", "当", *SURNAMES, *ALONE}


def _clause_before(chars: list[str], bounds: list[str | None], i: int, size: int) -> str:
    """Up to ``size`` characters before syllable ``i``, within its clause."""
    k = i
    while k > 0 and i - k < size and bounds[k] != "#3":
        k -= 1
    return "".join(chars[k:i])


def _by_neighbours(char: str, before: str, after: str) -> str | None:
    if before == "姓" and char in SURNAMES:
        return SURNAMES[char]
    for reading, befores, afters in ALONE.get(char, ()):
        if _fits(before, befores) and _fits(after, afters):
            return reading
    return None


def _fits(neighbour: str, allowed: str) -> bool:
    """Whether the neighbouring character (or "" at a clause's edge) is one ``allowed``."""
    if allowed in ("", "$"):
        return allowed == "" or not neighbour
    return bool(neighbour) and neighbour in allowed
