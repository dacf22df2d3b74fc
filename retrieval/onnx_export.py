"""Exporting the sentence encoder to ONNX (float32, or int8 weights) once, offline.

`manage.py prepare_models` calls `exported_model` at setup; the ONNX encoder only ever
*finds* the file (`find_exported_model`), so no request, worker or test pays for an export.

What is exported is the whole sentence-transformers pipeline (transformer, pooling and
normalization, as the model folder's modules.json declares them) traced by torch's
TorchScript exporter, so the ONNX graph gives the same vector as `SentenceTransformer.encode`
(cosine 1.00000 on SQuAD chunks). Export needs only the local model folder, torch and onnx.

int8 is ONNX Runtime's dynamic quantization, per output channel, of the weight matrices only
(`int8_plan`). Two kinds of product are left in float32, because quantizing them is what
cost retrieval quality on SciFact (docs/evaluation.md, "Encoder backends"): products of two
activations (attention scores), and the feed-forward down-projections, whose inputs (GELU
outputs over 1,536 features) carry the outliers that one int8 scale per tensor cannot hold.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

OnnxPrecision = Literal["float32", "int8"]

# Bump when the exported graph or the quantization changes: the cache key changes with it,
# and so does the encoder identity that vectors carry (see `export_key`).
EXPORT_VERSION = 1
OPSET = 17
MODEL_FILE = "model.onnx"
SETTINGS_FILE = "encoder.json"  # what the runtime needs from sentence-transformers' config


def _weights_stamp(model_path: Path) -> str:
    """Path, sizes and mtimes of the folder's files: a replaced model gets a new key."""
    parts = [str(model_path.resolve())]
    for file in sorted(p for p in model_path.rglob("*") if p.is_file()):
        stat = file.stat()
        parts.append(f"{file.relative_to(model_path)}|{stat.st_size}|{stat.st_mtime_ns}")
    return "\n".join(parts)


def export_key(model_path: str | Path, precision: OnnxPrecision) -> str:
    """The folder name of one export: the model's files, the precision and EXPORT_VERSION."""
    model_path = Path(model_path)
    raw = f"{_weights_stamp(model_path)}|{precision}|v{EXPORT_VERSION}"
    return f"{model_path.name}-{precision}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def find_exported_model(model_path: str | Path, precision: OnnxPrecision, cache_dir: Path) -> Path | None:
    """The exported file for this model and precision if setup produced it, else None."""
    folder = Path(cache_dir) / "encoder-onnx" / export_key(model_path, precision)
    path = folder / MODEL_FILE
    return path if path.is_file() and (folder / SETTINGS_FILE).is_file() else None


def exported_max_seq_length(model_file: Path) -> int:
    """The maximum sequence length recorded beside an exported model."""
    return int(json.loads((model_file.parent / SETTINGS_FILE).read_text())["max_seq_length"])


def exported_model(model_path: str | Path, precision: OnnxPrecision, cache_dir: Path) -> Path:
    """The exported file for this model and precision, exporting it first if needed.

    Written into a temporary folder and renamed into place, so a crash or a concurrent
    `prepare_models` never leaves a half-written model under the final name.
    """
    found = find_exported_model(model_path, precision, cache_dir)
    if found is not None:
        return found
    root = Path(cache_dir) / "encoder-onnx"
    final = root / export_key(model_path, precision)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".exporting-", dir=root))
    try:
        log.info("exporting the encoder %s to ONNX (%s) into %s", model_path, precision, final)
        float_file = tmp / "float32.onnx"
        max_seq_length = export_float32(str(model_path), float_file)
        (tmp / SETTINGS_FILE).write_text(json.dumps({"max_seq_length": max_seq_length}))
        if precision == "int8":
            quantize_int8(float_file, tmp / MODEL_FILE)
            float_file.unlink()
        else:
            float_file.rename(tmp / MODEL_FILE)
        for path in tmp.iterdir():  # readable by a web server running as another user
            path.chmod(0o644)
        tmp.chmod(0o755)
        try:
            tmp.rename(final)
        except OSError:
            if find_exported_model(model_path, precision, cache_dir) is None:  # not a lost race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / MODEL_FILE


def export_float32(model_path: str, out_file: Path) -> int:
    """Trace the sentence-transformers model (all its modules) into one ONNX graph whose
    inputs are the tokenizer's and whose output is `sentence_embedding`; returns the model's
    maximum sequence length (the runtime truncates there, as sentence-transformers does)."""
    import torch
    from sentence_transformers import SentenceTransformer

    # Eager attention: its mask arithmetic traces into plain ONNX ops for any batch and length.
    model = SentenceTransformer(
        model_path, device="cpu", model_kwargs={"attn_implementation": "eager"}
    ).eval()
    if model.max_seq_length is None:
        raise ValueError(f"{model_path} does not declare its maximum sequence length")
    names = list(model.tokenizer.model_input_names)
    sample = model.tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
    inputs = tuple(sample[name] for name in names)

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            return self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]

    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with torch.no_grad():
        torch.onnx.export(
            Pipeline(),
            inputs,
            str(out_file),
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and it handles BERT
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=OPSET,
        )
    return int(model.max_seq_length)


def int8_plan(model_file: Path) -> tuple[list[str], list[str]]:
    """(MatMul nodes to quantize, MatMul nodes kept in float32) of a float32 graph.

    Quantized: products with a constant weight matrix that does not shrink its input
    (rows <= columns: queries, keys, values, attention output, feed-forward up-projection).
    Kept: products of two activations, and down-projections (rows > columns).
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_file)).graph
    weights = {init.name: numpy_helper.to_array(init).shape for init in graph.initializer}
    quantized, kept = [], []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        shape = weights.get(node.input[1])
        if shape is not None and len(shape) == 2 and shape[0] <= shape[1]:
            quantized.append(node.name)
        else:
            kept.append(node.name)
    return quantized, kept


def quantize_int8(float_file: Path, out_file: Path) -> None:
    """Dynamic int8 quantization (weights per output channel, activations per batch) of the
    MatMuls `int8_plan` picks."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantized, kept = int8_plan(float_file)
    if not quantized:
        raise ValueError(f"{float_file} has no weight products to quantize")
    quantize_dynamic(
        float_file,
        out_file,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=kept,
    )
