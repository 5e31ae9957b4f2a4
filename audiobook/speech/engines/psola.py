"""New people from the offline voice: a pitch-synchronous overlap-add (TD-PSOLA) pitch
shift, a formant (vocal-tract length) shift by resampling each grain, and a spectral tilt.
numpy only, deterministic (the cache depends on it).

Pitch alone does not change who is speaking: a man's voice needs both a lower F0 and
formants about 15 % lower (Hillenbrand & Clark 2009). The acoustic model already predicts
F0 frame by frame; the engine passes it in as a guide, so pitch is not estimated blindly.

Pipeline: (1) period and voicing per 12.5 ms frame by normalised autocorrelation,
searched within ±25 % of an F0 guide (the acoustic model's own prediction, or else a
first unconstrained pass); (2) pitch marks, one per glottal period, each found by
correlating one period with the next, the run then centred on the energy peaks (the
glottal pulses); unvoiced stretches get marks at most 5 ms apart; (3) synthesis marks at
the new spacing (period / pitch factor) in voiced runs, unchanged in unvoiced ones, each
copying the nearest analysis grain (asymmetric Hann from the previous mark to the next),
so the duration is kept; (4) each grain resampled in time by 1 / formant factor about its
mark and overlap-added in one vectorised gather; (5) a slow gain (30 ms) that gives the
output the input's loudness contour. With both factors 1 the output equals the input.
numpy only; no per-sample Python loops (one short loop step per glottal period).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FRAME_S = 0.0125  # analysis hop (the mel hop of the offline voice)
WINDOW_S = 0.032  # autocorrelation window (5 periods at 150 Hz)
UNVOICED_HOP_S = 0.005  # mark spacing where there is no pitch
GUIDE_SPAN = 1.25  # the period search stays within guide / 1.25 .. guide * 1.25
PLAIN_HZ = (70.0, 450.0)  # search range where there is no guide
VOICING = 0.45  # normalised autocorrelation peak needed to call a frame voiced
MIN_VOICED_S = 0.025  # shorter voiced runs are treated as unvoiced
GAIN_WINDOW_S = 0.03  # loudness matching: power smoothed over this window
GAIN_RANGE = (0.25, 4.0)
GRAIN_BLOCK = 1024  # grains overlap-added in one vectorised gather
FRAME_BLOCK = 128  # frames autocorrelated in one FFT call


def transform(
    samples: np.ndarray,
    rate: int,
    pitch_factor: float,
    formant_factor: float,
    f0_hint: np.ndarray | None = None,
    hint_hop: int = 300,
    shift_unvoiced: bool = True,
) -> np.ndarray:
    """``samples`` with F0 times ``pitch_factor`` and formants times ``formant_factor``,
    same length. ``f0_hint``: expected F0 in Hz per ``hint_hop`` samples (NaN or 0 where
    unknown). ``shift_unvoiced``: also formant-shift the unvoiced grains."""
    x = np.asarray(samples, np.float64)
    if len(x) < int(WINDOW_S * rate) * 2:
        return np.asarray(samples, np.float32).copy()
    hop = int(FRAME_S * rate)
    period, voiced = track_periods(x, rate, hop, _hint_frames(f0_hint, hint_hop, hop, len(x)))
    marks, is_voiced = pitch_marks(x, rate, hop, period, voiced)
    out_marks, source = synthesis_marks(marks, is_voiced, pitch_factor)
    stretch = np.where(is_voiced[source] | shift_unvoiced, formant_factor, 1.0)
    y = overlap_add(x, marks, source, out_marks, stretch)
    return match_loudness(y, x, rate).astype(np.float32)


def _hint_frames(hint: np.ndarray | None, hint_hop: int, hop: int, n: int) -> np.ndarray:
    """The guide resampled to the analysis frames; NaN where unknown."""
    frames = n // hop + 1
    if hint is None or not np.isfinite(hint).any():
        return np.full(frames, np.nan)
    hint = np.where(np.asarray(hint, np.float64) > 0, hint, np.nan)
    known = np.isfinite(hint)
    at = np.arange(frames) * hop  # frame centres, in samples
    owner = np.minimum(at // hint_hop, len(hint) - 1)  # the hint frame holding each
    filled = np.interp(at, (np.flatnonzero(known) + 0.5) * hint_hop, hint[known])
    return np.where(known[owner], filled, np.nan)


def _autocorrelation(x: np.ndarray, hop: int, n: int) -> np.ndarray:
    """Normalised autocorrelation of Hann-windowed frames centred on k * hop, corrected for
    the window's own autocorrelation (Boersma 1993): a periodic frame peaks near 1."""
    padded = np.pad(x, (n // 2, n // 2 + hop))
    frames = sliding_window_view(padded, n)[::hop][: len(x) // hop + 1]
    window = np.hanning(n)
    size = 2 * n
    r = np.empty((len(frames), n // 2))
    for at in range(0, len(frames), FRAME_BLOCK):  # in blocks: the FFTs' memory stays small
        spectrum = np.fft.rfft(frames[at : at + FRAME_BLOCK] * window, size)
        r[at : at + FRAME_BLOCK] = np.fft.irfft(np.abs(spectrum) ** 2, size)[:, : n // 2]
    rw = np.fft.irfft(np.abs(np.fft.rfft(window, size)) ** 2, size)[: n // 2]
    return r / rw / np.maximum(r[:, :1] / rw[0], 1e-20)


def _best_lag(r: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Highest peak of each row within [low, high] lags, parabolic sub-sample position."""
    lags = np.arange(r.shape[1])
    inside = (lags >= low[:, None]) & (lags <= high[:, None])
    best = np.argmax(np.where(inside, r, -np.inf), axis=1).clip(1, r.shape[1] - 2)
    rows = np.arange(len(r))
    a, b, c = r[rows, best - 1], r[rows, best], r[rows, best + 1]
    curve = a - 2 * b + c
    delta = np.where(curve < 0, 0.5 * (a - c) / np.where(curve < 0, curve, -1), 0).clip(-0.5, 0.5)
    return best + delta, b


def track_periods(
    x: np.ndarray, rate: int, hop: int, guide_hz: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Period (samples) and voicing per frame. Frames with a guide search within
    ±25 % of it; the rest first get a plain estimate, then the same constrained search."""
    n = int(WINDOW_S * rate)
    r = _autocorrelation(x, hop, n)
    frames = len(r)
    known = np.isfinite(guide_hz)
    if not known.any():  # plain pass, low lags favoured a little against octave errors
        low = np.full(frames, rate / PLAIN_HZ[1])
        high = np.full(frames, min(rate / PLAIN_HZ[0], n // 2 - 2))
        tilt = 1.0 - 0.1 * np.arange(r.shape[1]) / r.shape[1]
        lag, strength = _best_lag(r * tilt, low, high)
        known = strength > 0.7
        guide_hz = rate / lag
        if not known.any():
            return np.full(frames, np.nan), np.zeros(frames, bool)
    # Frames without a guide search around their neighbours' guide.
    guide_hz = np.interp(np.arange(frames), np.flatnonzero(known), guide_hz[known])
    # A guide outside the search range (the model's F0 at an extreme setting) would leave
    # no lag to search.
    guide_hz = guide_hz.clip(*PLAIN_HZ)
    target = rate / guide_hz
    lag, strength = _best_lag(r, target / GUIDE_SPAN, np.minimum(target * GUIDE_SPAN, n // 2 - 2))
    loud = _frame_rms(x, hop, n) > 10 ** (-45 / 20) * np.max(np.abs(x))
    voiced = _drop_short_runs((strength > VOICING) & loud, int(MIN_VOICED_S / FRAME_S))
    return np.where(voiced, lag, np.nan), voiced


def _frame_rms(x: np.ndarray, hop: int, n: int) -> np.ndarray:
    padded = np.pad(x * x, (n // 2, n // 2 + hop))
    cumulative = np.concatenate([[0.0], np.cumsum(padded)])
    starts = np.arange(len(x) // hop + 1) * hop
    return np.sqrt((cumulative[starts + n] - cumulative[starts]) / n)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _drop_short_runs(mask: np.ndarray, shortest: int) -> np.ndarray:
    out = mask.copy()
    for start, stop in zip(*_runs(mask), strict=True):
        if stop - start < shortest:
            out[start:stop] = False
    return out


def pitch_marks(
    x: np.ndarray, rate: int, hop: int, period: np.ndarray, voiced: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Analysis marks (increasing, fractional sample positions) and whether each is
    voiced: the marks of each voiced run (see ``_run_marks``), and between runs filler
    marks at most 5 ms apart, from sample 0 to the last sample."""
    energy = _smooth(x * x, int(0.001 * rate))
    power = np.concatenate([[0.0], np.cumsum(x * x)])
    step = int(UNVOICED_HOP_S * rate)
    marks: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    last = -1.0  # the previous mark
    for first, stop in zip(*_runs(voiced), strict=True):
        run, good = _run_marks(x, power, energy, hop, period, first, stop)
        keep = (run > last + 1.0) & (run < len(x) - 2)
        run, good = run[keep], good[keep]
        if not len(run):
            continue
        filler = _fill(max(last, 0.0), run[0], step)[1 if last >= 0 else 0 :]
        marks += [filler, run]
        kinds += [np.zeros(len(filler), bool), good]
        last = run[-1]
    filler = _fill(max(last, 0.0), len(x) - 1.0, step)[1 if last >= 0 else 0 :]
    marks.append(np.append(filler, len(x) - 1.0))
    kinds.append(np.zeros(len(marks[-1]), bool))
    return np.concatenate(marks), np.concatenate(kinds)


def _fill(start: float, stop: float, step: int) -> np.ndarray:
    """Evenly spaced points from ``start`` (included) to ``stop`` (excluded), <= step apart."""
    count = max(int(np.ceil((stop - start) / step)), 1)
    return start + (stop - start) * np.arange(count) / count


def _run_marks(
    x: np.ndarray,
    power: np.ndarray,
    energy: np.ndarray,
    hop: int,
    period: np.ndarray,
    first: int,
    stop: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Marks of the voiced frames first..stop-1. Each mark after the first is at the lag
    (0.75-1.25 periods, parabolic sub-sample) whose one-period window correlates best with
    the current mark's, so all marks sit at the same phase of their periods: they cannot
    jump when the waveform changes shape. The run is then shifted by the median distance
    from its marks to the energy peaks of their periods, centring the grains on the
    glottal pulses. Weakly correlated marks at either end of the run count as unvoiced."""
    end = min(stop * hop, len(x) - 1)
    m = float(max(first * hop, int(period[first]) // 2 + 1))  # room for the first window
    seg, good = [m], [True]
    while True:  # one short correlation per glottal period
        t = period[min(int(m) // hop, stop - 1)]
        n, lo, hi = int(t), int(0.75 * t) - 1, int(1.25 * t) + 2
        a = round(m) - n // 2
        if n < 2 or a < 0 or a + hi + n > min(end + n, len(x)):
            break
        ref = x[a : a + n]
        c = np.correlate(x[a + lo : a + hi + n - 1], ref, "valid")
        norm = (power[a + lo + n : a + hi + n] - power[a + lo : a + hi]) * (ref @ ref)
        c /= np.sqrt(np.maximum(norm, 1e-20))
        k = int(np.argmax(c[1:-1])) + 1
        curve = c[k - 1] - 2 * c[k] + c[k + 1]
        delta = 0.5 * (c[k - 1] - c[k + 1]) / curve if curve < 0 else 0.0
        m = a + n // 2 + lo + k + min(max(delta, -0.5), 0.5)
        seg.append(m)
        good.append(bool(c[k] > VOICING))
    run, good_marks = np.array(seg), np.array(good)
    # Weak correlation only ends a run: inside it, the marks stay voiced.
    strong = np.flatnonzero(good_marks)
    good_marks[strong[0] : strong[-1] + 1] = True
    return run + _pulse_offset(energy, run), good_marks


def _pulse_offset(energy: np.ndarray, marks: np.ndarray) -> float:
    """Median distance from the marks to the energy peak of their periods."""
    if len(marks) < 2:
        return 0.0
    half = np.diff(marks).mean() / 2
    width = int(2 * half) + 1
    start = np.clip(np.round(marks - half).astype(np.int64), 0, len(energy) - width)
    peaks = start + np.argmax(energy[start[:, None] + np.arange(width)], axis=1)
    return float(np.median(peaks - marks))


def synthesis_marks(
    marks: np.ndarray, is_voiced: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Output mark positions and, for each, the index of the analysis grain it copies.
    In a voiced run, mark number k of the analysis sits at time m_k; the output puts its
    marks at fractional mark numbers 0, 1/factor, 2/factor, ... (linear between marks), so
    the spacing is the local period / factor and the run keeps its length. Each copies the
    grain of the nearest analysis mark (repeating or skipping grains). Factor 1 gives the
    analysis marks back. Unvoiced marks are kept as they are."""
    out: list[np.ndarray] = []
    src: list[np.ndarray] = []
    unvoiced = np.flatnonzero(~is_voiced)
    out.append(marks[unvoiced].astype(np.float64))
    src.append(unvoiced)
    for a, b in zip(*_runs(is_voiced), strict=True):
        index = np.arange(0.0, b - a - 1 + 1e-9, 1.0 / factor)
        out.append(np.interp(index, np.arange(b - a), marks[a:b].astype(np.float64)))
        src.append(a + np.round(index).astype(np.int64))
    order = np.argsort(np.concatenate(out), kind="stable")
    return np.concatenate(out)[order], np.concatenate(src)[order]


def overlap_add(
    x: np.ndarray,
    marks: np.ndarray,
    source: np.ndarray,
    out_marks: np.ndarray,
    stretch: np.ndarray,
) -> np.ndarray:
    """Each output mark gets its analysis grain (asymmetric Hann from the previous analysis
    mark to the next) resampled by 1 / stretch about the mark, gathered ``GRAIN_BLOCK``
    marks at a time (one gather for a whole chunk took tens of MB)."""
    left = np.diff(marks, prepend=marks[0] - 1)[source]
    right = np.diff(marks, append=marks[-1] + 1)[source]
    out = np.zeros(len(x))
    for at in range(0, len(source), GRAIN_BLOCK):
        block = slice(at, at + GRAIN_BLOCK)
        centre = marks[source[block]]
        out += _grains(x, centre, out_marks[block], left[block], right[block], stretch[block])
    return out


def _grains(
    x: np.ndarray,
    centre: np.ndarray,
    out_marks: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    stretch: np.ndarray,
) -> np.ndarray:
    reach_l, reach_r = np.ceil(left / stretch), np.ceil(right / stretch)
    width = int((reach_l + reach_r).max()) + 2
    base = np.floor(out_marks).astype(np.int64) - reach_l.astype(np.int64)
    where = base[:, None] + np.arange(width)[None, :]  # output samples around the mark
    u = (where - out_marks[:, None]) * stretch[:, None]  # the same point in the grain
    inside = (u > -left[:, None]) & (u < right[:, None])
    window = 0.5 + 0.5 * np.cos(np.pi * u / np.where(u < 0, left[:, None], right[:, None]))
    position = centre[:, None] + u
    keep = inside & (position >= 0) & (position <= len(x) - 1) & (where >= 0) & (where < len(x))
    pos = position[keep]
    low = np.floor(pos).astype(np.int64).clip(0, len(x) - 2)
    frac = pos - low
    values = (x[low] * (1 - frac) + x[low + 1] * frac) * window[keep]
    return np.bincount(where[keep], weights=values, minlength=len(x))


def match_loudness(y: np.ndarray, x: np.ndarray, rate: int) -> np.ndarray:
    """Give ``y`` the slow loudness contour of ``x``: the ratio of their powers smoothed
    over 30 ms (longer than three periods of a low male voice: no ripple at the pitch)."""
    n = int(GAIN_WINDOW_S * rate)
    power_x, power_y = _smooth(x * x, n), _smooth(y * y, n)
    floor = 1e-8 * max(power_x.max(), 1e-20)
    gain = np.sqrt((power_x + floor) / (power_y + floor)).clip(*GAIN_RANGE)
    return y * gain


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    """Centred triangular moving average, two passes of an n-sample box (zero outside)."""
    for _ in range(2):
        cumulative = np.concatenate([[0.0], np.cumsum(np.pad(x, (n // 2, n - n // 2)))])
        x = (cumulative[n:] - cumulative[:-n])[: len(x)] / n
    return x


def tilt(x: np.ndarray, rate: int, db_per_octave: float) -> np.ndarray:
    """Spectral tilt (voice quality: negative is darker): 0 dB up to 1 kHz, then
    ``db_per_octave`` per octave, in one zero-phase FFT pass over the clip (no ringing worth
    the name at these gentle slopes). The RMS is kept."""
    if not db_per_octave or not len(x):
        return x
    n = len(x)
    f = np.fft.rfftfreq(n, 1 / rate)
    gain_db = db_per_octave * np.log2(np.maximum(f, 1000.0) / 1000.0)
    y = np.fft.irfft(np.fft.rfft(x) * 10 ** (gain_db / 20), n)
    return (y * np.sqrt(np.mean(x * x) / max(np.mean(y * y), 1e-20))).astype(np.float32)
