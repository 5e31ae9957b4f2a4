"""The measuring half of bench_voices.py: runs in the bench's own virtualenv, never in the
project's (torch, resemblyzer, parselmouth and faster-whisper are far too heavy for it).

    VENV/bin/python bench/voice_measures.py < request.json > result.json

The request is {"wav_dir", "model_dir", "sentences", "voices", "reference"}; the wav folder
holds <voice>__<n>.wav for n = 1..len(sentences). Progress goes to stderr, JSON to stdout.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import opencc
import parselmouth
import soundfile
from faster_whisper import WhisperModel
from pypinyin import Style, lazy_pinyin

# webrtcvad (under resemblyzer) still imports pkg_resources; the warning says nothing to us.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
from resemblyzer import VoiceEncoder, preprocess_wav  # noqa: E402

# Praat's standard formant ceiling for a woman's voice. It sets the scale of the VTL more
# than the voice does: 5000 / 5500 / 6000 Hz gave baker 16.7 / 15.2 / 14.2 cm, and baker
# with every frequency scaled down 12 % moved only from 15.2 to 15.8 cm (not to 17.3).
# Compare voices with each other at this one ceiling; it is no absolute length.
FORMANT_CEILING = 5500.0
SPEED_OF_SOUND = 35000.0  # cm/s in warm, humid air (the vocal tract), as in Fitch 1997
HANZI = re.compile(r"[\u3400-\u9fff]")
# Whisper writes Mandarin in Taiwan's Traditional script. Most characters read alike in
# both, but pypinyin reads 著 as zhu4 where the simplified text has 着 (zhe5, zhao2), so
# the transcript is converted first; tw2s changes characters only, never words.
TO_SIMPLIFIED = opencc.OpenCC("tw2s")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(path: Path) -> tuple[np.ndarray, int]:
    samples, rate = soundfile.read(path, dtype="float64", always_2d=True)
    return samples.mean(axis=1), rate  # mono, whatever the file held


def voice_quality(sounds: list[parselmouth.Sound]) -> dict:
    """Median F0, mean F1-F4 at voiced frames, and mean HNR, over all sentences."""
    f0s: list[np.ndarray] = []
    formants: list[list[float]] = []
    hnrs: list[np.ndarray] = []
    for sound in sounds:
        pitch = sound.to_pitch(pitch_floor=60.0, pitch_ceiling=500.0)
        f0 = pitch.selected_array["frequency"]
        voiced = pitch.xs()[f0 > 0]
        f0s.append(f0[f0 > 0])
        # Sampled only where the pitch is voiced: fricatives and pauses stay out of the means.
        burg = sound.to_formant_burg(max_number_of_formants=5, maximum_formant=FORMANT_CEILING)
        formants += [[burg.get_value_at_time(i, t) for i in range(1, 5)] for t in voiced]
        # Cross-correlation harmonicity, floor as for the pitch; -200 dB marks silence.
        hnr = sound.to_harmonicity_cc(time_step=0.01, minimum_pitch=60.0).values[0]
        hnrs.append(hnr[hnr > -200])
    means = np.nanmean(np.array(formants), axis=0)
    return {
        "f0_median_hz": float(np.median(np.concatenate(f0s))),
        "formants_hz": [float(f) for f in means],
        "vtl_cm": vocal_tract_length(means),
        "hnr_db": float(np.mean(np.concatenate(hnrs))),
    }


def vocal_tract_length(formants: np.ndarray) -> float:
    """Formant spacing of a uniform tube closed at one end (Reby & McComb 2003):
    F_i = (2i - 1) / 2 * dF, dF fitted by least squares through the origin over F1..F4,
    then VTL = c / (2 dF)."""
    odd_halves = (2 * np.arange(1, len(formants) + 1) - 1) / 2
    spacing = float(odd_halves @ formants / (odd_halves @ odd_halves))
    return SPEED_OF_SOUND / (2 * spacing)


def speech_seconds(samples: np.ndarray, rate: int, floor_db: float = -40.0) -> float:
    """Time from the first to the last 10 ms frame within floor_db of the loudest one:
    the engine's leading and trailing silence is not speech, inner pauses are."""
    hop = rate // 100
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    level = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-10)
    loud = np.flatnonzero(level > level.max() + floor_db)
    return (loud[-1] - loud[0] + 1) * hop / rate


def syllables(text: str) -> list[str]:
    # Only hanzi carry syllables; the neutral tone is written 5 (ma5), so that every
    # syllable ends in a tone digit.
    hanzi = "".join(HANZI.findall(text))
    return lazy_pinyin(hanzi, style=Style.TONE3, neutral_tone_with_five=True)


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y))
    return row[-1]


def recognition(model: WhisperModel, paths: list[Path], sentences: list[str]) -> dict:
    transcripts, errors, total = [], [], 0
    for path, reference in zip(paths, sentences, strict=True):
        segments, _ = model.transcribe(
            str(path), language="zh", beam_size=5, condition_on_previous_text=False
        )
        heard = TO_SIMPLIFIED.convert("".join(segment.text for segment in segments).strip())
        transcripts.append(heard)
        wanted = syllables(reference)
        errors.append(edit_distance(wanted, syllables(heard)))
        total += len(wanted)
    return {
        "ser": sum(errors) / total,
        "syllables": total,
        "sentence_errors": errors,
        "transcripts": transcripts,
    }


def embeddings(encoder: VoiceEncoder, clips: list[np.ndarray], rate: int) -> np.ndarray:
    # Concatenated, then resampled to 16 kHz, volume-normalised and VAD-trimmed by
    # resemblyzer's own preprocessing; the embedding comes back unit-length.
    return encoder.embed_utterance(preprocess_wav(np.concatenate(clips), source_sr=rate))


def main() -> None:
    request = json.load(sys.stdin)
    wav_dir, sentences = Path(request["wav_dir"]), request["sentences"]
    voices, half = request["voices"], len(sentences) // 2
    whisper = WhisperModel(request["model_dir"], device="cpu", compute_type="int8")
    encoder = VoiceEncoder("cpu", verbose=False)
    results, first, second = {}, {}, {}
    for voice in voices:
        log(f"measuring {voice}")
        paths = [wav_dir / f"{voice}__{n}.wav" for n in range(1, len(sentences) + 1)]
        clips = [load(path) for path in paths]
        rate = clips[0][1]
        sounds = [parselmouth.Sound(samples, sampling_frequency=sr) for samples, sr in clips]
        seconds = sum(speech_seconds(samples, sr) for samples, sr in clips)
        characters = sum(len(HANZI.findall(text)) for text in sentences)
        results[voice] = voice_quality(sounds) | recognition(whisper, paths, sentences)
        results[voice] |= {"speech_s": seconds, "rate_sps": characters / seconds}
        # Halves with no sentence in common: A's first half against B's second half.
        first[voice] = embeddings(encoder, [c for c, _ in clips[:half]], rate)
        second[voice] = embeddings(encoder, [c for c, _ in clips[half:]], rate)
    matrix = {a: {b: float(first[a] @ second[b]) for b in voices} for a in voices}
    for voice in voices:
        results[voice]["self_similarity"] = matrix[voice][voice]
        results[voice]["reference_similarity"] = matrix[voice][request["reference"]]
    json.dump({"voices": results, "similarity": matrix}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
