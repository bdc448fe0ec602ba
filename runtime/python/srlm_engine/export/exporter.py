"""Exports a checkpoint to ONNX with an explicit KV cache, verifies it against PyTorch, and writes it atomically.

Layout written to ``<checkpoint>/onnx`` (or ``--out``)::

    model.onnx, model.onnx.data   the graph and its fp32 weights (external data keeps big models under 2 GB)
    srlm_onnx.json                manifest: cache geometry, I/O names, EOS ids, verification error, source
    tokenizer files, chat_template.jinja, generation_config.json, meta.json   copied when present, so the
                                                                            folder stands alone
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from .kv_wrapper import KVCacheCausalLM, cache_geometry, example_inputs, input_names, output_names
from .loading import load_for_export

MANIFEST = "srlm_onnx.json"
FORMAT_VERSION = 1
COPIED_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
    "special_tokens_map.json",
    "generation_config.json",
    "meta.json",
)
EXPORTERS = ("dynamo", "torchscript")


@dataclass
class ExportResult:
    out_dir: str
    model_path: str
    exporter: str
    seconds: float
    max_abs_diff: float | None


def _eos_ids(model, folder: Path) -> list[int]:
    ids: list[int] = []

    def add(value) -> None:
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, int) and v not in ids:
                ids.append(v)

    add(getattr(model.config, "eos_token_id", None))
    gen = folder / "generation_config.json"
    if gen.is_file():
        add(json.loads(gen.read_text(encoding="utf-8")).get("eos_token_id"))
    return ids


def _export_graph(wrapper: KVCacheCausalLM, path: Path, exporter: str) -> None:
    layers = wrapper.num_layers
    # Traced with a non-empty past and seq > 1 so neither dimension is specialised to 0 or 1.
    args = example_inputs(wrapper.model.config, batch=1, seq=3, past=2)
    if exporter == "dynamo":
        from torch.export import Dim

        batch, seq, past, total = (
            Dim("batch", max=64),
            Dim("seq", max=32768),
            Dim("past", max=32768),
            Dim("total", max=65536),
        )
        shapes = (
            {0: batch, 1: seq},
            {0: batch, 1: total},
            {0: batch, 1: seq},
            tuple({0: batch, 2: past} for _ in range(2 * layers)),
        )
        program = torch.onnx.export(
            wrapper,
            args,
            input_names=input_names(layers),
            output_names=output_names(layers),
            dynamic_shapes=shapes,
            dynamo=True,
            optimize=True,
            verbose=False,
        )
        assert program is not None  # dynamo=True returns the exported program
        program.save(str(path), external_data=True)
    else:
        axes = {
            "input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "seq"},
            "logits": {0: "batch", 1: "seq"},
        }
        for name in input_names(layers)[3:]:
            axes[name] = {0: "batch", 2: "past"}
        for name in output_names(layers)[1:]:
            axes[name] = {0: "batch", 2: "total"}
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            input_names=input_names(layers),
            output_names=output_names(layers),
            dynamic_axes=axes,
            opset_version=18,
            dynamo=False,
        )


def verify(wrapper: KVCacheCausalLM, model_path: Path, cases=((5, 0), (1, 6), (3, 4))) -> tuple[float, float]:
    """Largest |ONNX − PyTorch| over logits and present tensors, for prefill (no past) and cached steps.

    Returns (absolute, scaled) where scaled divides by max(1, largest |PyTorch value|): fp32 reordering error grows
    with the magnitude of the values, so a model with large logits is judged on the scaled error.
    """
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    names = input_names(wrapper.num_layers)
    worst, scale = 0.0, 1.0
    for i, (seq, past) in enumerate(cases):
        ids, mask, pos, kv = example_inputs(wrapper.model.config, batch=1, seq=seq, past=past, seed=100 + i)
        with torch.no_grad():
            expected = wrapper(ids, mask, pos, kv)
        feeds = dict(zip(names, [t.numpy() for t in (ids, mask, pos, *kv)], strict=True))
        got = session.run(None, feeds)
        for g, e in zip(got, expected, strict=True):
            worst = max(worst, float(abs(torch.from_numpy(g) - e).max()))
            scale = max(scale, float(e.abs().max()))
    return worst, worst / scale


def export_checkpoint(
    checkpoint: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    base: str | os.PathLike | None = None,
    exporter: str = "dynamo",
    check: bool = True,
    tolerance: float = 1e-4,
) -> ExportResult:
    """Export ``checkpoint`` to ``out_dir`` (default ``<checkpoint>/onnx``), replacing any earlier export.

    Raises ``ValueError`` when the exported graph disagrees with PyTorch by more than ``tolerance`` (scaled by the
    largest value, see :func:`verify`); nothing is written in that case.
    """
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter must be one of {EXPORTERS}, not {exporter!r}")
    started = time.perf_counter()
    folder = Path(checkpoint).resolve()
    out = Path(out_dir).resolve() if out_dir is not None else folder / "onnx"
    model: Any = load_for_export(folder, None if base is None else Path(base))  # a transformers model
    wrapper = KVCacheCausalLM(model).eval()
    layers, kv_heads, head_dim = cache_geometry(model.config)

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    staging.chmod(0o755)
    try:
        model_path = staging / "model.onnx"
        with torch.no_grad():
            _export_graph(wrapper, model_path, exporter)
        diff, scaled = verify(wrapper, model_path) if check else (None, None)
        if scaled is not None and scaled > tolerance:
            raise ValueError(
                f"exported graph differs from PyTorch by {diff:.3g} ({scaled:.3g} relative to the largest value, "
                f"> {tolerance:g}); export discarded"
            )
        for name in COPIED_FILES:
            if (folder / name).is_file():
                shutil.copy2(folder / name, staging / name)
        manifest = {
            "format": "srlm-onnx-kv",
            "format_version": FORMAT_VERSION,
            "model": "model.onnx",
            "dtype": "float32",
            "exporter": exporter,
            "num_layers": layers,
            "num_kv_heads": kv_heads,
            "head_dim": head_dim,
            "vocab_size": int(model.config.vocab_size),
            "input_names": input_names(layers),
            "output_names": output_names(layers),
            "eos_token_ids": _eos_ids(model, folder),
            "max_abs_diff": diff,
            "max_scaled_diff": scaled,
            "source": str(folder),
            "lora_merged": (folder / "adapter_config.json").is_file(),
            "torch": torch.__version__,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        # Rename is the commit point: a reader sees the old export or the new one, never a half-written folder.
        if out.exists():
            trash = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(trash)
            staging.rename(out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(
        out_dir=str(out),
        model_path=str(out / "model.onnx"),
        exporter=exporter,
        seconds=round(time.perf_counter() - started, 3),
        max_abs_diff=diff,
    )


def result_json(result: ExportResult) -> str:
    return json.dumps(asdict(result))
