"""The reference ASR engine: OpenAI's ``openai-whisper`` (PyTorch) on the bundled weights, offline.

``--engine openai-whisper`` runs the reference implementation on the *same*
weights as the default faster-whisper engine. Those weights ship only in
CTranslate2 format (``model.bin``, see :func:`transcribe.asr.bundled_model_files`),
so they are converted once into an openai-whisper checkpoint (the ``{"dims",
"model_state_dict"}`` dict that ``whisper.load_model(path)`` reads), cached on
disk, and loaded from there on later runs. Nothing is downloaded: the tokenizer
(``*.tiktoken``) and mel filters ship inside the ``openai-whisper`` package.

Sources of the mapping:

* The ``model.bin`` layout is the one written by
  ``ctranslate2/specs/model_spec.py`` (``ModelSpec._serialize``) and read by
  CTranslate2's ``src/models/model.cc`` (``Model::load``): binary version, spec
  name, spec revision, variable count, then for each variable its name, rank,
  dims, dtype id and byte count followed by the raw little-endian data, then
  the aliases (name, target name).
* The variable names come from ``ctranslate2/specs/whisper_spec.py`` and
  ``WhisperLoader`` in ``ctranslate2/converters/transformers.py`` (via the
  Hugging Face model, whose layers are renamed copies of OpenAI's). The converter
  fuses self-attention q/k/v into one linear (rows ``[q; k; v]``) and
  cross-attention k/v into one (rows ``[k; v]``); the key projection has no bias
  in Whisper, so its part of a fused bias is zeros and is dropped here.
  Attention scaling is applied at run time by both implementations, so no
  weight is rescaled. Conv weights keep PyTorch's ``(out, in, kernel)`` layout.
  The output projection is an alias of the token embedding (tied, as in
  openai-whisper).

Needs the project's optional extra ``openai`` (``pip install '.[openai]'``: ``torch`` and ``openai-whisper``).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from transcribe.asr import SAMPLE_RATE, Segment, Word
from transcribe.errors import TranscribeError

NOT_INSTALLED = ("openai-whisper engine not installed: in the project folder, "
                 "pip install '.[openai]'")
"""Message of the :class:`TranscribeError` raised when ``torch``/``whisper`` are missing."""
REDECODE_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)
"""Temperatures :meth:`OpenAIWhisperEngine.redecode` samples with (no greedy/beam pass at 0)."""
CHECKPOINT_FORMAT = 1
"""Bumped when the conversion changes, so that old cache files are not reused."""

_SUPPORTED_BINARY_VERSION = 6
# DataType ids, in the order of include/ctranslate2/types.h (see _dtype_to_type_id in model_spec.py).
_DTYPES: dict[int, str] = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16", 5: "bfloat16"}
_ITEM_SIZE = {"float32": 4, "int8": 1, "int16": 2, "int32": 4, "float16": 2, "bfloat16": 2}


# --------------------------------------------------------------------------- reading model.bin


class _Reader:
    """Little-endian cursor over ``bytes``; raises ``ValueError`` past the end."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"model.bin truncated at byte {self.pos} (wanted {n} more)")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def uint(self, fmt: str) -> int:
        size = struct.calcsize("<" + fmt)
        return int(struct.unpack("<" + fmt, self.take(size))[0])

    def string(self) -> str:
        # uint16 length (the NUL terminator included), the UTF-8 bytes, NUL.
        n = self.uint("H")
        raw = bytes(self.take(n))
        if n == 0 or raw[-1] != 0:
            raise ValueError(f"model.bin: bad string at byte {self.pos - n}")
        return raw[:-1].decode("utf-8")


def _parse_ct2(data: bytes) -> tuple[str, int, dict[str, np.ndarray]]:
    """``(spec name, spec revision, variables)`` of a CTranslate2 ``model.bin``; see :func:`read_ct2_model`."""
    r = _Reader(data)
    version = r.uint("I")
    if not 4 <= version <= _SUPPORTED_BINARY_VERSION:
        # Versions < 4 store an item size instead of a dtype id; no Whisper model was ever saved so.
        raise ValueError(f"model.bin: unsupported CTranslate2 binary version {version} "
                         f"(this reader handles 4..{_SUPPORTED_BINARY_VERSION})")
    spec = r.string()
    revision = r.uint("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(r.uint("I")):
        name = r.string()
        rank = r.uint("B")
        shape = tuple(r.uint("I") for _ in range(rank))
        type_id = r.uint("B")
        num_bytes = r.uint("I")
        if type_id not in _DTYPES:
            raise ValueError(f"model.bin: variable {name} has unknown dtype id {type_id}")
        dtype = _DTYPES[type_id]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if num_bytes != count * _ITEM_SIZE[dtype]:
            raise ValueError(f"model.bin: variable {name} {shape} {dtype} has {num_bytes} bytes")
        raw = r.take(num_bytes)
        if dtype == "bfloat16":  # numpy has none: widen to float32 (bf16 is float32's high half)
            array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        variables[name] = array.reshape(shape)
    for _ in range(r.uint("I")):
        alias, target = r.string(), r.string()
        if target not in variables:
            raise ValueError(f"model.bin: alias {alias} names missing variable {target}")
        variables[alias] = variables[target]
    if r.pos != len(r.data):
        raise ValueError(f"model.bin: {len(r.data) - r.pos} unexpected bytes after the aliases")
    return spec, revision, variables


def read_ct2_model(data: bytes) -> dict[str, np.ndarray]:
    """Read the variables of a CTranslate2 ``model.bin`` (binary versions 4 to 6).

    Args:
        data: the whole file's bytes.

    Returns:
        ``{name: array}`` with CTranslate2's scoped names, e.g.
        ``"encoder/conv1/weight"`` of shape ``(512, 80, 3)`` or
        ``"decoder/layer_0/self_attention/linear_0/weight"`` ``(1536, 512)`` for
        Whisper base. Arrays keep the stored dtype (float16 for the bundled
        model; bfloat16 is widened to float32) and are read-only views of
        ``data`` (copy before writing). Scalars (``decoder/num_heads``…) are 0-d
        arrays. Aliases appear under their own name as the same array
        (``decoder/projection/weight`` is ``decoder/embeddings/weight``).

    Raises:
        ValueError: not a CTranslate2 model of a supported binary version,
            truncated, or inconsistent sizes.
    """
    return _parse_ct2(data)[2]


# --------------------------------------------------------------------------- conversion


def _float(variables: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Variable ``name`` as a float array, dequantized when stored as int8/int16 with ``name_scale``."""
    if name not in variables:
        raise ValueError(f"model.bin has no variable {name} (not a Whisper model?)")
    value = variables[name]
    if value.dtype.kind in "iu":
        scale = variables.get(name + "_scale")
        if scale is None:
            raise ValueError(f"model.bin: integer variable {name} has no {name}_scale")
        scale = np.asarray(scale, dtype=np.float32)
        scale = scale.reshape(scale.shape + (1,) * (value.ndim - scale.ndim))
        value = value.astype(np.float32) / scale  # quantized = rint(value * scale), per output row
    return value


def _scalar(variables: dict[str, np.ndarray], name: str, default: int) -> int:
    value = variables.get(name)
    return int(value) if value is not None and value.size == 1 else default


def _count_layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/ffn/linear_0/weight" in variables:
        n += 1
    return n


def convert_to_openai(files: dict[str, bytes]) -> dict[str, Any]:
    """Convert a CTranslate2 Whisper model into an openai-whisper checkpoint.

    Args:
        files: ``{"model.bin": bytes, "config.json": bytes, ...}`` as returned by
            :func:`transcribe.asr.bundled_model_files` (``config.json`` is
            optional; without it, openai-whisper's default alignment heads, the
            last half of the decoder layers, are used).

    Returns:
        ``{"dims": {...}, "model_state_dict": {name: torch.Tensor},
        "alignment_heads": [[layer, head], ...], "format": CHECKPOINT_FORMAT}``.
        ``dims`` has openai-whisper's ``ModelDimensions`` fields (n_mels 80,
        n_audio_ctx 1500, n_audio_state 512, n_audio_head 8, n_audio_layer 6,
        n_vocab 51865, n_text_ctx 448, n_text_state 512, n_text_head 8,
        n_text_layer 6 for base). Tensors keep the stored precision (float16 for
        the bundled model; dequantized int8 weights become float32). The dict
        holds only tensors, ints and lists, so ``torch.load(weights_only=True)``
        (what ``whisper.load_model`` uses) reads it.

    Raises:
        ValueError: ``model.bin`` missing, unreadable, or not a Whisper model.
        ImportError: ``torch`` is not installed.
    """
    import torch

    if "model.bin" not in files:
        raise ValueError("no model.bin among the model files")
    spec, _revision, v = _parse_ct2(files["model.bin"])
    if spec != "WhisperSpec":
        raise ValueError(f"model.bin is a CTranslate2 {spec or 'unnamed'} model, not Whisper")

    state: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str, bias: bool = True) -> None:
        state[f"{dst}.weight"] = _float(v, f"{src}/weight")
        if bias:
            state[f"{dst}.bias"] = _float(v, f"{src}/bias")

    def layer_norm(dst: str, src: str) -> None:
        state[f"{dst}.weight"] = _float(v, f"{src}/gamma")
        state[f"{dst}.bias"] = _float(v, f"{src}/beta")

    def split(src: str, parts: tuple[str, ...], dst: str) -> None:
        """A fused linear (rows stacked in ``parts`` order) back into per-projection linears."""
        weight, bias = _float(v, f"{src}/weight"), _float(v, f"{src}/bias")
        if weight.shape[0] % len(parts) or bias.shape[0] != weight.shape[0]:
            raise ValueError(f"model.bin: {src} has {weight.shape[0]} rows, not {len(parts)} equal parts")
        n = weight.shape[0] // len(parts)
        for i, part in enumerate(parts):
            state[f"{dst}.{part}.weight"] = weight[i * n:(i + 1) * n]
            if part != "key":  # Whisper's key projection has no bias (CTranslate2 stores zeros)
                state[f"{dst}.{part}.bias"] = bias[i * n:(i + 1) * n]

    def block(dst: str, src: str, cross: bool) -> None:
        split(f"{src}/self_attention/linear_0", ("query", "key", "value"), f"{dst}.attn")
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        layer_norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
            split(f"{src}/attention/linear_1", ("key", "value"), f"{dst}.cross_attn")
            linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            layer_norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        layer_norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    state["encoder.positional_embedding"] = _float(v, "encoder/position_encodings/encodings")
    n_audio_layer = _count_layers(v, "encoder")
    for i in range(n_audio_layer):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    layer_norm("encoder.ln_post", "encoder/layer_norm")

    state["decoder.token_embedding.weight"] = _float(v, "decoder/embeddings/weight")
    state["decoder.positional_embedding"] = _float(v, "decoder/position_encodings/encodings")
    n_text_layer = _count_layers(v, "decoder")
    for i in range(n_text_layer):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    layer_norm("decoder.ln", "decoder/layer_norm")

    conv1 = state["encoder.conv1.weight"]
    n_audio_ctx, n_audio_state = state["encoder.positional_embedding"].shape
    n_vocab, n_text_state = state["decoder.token_embedding.weight"].shape
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(n_audio_ctx),
        "n_audio_state": int(n_audio_state),
        "n_audio_head": _scalar(v, "encoder/num_heads", int(n_audio_state) // 64),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(n_vocab),
        "n_text_ctx": int(state["decoder.positional_embedding"].shape[0]),
        "n_text_state": int(n_text_state),
        "n_text_head": _scalar(v, "decoder/num_heads", int(n_text_state) // 64),
        "n_text_layer": n_text_layer,
    }
    if n_audio_layer == 0 or n_text_layer == 0:
        raise ValueError("model.bin: no encoder or decoder layers found")

    heads: list[list[int]] = []
    if "config.json" in files:
        try:
            config = json.loads(files["config.json"])
            heads = [[int(layer), int(head)] for layer, head in config.get("alignment_heads") or []]
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"config.json: unreadable alignment_heads ({exc})") from exc
    if any(not (0 <= layer < n_text_layer and 0 <= head < dims["n_text_head"]) for layer, head in heads):
        raise ValueError(f"config.json: alignment_heads out of range: {heads}")

    tensors = {name: torch.from_numpy(np.array(value, copy=True)) for name, value in state.items()}
    return {"dims": dims, "model_state_dict": tensors, "alignment_heads": heads,
            "format": CHECKPOINT_FORMAT}


def _alignment_dump(heads: list[list[int]], n_layer: int, n_head: int) -> bytes:
    """``heads`` in the encoding ``Whisper.set_alignment_heads`` takes (base85 of gzipped bool mask)."""
    mask = np.zeros((n_layer, n_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


# --------------------------------------------------------------------------- the engine


class OpenAIWhisperEngine:
    """openai-whisper's ``Whisper`` model on CPU, converted from a CTranslate2 model.

    Attributes:
        name: the engine's ``--engine`` value.
        model: the loaded ``whisper.model.Whisper`` (float32 on CPU).
        path: the cached checkpoint it was loaded from.
    """

    name = "openai-whisper"

    def __init__(self, model: Any, path: Path, beam_size: int = 5) -> None:
        self.model = model
        self.path = path
        self.beam_size = beam_size

    @classmethod
    def load(cls, files: dict[str, bytes], model_sha256: str, cache_dir: Path,
             threads: int = 0, beam_size: int = 5) -> "OpenAIWhisperEngine":
        """Convert ``files`` once to ``cache_dir/openai-whisper-<sha[:16]>.pt`` and load it.

        The checkpoint is written to a temporary file in ``cache_dir`` and moved
        into place with ``os.replace``, so a crash never leaves a partial cache
        file; a cached file that fails to load is converted again.

        Args:
            files: CTranslate2 Whisper model files (see :func:`convert_to_openai`).
            model_sha256: hex SHA-256 of ``files["model.bin"]``; names the cache file.
            cache_dir: where the converted checkpoint lives (created if missing).
            threads: PyTorch CPU threads (``torch.set_num_threads``); 0 keeps its default.
            beam_size: decoder beam width at temperature 0 (1 = greedy).

        Raises:
            TranscribeError: torch/openai-whisper not installed, the model cannot
                be converted, or the cache directory cannot be written.
        """
        try:
            import torch
            import whisper
        except ImportError as exc:
            raise TranscribeError(NOT_INSTALLED) from exc
        if threads > 0:
            torch.set_num_threads(threads)
        cache_dir = Path(cache_dir)
        path = cache_dir / f"openai-whisper-{model_sha256[:16]}.pt"
        if path.is_file():
            try:
                return cls(cls._load_checkpoint(whisper, torch, path), path, beam_size)
            except Exception:  # damaged or from an older conversion: convert again below
                pass
        try:
            checkpoint = convert_to_openai(files)
        except ValueError as exc:
            raise TranscribeError(f"cannot convert the model for openai-whisper: {exc}") from exc
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=cache_dir)
            try:
                with os.fdopen(fd, "wb") as out:
                    torch.save(checkpoint, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TranscribeError(f"{cache_dir}: cannot write the openai-whisper model cache "
                                  f"({exc.strerror or exc})") from exc
        del checkpoint
        try:
            return cls(cls._load_checkpoint(whisper, torch, path), path, beam_size)
        except Exception as exc:
            raise TranscribeError(f"{path}: openai-whisper cannot load the converted model "
                                  f"({' '.join(str(exc).split())[:160]})") from exc

    @staticmethod
    def _load_checkpoint(whisper: Any, torch: Any, path: Path) -> Any:
        """``whisper.load_model(path)`` plus the alignment heads stored beside the weights."""
        meta = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{path}: checkpoint format {meta.get('format')}, want {CHECKPOINT_FORMAT}")
        heads = meta.get("alignment_heads") or []
        del meta
        model = whisper.load_model(str(path), device="cpu")
        if heads:
            model.set_alignment_heads(_alignment_dump(heads, model.dims.n_text_layer, model.dims.n_text_head))
        return model.eval()

    def detect_language(self, speech: np.ndarray) -> str:
        """The spoken language (ISO 639-1, e.g. ``"en"``) by Whisper's language-ID head.

        Args:
            speech: ``(n,)`` float32 samples at 16 kHz, speech only (VAD applied
                by the caller); the first 30 s are used, shorter input is padded.
        """
        return self.detect_language_probability(speech)[0]

    def detect_language_probability(self, speech: np.ndarray) -> tuple[str, float]:
        """``(code, probability)`` of the most likely language (as :meth:`detect_language`)."""
        import torch
        import whisper

        audio = whisper.pad_or_trim(np.array(speech, dtype=np.float32, copy=True).reshape(-1))
        mel = whisper.log_mel_spectrogram(audio, n_mels=self.model.dims.n_mels)
        with torch.inference_mode():
            _tokens, probs = whisper.detect_language(self.model, mel)
        best = max(probs, key=probs.get)
        return best, float(probs[best])

    def transcribe_chunks(self, samples: np.ndarray, chunks: list[tuple[float, float]], *,
                          language: str, task: str, prompt: str | None) -> list[list[Segment]]:
        """Transcribe each chunk of ``samples`` on its own (no text carried between chunks).

        Args:
            samples: ``(n,)`` float32 at 16 kHz.
            chunks: ``(start_s, end_s)`` seconds within ``samples``, each meant to
                be at most 30 s (one Whisper window; longer ones are decoded in
                several windows).
            language: ISO 639-1 code of the speech.
            task: ``"transcribe"`` or ``"translate"``.
            prompt: text given as ``initial_prompt`` to every chunk, or ``None``.

        Returns:
            One list of segments per chunk, in order, with times in seconds from
            ``samples[0]`` (chunk start added, clipped to the chunk) and word
            timings; segments whose stripped text is empty are left out.

        Raises:
            ValueError: a chunk with ``end_s <= start_s`` or ``start_s < 0``.
        """
        return [self._decode(samples, chunk, language=language, task=task, prompt=prompt)
                for chunk in chunks]

    def redecode(self, samples: np.ndarray, chunk: tuple[float, float], *,
                 language: str, task: str, prompt: str | None) -> list[Segment]:
        """One chunk of :meth:`transcribe_chunks`, sampled at :data:`REDECODE_TEMPERATURES` only.

        For a chunk whose first decoding looped: skipping temperature 0 makes
        Whisper sample, which usually breaks the repetition.
        """
        return self._decode(samples, chunk, language=language, task=task, prompt=prompt,
                            temperature=REDECODE_TEMPERATURES)

    def _decode(self, samples: np.ndarray, chunk: tuple[float, float], *, language: str, task: str,
                prompt: str | None, temperature: tuple[float, ...] | None = None) -> list[Segment]:
        """Decode ``samples[chunk]``; ``temperature=None`` is openai-whisper's default fallback
        (0.0, then 0.2 … 1.0 when the text is too repetitive or too unlikely). Sampling is
        seeded from the chunk's place, so a resumed run decodes it as an uninterrupted one."""
        import torch

        start_s, end_s = float(chunk[0]), float(chunk[1])
        if start_s < 0 or end_s <= start_s:
            raise ValueError(f"bad chunk ({start_s}, {end_s}): want 0 <= start < end")
        a, b = int(round(start_s * SAMPLE_RATE)), int(round(end_s * SAMPLE_RATE))
        piece = np.array(samples[a:b], dtype=np.float32, copy=True).reshape(-1)
        if piece.size == 0:
            return []
        torch.manual_seed(a)
        with torch.inference_mode():
            result = self.model.transcribe(
                piece, language=language, task=task, word_timestamps=True,
                condition_on_previous_text=False, initial_prompt=prompt, fp16=False,
                beam_size=self.beam_size if self.beam_size > 1 else None, best_of=5, verbose=None,
                **({} if temperature is None else {"temperature": temperature}))
        end_s = min(end_s, start_s + piece.size / SAMPLE_RATE)

        def at(t: float) -> float:
            return round(min(start_s + float(t), end_s), 3)

        segments: list[Segment] = []
        for seg in result["segments"]:
            text = seg["text"].strip()
            if not text:
                continue
            words = [Word(at(w["start"]), at(w["end"]), w["word"], round(float(w["probability"]), 4))
                     for w in seg.get("words") or []]
            segments.append(Segment(at(seg["start"]), at(seg["end"]), text, words))
        return segments
