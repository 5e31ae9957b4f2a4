"""Loudness: ITU-R BS.1770 integrated loudness, measured as audio streams past, and a
true-peak limiter, so that every chapter plays at one level whatever the voice.

The meter keeps only one number per 100 ms of audio (the K-weighted energy of that
slice), so a chapter of hours is measured in constant memory; gating blocks of 400 ms
are four consecutive slices. Filters follow the RBJ biquad design with the K-weighting
parameters pyloudnorm uses, so the two agree.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import firwin, lfilter, lfilter_zi, upfirdn

SLICE_S = 0.1  # a gating block (400 ms) is 4 slices: the 75 % overlap of BS.1770
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
OVERSAMPLE = 4  # true peak: the peak of the signal between samples too
# Speech peaks between samples rise well under 2 dB above the sample peaks: a clip whose
# samples stay that far under the ceiling needs no (slow) oversampled look.
SCREEN_DB = 2.0
LIMITER_WINDOW_S = 0.004  # gain reductions are spread over this much either side
LIMITER_MARGIN_DB = 0.2  # aim under the ceiling: the interpolation is an estimate


def _biquad(kind: str, gain_db: float, q: float, fc: float, rate: int) -> tuple:
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    if kind == "high_shelf":
        root = 2 * math.sqrt(a_gain) * alpha
        b = [
            a_gain * ((a_gain + 1) + (a_gain - 1) * cos + root),
            -2 * a_gain * ((a_gain - 1) + (a_gain + 1) * cos),
            a_gain * ((a_gain + 1) + (a_gain - 1) * cos - root),
        ]
        a = [
            (a_gain + 1) - (a_gain - 1) * cos + root,
            2 * ((a_gain - 1) - (a_gain + 1) * cos),
            (a_gain + 1) - (a_gain - 1) * cos - root,
        ]
    else:  # high_pass
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    return np.array(b) / a[0], np.array(a) / a[0]


class LoudnessMeter:
    """``meter.add(samples)`` as many times as needed, then ``meter.integrated()``."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._filters = [
            _biquad("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0, rate),  # the head's effect
            _biquad("high_pass", 0.0, 0.5, 38.0, rate),  # RLB: low rumble counts little
        ]
        self._states = [lfilter_zi(b, a) * 0.0 for b, a in self._filters]
        self._slice = round(SLICE_S * rate)
        self._partial = 0.0  # energy of the slice being filled
        self._filled = 0
        self._slices: list[float] = []  # energy (sum of squares) of each full slice

    def add(self, samples: np.ndarray) -> None:
        weighted = samples.astype(np.float64)
        for i, (b, a) in enumerate(self._filters):
            weighted, self._states[i] = lfilter(b, a, weighted, zi=self._states[i])
        squares = weighted * weighted
        start = 0
        while start < len(squares):
            take = min(self._slice - self._filled, len(squares) - start)
            self._partial += float(squares[start : start + take].sum())
            self._filled += take
            start += take
            if self._filled == self._slice:
                self._slices.append(self._partial)
                self._partial, self._filled = 0.0, 0

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS; -inf for silence or under 400 ms of audio."""
        energy = np.array(self._slices)
        if len(energy) < 4:
            return -math.inf
        blocks = (energy[:-3] + energy[1:-2] + energy[2:-1] + energy[3:]) / (4 * self._slice)
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10 * np.log10(blocks)
        gated = blocks[loudness >= ABSOLUTE_GATE]
        if not len(gated):
            return -math.inf
        relative = -0.691 + 10 * math.log10(gated.mean()) + RELATIVE_GATE
        gated = blocks[(loudness >= ABSOLUTE_GATE) & (loudness >= relative)]
        return -0.691 + 10 * math.log10(gated.mean())


# 4x interpolation filter: 12 taps per phase is within 0.3 dB of scipy's default (81 taps
# for this ratio) on speech at half the cost.
_INTERPOLATOR = (
    firwin(OVERSAMPLE * 12 + 1, 1 / OVERSAMPLE, window=("kaiser", 6.0)) * OVERSAMPLE
).astype(np.float32)


def true_peak_envelope(samples: np.ndarray) -> np.ndarray:
    """For each sample, the largest magnitude of the signal around it, oversampled 4x."""
    if not len(samples):
        return np.abs(samples)
    delay = (len(_INTERPOLATOR) - 1) // 2
    # float32 throughout: the 4x signal of a long sentence is big, and precision to spare
    fine = np.abs(upfirdn(_INTERPOLATOR, samples.astype(np.float32), OVERSAMPLE))
    fine = fine[delay : delay + len(samples) * OVERSAMPLE]
    return fine.reshape(-1, OVERSAMPLE).max(axis=1)


def true_peak_db(samples: np.ndarray) -> float:
    peak = float(true_peak_envelope(samples).max(initial=0.0))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def apply_gain(samples: np.ndarray, gain_db: float, rate: int, ceiling_db: float) -> np.ndarray:
    """``samples`` made ``gain_db`` louder, with any peak that would pass the ceiling
    brought down smoothly (a look-ahead limiter: the reduction starts a few ms early)."""
    out = samples.astype(np.float32) * np.float32(10 ** (gain_db / 20))
    ceiling = 10 ** ((ceiling_db - LIMITER_MARGIN_DB) / 20)
    if not len(out) or np.abs(out).max() < ceiling * 10 ** (-SCREEN_DB / 20):
        return out.astype(np.float32)
    peaks = true_peak_envelope(out)
    if peaks.max() > ceiling:
        needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
        width = max(1, int(LIMITER_WINDOW_S * rate))
        # A minimum over ±width, then a mean over width: never less reduction than a
        # sample needs, also on its neighbours (whose peaks between samples it shapes),
        # and no step in the gain to click.
        out *= uniform_filter1d(minimum_filter1d(needed, 2 * width + 1), width)
    return out.astype(np.float32)
