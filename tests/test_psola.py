"""The voice transform: pitch, formants and tilt, on synthetic vowels and the real voice."""

import numpy as np
import pytest

from audiobook.cast.voices import Voice, catalogue
from audiobook.speech.engines import psola
from audiobook.speech.engines.local import offline_voice
from audiobook.speech.engines.offline import SAMPLE_RATE, OfflineVoice
from tests.test_offline_engine import SENTENCE, median_f0

RATE = SAMPLE_RATE


def vowel(f0: float, formants: tuple[float, ...], seconds: float = 1.0) -> np.ndarray:
    """A glottal pulse train at ``f0`` through two-pole resonators at ``formants``: the
    textbook source-filter vowel, with a slow loudness swell at both ends."""
    n = int(seconds * RATE)
    source = np.zeros(n)
    source[(np.arange(0, seconds, 1 / f0) * RATE).astype(int)] = 1.0
    out = source
    for formant in formants:
        r = np.exp(-np.pi * 80.0 / RATE)  # 80 Hz bandwidth
        a1, a2 = -2 * r * np.cos(2 * np.pi * formant / RATE), r * r
        y = np.zeros(n)
        for i in range(n):  # a plain IIR filter: fine for a second of test signal
            y[i] = out[i] - a1 * y[i - 1] - a2 * y[i - 2] if i >= 2 else out[i]
        out = y
    out *= np.minimum(1.0, np.minimum(np.arange(n), n - np.arange(n)) / (0.05 * RATE))
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def strongest_frequency(x: np.ndarray) -> float:
    """The peak of the long-term spectrum, smoothed over 150 Hz so that the harmonics
    merge into their envelope."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    hz = np.fft.rfftfreq(len(x), 1 / RATE)
    width = int(150 / hz[1])
    smooth = np.convolve(spectrum, np.ones(width) / width, "same")
    return float(hz[np.argmax(smooth)])


def test_factors_of_one_give_the_input_back() -> None:
    x = vowel(220, (700, 1200))
    y = psola.transform(x, RATE, 1.0, 1.0)
    assert len(y) == len(x)
    assert np.abs(y - x).max() < 0.02 * np.abs(x).max()


def test_pitch_moves_and_the_length_stays() -> None:
    x = vowel(220, (700, 1200))
    for factor in (0.55, 1.3):
        y = psola.transform(x, RATE, factor, 1.0)
        assert len(y) == len(x)
        assert median_f0(y) == pytest.approx(220 * factor, rel=0.04)


def test_formants_move_with_the_pitch_left_alone() -> None:
    x = vowel(110, (1000,))
    assert strongest_frequency(x) == pytest.approx(1000, rel=0.05)
    lower = psola.transform(x, RATE, 1.0, 0.85)
    assert strongest_frequency(lower) == pytest.approx(850, rel=0.06)
    assert median_f0(lower) == pytest.approx(110, rel=0.04)


def test_the_period_search_follows_the_model_guide() -> None:
    x = vowel(220, (700, 1200))
    right = psola.transform(x, RATE, 0.5, 1.0, np.full(80, 220.0))
    assert median_f0(right) == pytest.approx(110, rel=0.04)
    # A guide an octave off finds no period near it: the frames count as unvoiced and
    # keep their pitch. So the guide is what the search uses.
    wrong = psola.transform(x, RATE, 0.5, 1.0, np.full(80, 440.0))
    assert median_f0(wrong) == pytest.approx(220, rel=0.04)


def test_a_guide_out_of_any_voice_range_is_survived() -> None:
    x = vowel(220, (700, 1200))
    for hz in (20.0, 5000.0):
        assert len(psola.transform(x, RATE, 0.5, 0.9, np.full(80, hz))) == len(x)


def test_tilt_darkens_above_a_kilohertz_and_keeps_the_loudness() -> None:
    noise = np.random.default_rng(1).standard_normal(RATE).astype(np.float32) * 0.1
    dark = psola.tilt(noise, RATE, -3.0)

    def band(x: np.ndarray, low: float, high: float) -> float:
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        hz = np.fft.rfftfreq(len(x), 1 / RATE)
        return float(spectrum[(hz >= low) & (hz < high)].mean())

    drop = 10 * np.log10(band(dark, 3800, 4200) / band(dark, 300, 900))
    assert drop == pytest.approx(-6.0, abs=1.0)  # two octaves above 1 kHz at -3 dB each
    assert np.sqrt(np.mean(dark**2)) == pytest.approx(np.sqrt(np.mean(noise**2)), rel=0.01)


def test_silence_and_very_short_input_pass_through() -> None:
    assert not psola.transform(np.zeros(RATE, np.float32), RATE, 0.5, 0.8).any()
    short = np.ones(100, np.float32)
    assert np.array_equal(psola.transform(short, RATE, 0.5, 0.8), short)


def test_every_catalogue_voice_maps_to_the_engine() -> None:
    for voice in catalogue("local").values():
        OfflineVoice(**offline_voice(voice))
    bad = Voice("local", "odd", timbre=(("roughness", 1.0),))
    with pytest.raises(Exception, match="unknown timbre"):
        offline_voice(bad)


def test_a_pitch_offset_moves_a_transformed_voice_target() -> None:
    deep = catalogue("local")["man-deep"]
    base, lower = offline_voice(deep), offline_voice(deep.shifted(pitch=-10))
    assert lower["pitch"] == base["pitch"]  # the model is left alone...
    f0 = dict(deep.timbre)["f0"]  # ...and the transform aims 10 Hz lower
    assert lower["pitch_factor"] == pytest.approx(base["pitch_factor"] * (f0 - 10) / f0)


def test_real_voice_men_are_low_and_deterministic(engine) -> None:
    baker = median_f0(engine.synthesize(SENTENCE))
    for name in ("man-young", "man-deep", "man-old"):
        voice = OfflineVoice(**offline_voice(catalogue("local")[name]))
        audio = engine.synthesize(SENTENCE, voice)
        assert np.array_equal(audio, engine.synthesize(SENTENCE, voice))
        assert median_f0(audio) <= 150 < 200 <= baker, (name, median_f0(audio), baker)
    girl = OfflineVoice(**offline_voice(catalogue("local")["woman-girl"]))
    assert median_f0(engine.synthesize(SENTENCE, girl)) > 1.2 * baker
