"""Loudness: ITU-R BS.1770 integrated loudness, measured as audio streams past, and a
true-peak limiter, so that every chapter plays at one level whatever the voice.

The meter keeps only one number per 100 ms of audio (the K-weighted energy of that
slice), so a chapter of hours is measured in constant memory; gating blocks of 400 ms
are four consecutive slices. Filters follow the RBJ biquad design with the K-weighting
parameters pyloudnorm uses, so the two agree.

Only numpy is used: importing scipy.signal takes 2-3 s here, a tenth of a preview. The
K-weighting biquads are applied as the FIR of their impulse response (which has decayed
below 1e-10 after 100 ms), by FFT in single precision, carrying the tail from one piece
to the next; a pause is not filtered, only the tail before it rings on.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

SLICE_S = 0.1  # a gating block (400 ms) is 4 slices: the 75 % overlap of BS.1770
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
OVERSAMPLE = 4  # true peak: the peak of the signal between samples too
# Speech peaks between samples rise well under 2 dB above the sample peaks: a clip whose
# samples stay that far under the ceiling needs no (slow) oversampled look.
SCREEN_DB = 2.0
LIMITER_WINDOW_S = 0.004  # gain reductions are spread over this much either side
LIMITER_MARGIN_DB = 0.2  # aim under the ceiling: the interpolation is an estimate
K_WEIGHTING_S = 0.1  # length of the K-weighting impulse response kept


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


@cache
def k_weighting(rate: int) -> np.ndarray:
    """Impulse response of the two K-weighting biquads in a row."""
    filters = [
        _biquad("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0, rate),  # the head's effect
        _biquad("high_pass", 0.0, 0.5, 38.0, rate),  # RLB: low rumble counts little
    ]
    signal = [0.0] * round(K_WEIGHTING_S * rate)
    signal[0] = 1.0
    for b, a in filters:  # direct form I, once per rate: a few thousand steps
        out, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
        for x in signal:
            y = b[0] * x + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
            out.append(y)
            x1, x2, y1, y2 = x, x1, y, y1
        signal = out
    return np.array(signal)


_FFT_SIZE = 1 << 17  # the largest FFT the filter takes: 2 MB a buffer


class _Convolver:
    """Streaming FIR filter: each call returns as many samples as it is given."""

    def __init__(self, taps: np.ndarray) -> None:
        self.taps = taps
        self.carry = np.zeros(len(taps) - 1)
        self._spectra: dict[int, np.ndarray] = {}  # the taps' spectrum at each FFT size

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        block = _FFT_SIZE - len(self.taps) + 1  # what one FFT of that size filters whole
        if len(samples) > block:  # in blocks: the FFT of a long input takes a lot of memory
            return np.concatenate(
                [self(samples[i : i + block]) for i in range(0, len(samples), block)]
            )
        if not samples.any():  # a pause: only the tail of what came before rings on
            return self._silence(len(samples))
        size = 1 << (len(samples) + len(self.taps) - 2).bit_length()
        taps = self._spectra.get(size)
        if taps is None:
            taps = self._spectra[size] = np.fft.rfft(self.taps, size).astype(np.complex64)
        full = np.fft.irfft(np.fft.rfft(samples, size) * taps, size)
        full = full[: len(samples) + len(self.taps) - 1]
        full[: len(self.carry)] += self.carry
        self.carry = full[len(samples) :].copy()
        return full[: len(samples)]

    def _silence(self, count: int) -> np.ndarray:
        out = np.zeros(count)
        ringing = min(count, len(self.carry))
        out[:ringing] = self.carry[:ringing]
        self.carry = np.concatenate([self.carry[ringing:], np.zeros(ringing)])
        return out


class LoudnessMeter:
    """``meter.add(samples)`` as many times as needed, then ``meter.integrated()``."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._weight = _Convolver(k_weighting(rate))
        self._slice = round(SLICE_S * rate)
        self._partial = 0.0  # energy of the slice being filled
        self._filled = 0
        self._slices: list[float] = []  # energy (sum of squares) of each full slice

    def add(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        weighted = self._weight(samples.astype(np.float32))
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


def _lowpass(taps: int, cutoff: float, beta: float = 6.0) -> np.ndarray:
    """Kaiser-windowed sinc, ``cutoff`` a fraction of Nyquist, unit gain at DC (as
    scipy.signal.firwin makes it)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(taps, beta)
    return h / h.sum()


# 4x interpolation filter: 12 taps per phase is within 0.3 dB of scipy's resample_poly
# (81 taps for this ratio) on speech, at a fraction of the cost.
_INTERPOLATOR = (_lowpass(OVERSAMPLE * 12 + 1, 1 / OVERSAMPLE) * OVERSAMPLE).astype(np.float32)


def true_peak_envelope(samples: np.ndarray) -> np.ndarray:
    """For each sample, the largest magnitude of the signal around it, oversampled 4x
    (each of the 4 phases of the interpolator is a short convolution)."""
    if not len(samples):
        return np.abs(samples)
    # float32 throughout: the 4x signal of a long sentence is big, and precision to spare
    x = samples.astype(np.float32)
    phases = [np.convolve(x, _INTERPOLATOR[p::OVERSAMPLE]) for p in range(OVERSAMPLE)]
    length = min(len(p) for p in phases)
    fine = np.empty(length * OVERSAMPLE, np.float32)
    for p, phase in enumerate(phases):
        fine[p::OVERSAMPLE] = phase[:length]
    delay = (len(_INTERPOLATOR) - 1) // 2
    fine = np.abs(fine[delay : delay + len(x) * OVERSAMPLE])
    return fine.reshape(-1, OVERSAMPLE).max(axis=1)


def sliding_min(values: np.ndarray, size: int) -> np.ndarray:
    """The minimum over a centred window of odd ``size``, in linear time (van Herk /
    Gil-Werman: prefix and suffix minima within blocks of the window's size)."""
    half = size // 2
    padded_len = len(values) + 2 * half
    padded = np.pad(values, (half, half + (-padded_len) % size), constant_values=np.inf)
    blocks = padded.reshape(-1, size)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[: len(values)], prefix[size - 1 : size - 1 + len(values)])


def moving_average(values: np.ndarray, size: int) -> np.ndarray:
    """The mean over a centred window of ``size``, the edges repeated outwards."""
    padded = np.pad(values.astype(np.float64), (size // 2, size - 1 - size // 2), mode="edge")
    sums = np.concatenate([[0.0], np.cumsum(padded)])
    return ((sums[size:] - sums[:-size]) / size).astype(values.dtype)


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
        out *= moving_average(sliding_min(needed, 2 * width + 1), width)
    return out.astype(np.float32)
