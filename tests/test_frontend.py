import pytest

from audiobook.speech.engines.frontend import phoneme_ids, phonemes, readings


def tones(text: str) -> list[str]:
    """The syllable finals with their tones, e.g. ['uo2', 'en2', 'ao3']."""
    return [p for p in phonemes(text) if p[-1].isdigit() and not p.startswith("#")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我很好", ["uo2", "en2", "ao3"]),  # third-tone runs across words
        ("不对", ["u2", "uei4"]),
        ("不去", ["u2", "v4"]),
        ("一天", ["i4", "ian1"]),
        ("一个", ["i2", "e4"]),
        ("第一", ["i4", "i1"]),  # ordinal keeps its tone
        ("看一看", ["an4", "i5", "an4"]),
    ],
)
def test_tone_sandhi(text: str, expected: list[str]) -> None:
    assert tones(text) == expected


def test_prosodic_breaks_follow_words_and_commas() -> None:
    symbols = phonemes("今天天气很好，我们走吧。")
    assert symbols[0] == symbols[-1] == "sil"
    assert "#3" in symbols  # the comma
    assert symbols.count("#1") >= 2  # between words
    assert symbols.index("#3") < len(symbols) - 1


def test_latin_letters_and_digits_are_spelled() -> None:
    assert len(tones("GDP")) == 3
    assert len(tones("MP3")) >= 3
    assert tones("2023年") == tones("二零二三年")
    assert tones("百分之五") == tones("5%")


@pytest.mark.parametrize("text", ["呣", "嗯", "哼", "㗎", "🙂", "……", "——", "", "①②"])
def test_unusual_text_never_crashes(text: str) -> None:
    ids = phoneme_ids(text)
    assert ids[-1] != ids[0]  # ends with eos after the closing sil


def test_rare_syllables_map_to_near_ones() -> None:
    assert len(tones("呣")) == 1
    assert len(tones("嗯")) == 1


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("1,000元", "一千元"),
        ("3:45", "三点四十五分"),
        ("晚上8:00", "晚上八点"),
        ("-5度", "负五度"),
        ("第431章", "第四百三十一章"),
        ("3.5%", "百分之三点五"),
    ],
)
def test_numbers_are_read_as_words(text: str, spoken: str) -> None:
    from audiobook.speech.engines.frontend import normalize_numbers

    assert normalize_numbers(text) == spoken


def test_a_space_between_hanzi_is_a_pause() -> None:
    assert "#3" in phonemes("第一章 开端")
    assert "#3" not in phonemes("iPhone 15")


@pytest.mark.parametrize(
    ("text", "char", "reading"),
    [
        ("我们得马上走。", "得", "dei3"),
        ("他跑得比谁都快。", "得", "de5"),
        ("他得了第一名。", "得", "de2"),
        ("她一不小心着了凉。", "着", "zhao2"),
        ("借我的书什么时候还？", "还", "huan2"),
        ("他还在那里。", "还", "hai2"),
        ("我认识一个姓单的老人。", "单", "shan4"),
        ("他中了一箭。", "中", "zhong4"),
        ("他先盛了一碗汤。", "盛", "cheng2"),
        ("场面十分盛大。", "盛", "sheng4"),
        ("这位壮士宁死不降。", "降", "xiang2"),
        ("她削了一只梨。", "削", "xiao1"),
        ("他在城里挣了不少。", "挣", "zheng4"),
        ("你就把这里当自己家。", "当", "dang4"),
        ("墙上写着两行字。", "行", "hang2"),
    ],
)
def test_polyphones_read_from_their_neighbours(text: str, char: str, reading: str) -> None:
    syllables, chars, _ = readings(text)
    assert syllables[chars.index(char)] == reading


def test_shipped_readings_apply_where_segmentation_finds_their_word() -> None:
    syllables, chars, _ = readings("他只是一名散修。")
    assert syllables[chars.index("散")] == "san3"  # 散修 is shipped: pypinyin reads san4
    syllables, chars, _ = readings("队伍解散修整了三天。")
    assert syllables[chars.index("散")] == "san4"  # 解散 + 修整: not 散修


def test_phrases_are_found_across_the_words_jieba_split_off() -> None:
    # jieba cuts 做个了断 into 做 个 了 断; pypinyin's phrase 了断 reads 了 liao3
    syllables, chars, bounds = readings("做个了断吧。")
    assert syllables[chars.index("了")] == "liao3"
    assert bounds[chars.index("断")] == "#1"  # the prosodic words are still jieba's


def test_context_rules_leave_a_known_word_alone() -> None:
    # 血 said alone is xie3, but 血债血偿 is a shipped word: xue4 throughout
    syllables, chars, _ = readings("今日我便要你血债血偿！")
    assert [s for s, c in zip(syllables, chars, strict=True) if c == "血"] == ["xue4", "xue4"]
    syllables, chars, _ = readings("他流了点血。")
    assert syllables[chars.index("血")] == "xie3"
