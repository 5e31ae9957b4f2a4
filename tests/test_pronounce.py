"""The reader's lexicon: readings in the config, what each engine is given, and what a
change of entry costs."""

import pytest
from mutagen.mp3 import MP3

from audiobook.audio.build import chapter_lines
from audiobook.cast.voices import catalogue
from audiobook.config import Pronunciation, load_config
from audiobook.errors import AudiobookError
from audiobook.model import Chapter, Segment
from audiobook.speech.engines.frontend import phonemes, readings
from audiobook.speech.engines.offline import split_for_synthesis
from audiobook.speech.pronounce import Lexicon, homophones, plain
from tests.conftest import run_cli
from tests.fake_edge import FakeEdgeServer


class Named:
    def __init__(self, name: str) -> None:
        self.name, self.version, self.run_bytes = name, "1", 0


def lexicon(**entries: str | dict) -> Lexicon:
    from audiobook.config import parse_pronunciation

    return Lexicon({w: parse_pronunciation(w, v, "test") for w, v in entries.items()})


def test_config_table(tmp_path) -> None:
    config = tmp_path / "audiobook.toml"
    config.write_text(
        '[pronounce]\n"重庆" = "chong2 qing4"\n"GDP" = { say = "国内生产总值" }\n"绿" = "lü4"\n',
        "utf-8",
    )
    loaded = load_config(None, tmp_path / "book.txt").pronounce
    assert loaded == {
        "重庆": Pronunciation(pinyin=("chong2", "qing4")),
        "GDP": Pronunciation(say="国内生产总值"),
        "绿": Pronunciation(pinyin=("lv4",)),
    }


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ('"重庆" = "chong qing"', "syllables with tone numbers"),
        ('"重庆" = 3', "syllables with tone numbers"),
        ('"GDP" = { say = "" }', "would say nothing"),
        ('"GDP" = { read = "x" }', "syllables with tone numbers"),
    ],
)
def test_a_bad_entry_is_one_clear_error(tmp_path, entry: str, says: str) -> None:
    config = tmp_path / "audiobook.toml"
    config.write_text(f"[pronounce]\n{entry}\n", "utf-8")
    with pytest.raises(AudiobookError, match=says) as error:
        load_config(config, tmp_path / "book.txt")
    assert "\n" not in str(error.value)


def test_a_word_and_its_syllables_must_agree() -> None:
    with pytest.raises(AudiobookError, match="'重庆' has 2 characters but 1 syllables"):
        lexicon(重庆="chong2")


def test_each_engine_gets_what_it_can_use() -> None:
    lex = lexicon(重庆="chong2 qing4", 长老="zhang1 lao3", GDP={"say": "国内生产总值"})
    text = "长老去了重庆，那里GDP很高。"
    assert lex.spoken(text, "local") == (
        "⟦长老|zhang1 lao3⟧去了⟦重庆|chong2 qing4⟧，那里国内生产总值很高。"
    )
    # Online: what the dictionary already reads so is kept, the rest become the commonest
    # character with that one reading (张 zhang1).
    assert lex.spoken(text, "edge") == "张老去了重庆，那里国内生产总值很高。"
    assert plain(lex.spoken(text, "local")) == "长老去了重庆，那里国内生产总值很高。"


def test_the_longest_word_wins_and_text_without_entries_is_untouched() -> None:
    lex = lexicon(行长="hang2 zhang3", 银行行长="yin2 hang2 hang2 zhang3")
    assert lex.spoken("银行行长到了", "local") == "⟦银行行长|yin2 hang2 hang2 zhang3⟧到了"
    text = "他一个人走着。" * 1000
    assert lex.spoken(text, "local") is text


def test_homophones() -> None:
    assert homophones("重逢", ("zhong4", "feng2")) == "仲逢"
    assert homophones("重庆", ("chong2", "qing4")) == "重庆"
    assert homophones("嗯", ("zzz4",)) is None
    assert homophones("重庆", ("chong2",)) is None
    assert homophones("GDP", ("a1", "b1", "c1")) is None


def test_the_front_end_reads_the_given_syllables_as_one_word() -> None:
    syllables, chars, bounds = readings("他在⟦重庆|zhong4 qing4⟧住")
    assert syllables == ["ta1", "zai4", "zhong4", "qing4", "zhu4"]
    assert chars == list("他在重庆住") and bounds[2] == "#1" and bounds[3] is None
    assert phonemes("他在⟦重庆|zhong4 qing4⟧住") != phonemes("他在重庆住")


def test_long_text_is_never_cut_inside_a_reading() -> None:
    filler = "这是一个很长的句子没有任何标点符号" * 3
    text = filler + "⟦重庆|chong2 qing4⟧" + filler
    chunks = split_for_synthesis(text, 52)
    assert "".join(chunks) == text
    assert all(chunk.count("⟦") == chunk.count("⟧") for chunk in chunks)


def test_an_entry_changes_exactly_the_lines_that_hold_its_word() -> None:
    chapter = Chapter(
        order=1,
        title="重逢",
        heading="第一章 重逢",
        segments=[
            Segment("他们在重庆重逢了。", 1),
            Segment("天色渐渐暗了下来。", 2),
            Segment("“你还好吗？”", 3, kind="speech", speaker="她"),
        ],
    )
    voices = {None: catalogue("local")["baker"], "她": catalogue("local")["woman-girl"]}
    voices["others"] = voices[None]
    before = chapter_lines(chapter, voices, Named("local"))
    after = chapter_lines(chapter, voices, Named("local"), lexicon(重逢="chong2 feng2"))
    changed = [b.text for b, a in zip(before, after, strict=True) if b.job.key != a.job.key]
    assert changed == ["第一章 重逢", "他们在重庆重逢了。"]
    assert [line.text for line in after] == [line.text for line in before]  # subtitles


LEXICON = '[pronounce]\n"重逢" = "zhong4 feng2"\n"GDP" = { say = "国内生产总值" }\n'


def test_say_prints_the_pinyin_with_the_lexicon(tmp_path) -> None:
    result = run_cli("say", "他们重逢了", "--pinyin", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ta1", "men5", "chong2", "feng2", "le5"]
    (tmp_path / "audiobook.toml").write_text(LEXICON, "utf-8")
    result = run_cli("say", "他们重逢了", "--pinyin", cwd=tmp_path)
    assert result.stdout.split() == ["ta1", "men5", "zhong4", "feng2", "le5"]
    assert not list(tmp_path.glob("*.mp3"))  # --pinyin synthesizes nothing


def test_say_offline_writes_the_speech(tmp_path) -> None:
    result = run_cli("say", "你好，世界。", "--engine", "local", "-o", "hi.mp3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    audio = MP3(tmp_path / "hi.mp3")
    assert 0.5 < audio.info.length < 5
    bad = run_cli("say", "你好", "--engine", "local", "-o", "hi.ogg", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.strip().startswith("Error: hi.ogg: the output")


def test_say_online_sends_the_replacement_text(tmp_path) -> None:
    (tmp_path / "audiobook.toml").write_text(LEXICON, "utf-8")
    with FakeEdgeServer(voices=set(catalogue("edge"))) as server:
        env = {"AUDIOBOOK_EDGE_URL": server.url}
        result = run_cli(
            "say", "他们重逢了，GDP很高。", "--engine", "edge", "-o", "x.wav", cwd=tmp_path, env=env
        )
        assert result.returncode == 0, result.stderr
        assert server.heard[-1].text == "他们仲逢了，国内生产总值很高。"  # after the probe
    assert (tmp_path / "x.wav").stat().st_size > 1000


def test_a_rerun_synthesizes_only_the_lines_with_a_changed_word(tmp_path) -> None:
    (tmp_path / "book.txt").write_text(
        "第一章 重逢\n\n他们在重庆重逢了。\n\n“你还好吗？”她问。\n\n天色渐渐暗了下来。\n", "utf-8"
    )
    build = ["build", "book.txt", "-o", "out", "--engine", "local"]
    first = run_cli(*build, cwd=tmp_path, env={"AUDIOBOOK_CACHE": str(tmp_path / "cache")})
    assert first.returncode == 0, first.stderr
    (tmp_path / "audiobook.toml").write_text('[pronounce]\n"重逢" = "chong2 feng2"\n', "utf-8")
    again = run_cli(
        *build, "--dry-run", cwd=tmp_path, env={"AUDIOBOOK_CACHE": str(tmp_path / "cache")}
    )
    assert again.returncode == 0, again.stderr
    # the heading and the one line with 重逢; the other three are in the cache
    assert "3 in the cache, 2 to synthesize" in " ".join(again.stdout.split())


def test_the_shipped_readings_are_whole() -> None:
    from audiobook.speech.pronounce import default_readings

    shipped = default_readings()
    assert len(shipped) > 30
    assert all(len(word) == len(syllables) for word, syllables in shipped.items())


def test_online_an_entry_changes_only_the_requests_that_hold_its_word() -> None:
    paragraph = ["他们在重庆重逢了。", "天色渐渐暗了下来。"]
    chapter = Chapter(
        order=1,
        title="重逢",
        heading="第一章",
        segments=[Segment(t, 1) for t in paragraph] + [Segment("第二天，雨停了。", 2)],
    )
    edge = Named("edge")
    edge.run_bytes = 3000  # consecutive lines of one voice go as one request
    voices = {None: catalogue("edge")["zh-CN-YunxiNeural"]}
    before = {line.job.key for line in chapter_lines(chapter, voices, edge)}
    after = {
        line.job.key for line in chapter_lines(chapter, voices, edge, lexicon(重逢="zhong4 feng2"))
    }
    assert len(before) == len(after) == 2  # the heading, and one run of the three lines
    assert len(before & after) == 1  # the heading's request is the same
