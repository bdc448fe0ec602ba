"""ONNX export of checkpoints with an explicit KV cache, for in-editor generation on onnxruntime-node.

The engine calls :func:`export_checkpoint` after saving a checkpoint when the plan asks for it; users can run
``python -m srlm_engine.export CHECKPOINT [--out DIR]`` on demand.
"""

from .exporter import MANIFEST, ExportResult, export_checkpoint
from .loading import CheckpointError

__all__ = ["MANIFEST", "CheckpointError", "ExportResult", "export_checkpoint"]
