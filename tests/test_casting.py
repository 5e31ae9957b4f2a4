"""Casting: who gets which voice, and the cast file a user can edit."""

from __future__ import annotations

import pytest

from audiobook.cast.casting import (
    OTHERS,
    cast_path,
    draw_cast,
    load_cast,
    prepare_cast,
    voice_for,
)
from audiobook.cast.voices import casting_preset
from audiobook.errors import AudiobookError
from audiobook.model import Book, Chapter, Character, Segment
from audiobook.text.reading import load
from audiobook.text.script import make_script
from tests.conftest import SEEDS

SEED_002 = SEEDS / "002_0f929d2b9e10c4b0.txt"


@pytest.fixture(scope="module")
def seed_book() -> Book:
    return make_script(load(SEED_002), "002").book


def crowd(speakers: dict[str, tuple[str, int]]) -> Book:
    """A book where each named character (gender, lines) speaks that many lines."""
    segments = [
        Segment(f"{name}的第{i}句话。", paragraph=n, kind="speech", speaker=name)
        for n, (name, (_, lines)) in enumerate(speakers.items())
        for i in range(lines)
    ]
    characters = [Character(name, gender) for name, (gender, _) in speakers.items()]
    chapter = Chapter(order=1, title="一", heading="第一章 一", segments=segments)
    return Book("书", [chapter], characters=characters)


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_seed_002_three_voices_and_a_fourth_for_the_narrator(seed_book, engine) -> None:
    voices = draw_cast(seed_book, engine).voices()
    people = [voices[name] for name in ("张庆平", "卫江南", "高妍")]
    sounds = {v.sound for v in people}
    assert len(sounds) == 3
    assert voices[None].sound not in sounds
    assert voices["高妍"].gender == "female"
    assert voices["张庆平"].gender == voices["卫江南"].gender == "male"


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_main_characters_never_share_and_minor_ones_draw_from_the_pool(engine) -> None:
    speakers = {f"男{i}": ("male", 40 - i) for i in range(6)}
    speakers |= {f"女{i}": ("female", 30 - i) for i in range(4)}
    speakers |= {"某人": ("unknown", 1), "路人甲": ("male", 1), "路人乙": ("male", 1)}
    cast = draw_cast(crowd(speakers), engine)
    voices = cast.voices()
    main = sorted(speakers, key=lambda n: -speakers[n][1])[:8]
    sounds = [voices[n].sound for n in main] + [voices[None].sound]
    assert len(set(sounds)) == len(sounds)  # nobody main sounds like anyone else
    for name in main:
        assert voices[name].gender == speakers[name][0]
    assert voices["某人"].id in casting_preset(engine)["neutral"]
    assert voices["路人甲"].gender == "male"
    # minor characters keep their pool voice from run to run
    assert draw_cast(crowd(speakers), engine).voices()["路人乙"] == voices["路人乙"]


def test_speech_without_a_known_speaker_and_narration() -> None:
    voices = draw_cast(crowd({"甲": ("male", 2)}), "edge").voices()
    said = Segment("走吧。", 0, kind="speech", speaker="甲")
    unknown = Segment("走吧。", 0, kind="speech", speaker=None)
    told = Segment("他走了。", 0)
    assert voice_for(voices, said) == voices["甲"]
    assert voice_for(voices, unknown) == voices[OTHERS]
    assert voice_for(voices, told) == voice_for(voices, None) == voices[None]


def test_cast_file_keeps_edits_and_adds_newcomers(tmp_path, seed_book) -> None:
    cast = prepare_cast(seed_book, tmp_path, "edge")
    path = cast_path(tmp_path, "edge")
    assert cast.path == path and path.is_file()
    text = path.read_text("utf-8")
    assert "[characters.高妍]" in text or '[characters."高妍"]' in text
    # the user gives 高妍 another voice, slows her down and leaves a note
    edited = text.replace("[narrator]", "# my favourite narrator\n[narrator]")
    block = edited.split("高妍")[1]
    new_block = block.replace(block.split('voice = "')[1].split('"')[0], "zh-CN-XiaoyiNeural", 1)
    new_block = new_block.replace('rate = "+0%"', 'rate = "-10%"', 1)
    path.write_text(edited.replace(block, new_block), "utf-8")

    # the serial gains a chapter with a new speaker
    grown = make_script(load(SEED_002), "002").book
    grown.chapters.append(
        Chapter(2, "二", "第二章 二", segments=[Segment("好。", 0, "speech", "新人")])
    )
    grown.characters.append(Character("新人", "female"))
    again = prepare_cast(grown, tmp_path, "edge")
    voices = again.voices()
    assert voices["高妍"].id == "zh-CN-XiaoyiNeural" and voices["高妍"].rate == -10
    assert "# my favourite narrator" in path.read_text("utf-8")
    assert voices["新人"].gender == "female"
    for name in ("张庆平", "卫江南"):
        assert voices[name] == cast.voices()[name]
    assert load_cast(path, "edge").voices() == voices

    reset = prepare_cast(grown, tmp_path, "edge", reset=True)
    assert reset.voices()["高妍"] == cast.voices()["高妍"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[narrator]\nvoice = "zh-CN-XiaochenNeural"\n',
            "unknown edge voice 'zh-CN-XiaochenNeural'",
        ),
        ('[narrator]\nvoice = "zh-CN-YunxiNeural"\nrate = "fast"\n', "should look like +10%"),
        ("[narrator\n", "not a valid TOML file"),
        ("[narrator]\nrate = 1\n", "needs a voice"),
    ],
)
def test_a_bad_cast_file_is_a_clear_error(tmp_path, content: str, message: str) -> None:
    path = cast_path(tmp_path, "edge")
    path.write_text(content, "utf-8")
    with pytest.raises(AudiobookError, match=message.replace("+", r"\+")):
        load_cast(path, "edge")
