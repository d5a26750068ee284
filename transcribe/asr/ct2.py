"""Reading a CTranslate2 Whisper ``model.bin`` and converting it into an openai-whisper checkpoint.

Used by the reference engine (:mod:`transcribe.asr.openai_engine`) to run openai-whisper on the
*same* weights as the default faster-whisper engine: they ship only in CTranslate2 format.

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
"""

from __future__ import annotations

import base64
import gzip
import json
import struct
from typing import Any

import numpy as np

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


def alignment_dump(heads: list[list[int]], n_layer: int, n_head: int) -> bytes:
    """``heads`` in the encoding ``Whisper.set_alignment_heads`` takes (base85 of gzipped bool mask)."""
    mask = np.zeros((n_layer, n_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))

