"""``python -m srlm_engine.export CHECKPOINT [--out DIR]``: export one checkpoint to ONNX with a KV cache."""

from __future__ import annotations

import argparse
import sys
import warnings

from .exporter import EXPORTERS, export_checkpoint, result_json
from .loading import CheckpointError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srlm_engine.export", description=__doc__)
    parser.add_argument("checkpoint", help="checkpoint folder (HF layout, full weights or a LoRA adapter)")
    parser.add_argument("--out", help="output folder (default: CHECKPOINT/onnx)")
    parser.add_argument(
        "--base", help="base model folder of a LoRA checkpoint (default: the adapter's record)"
    )
    parser.add_argument("--exporter", choices=EXPORTERS, default="dynamo")
    parser.add_argument("--no-verify", action="store_true", help="skip the ONNX-vs-PyTorch logits check")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args(argv)
    # The exporters warn at length about tracing internals that do not affect this fixed-shape-free graph.
    warnings.filterwarnings("ignore")
    try:
        result = export_checkpoint(
            args.checkpoint,
            args.out,
            base=args.base,
            exporter=args.exporter,
            check=not args.no_verify,
            tolerance=args.tolerance,
        )
    except (CheckpointError, ValueError, OSError) as err:
        print(f"srlm_engine.export: {err}", file=sys.stderr)
        return 1
    print(result_json(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
