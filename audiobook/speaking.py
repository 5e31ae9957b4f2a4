"""`audiobook say`: hear a phrase as a book would read it, lexicon included, and see the
pinyin the offline voice is given: the quick way to check the fix of a word read wrong."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from audiobook.errors import AudiobookError
from audiobook.options import engine_option


@click.command("say")
@click.argument("text")
@engine_option
@click.option(
    "--voice", "voice_name", metavar="NAME", help="A voice of the engine (default: the narrator's)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="The TOML file whose [pronounce] table to use (default: ./audiobook.toml).",
)
@click.option(
    "--pinyin", "pinyin_only", is_flag=True, help="Only print the pinyin (synthesize nothing)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("say.mp3"),
    show_default=True,
    help="Write the speech here (.mp3 or .wav).",
)
@click.option("--play", is_flag=True, help="Play it too (with ffplay, mpv, mpg123, afplay ...).")
def say_command(
    text: str,
    engine: str,
    voice_name: str | None,
    config_path: Path | None,
    pinyin_only: bool,
    output: Path,
    play: bool,
) -> None:
    """Speak TEXT with the lexicon ([pronounce] in audiobook.toml) and print the pinyin the
    offline voice reads it with (dictionary tones, before tone sandhi)."""
    from audiobook.config import load_config
    from audiobook.export.preview import play_file
    from audiobook.speech.engines.frontend import readings
    from audiobook.speech.pronounce import Lexicon

    if not text.strip():
        raise AudiobookError("nothing to say: TEXT is empty")
    if output.suffix.lower() not in (".mp3", ".wav"):
        raise AudiobookError(f"{output}: the output must end in .mp3 or .wav")
    lexicon = Lexicon(load_config(config_path, Path.cwd() / "say").pronounce)
    # The dictionary readings, as [pronounce] takes them: the voice's tone sandhi
    # (我很好: wo2 hen2 hao3) is applied after, and is not the reader's to fix.
    click.echo(" ".join(readings(lexicon.spoken(text, "local"))[0]))
    if pinyin_only:
        return
    engine, spoken, samples = asyncio.run(_speak(text, engine, voice_name, lexicon))
    if engine == "edge" and spoken != text:
        click.echo(f"edge is given: {spoken}")
    _write(output, samples)
    click.echo(f"wrote {output}")
    if play and play_file(output) is None:
        raise AudiobookError(
            f"no audio player found to play {output} (it is written; open it yourself)"
        )


async def _speak(text: str, requested: str, voice_name: str | None, lexicon):
    from audiobook.audio.clips import decode, trim
    from audiobook.cast.voices import casting_preset, find_voice
    from audiobook.speech.engines import SAMPLE_RATE
    from audiobook.speech.engines.choose import choose_engine, get_engine

    engine_name, _ = await choose_engine(requested)
    name = voice_name or casting_preset(engine_name)["narrator"]
    voice = find_voice(engine_name, name, "--voice")
    spoken = lexicon.spoken(text, engine_name)
    engine = get_engine(engine_name, workers=1)
    await engine.start()
    try:
        speech = await engine.synthesize(spoken, voice)
    finally:
        await engine.close()
    return engine_name, spoken, trim(decode(speech), SAMPLE_RATE)


def _write(path: Path, samples) -> None:
    import io

    import soundfile

    from audiobook.audio.clips import Mp3Writer
    from audiobook.files import write_atomic
    from audiobook.speech.engines import SAMPLE_RATE

    buffer = io.BytesIO()
    if path.suffix.lower() == ".wav":
        soundfile.write(buffer, samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    else:
        writer = Mp3Writer(buffer, SAMPLE_RATE)
        writer.write(samples)
        writer.finish()
    write_atomic(path, buffer.getvalue())
