"""Checkpoints: Hugging Face layout plus meta.json and the training state, written atomically.

A checkpoint folder is complete or absent. Everything is written into a hidden temporary folder beside the
target (`.tmp-<name>-<pid>-<ns>`, meta.json last), then published: a new name by one `os.rename`; an existing
one (`final/` of a re-run stage) by an atomic exchange where the OS has one (Linux `renameat2`), else by two
renames through `.old-<name>-<pid>-<ns>`. A process killed mid-save leaves temporaries and the previous
checkpoint untouched; killed between the two renames, it leaves no live folder but two complete copies, and
`recover` (run before every save and when a stage's folder is first opened) publishes the newer one instead of
deleting it. Layout:

    checkpoints/<stage>/step-000120/   config.json, model.safetensors (or adapter_*), tokenizer files,
                                       meta.json, training_state.pt (optimizer, scheduler, RNG, data position)
    checkpoints/<stage>/final/         the stage's result (LoRA merged into the weights), meta.json
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

STEP_RE = re.compile(r"^step-(\d+)$")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def derived_seed(seed: int, label: str, modulus: int = 2**63) -> int:
    """A seed for one named part of a run (a stage, an eval block), fixed by the pipeline seed and the label."""
    return (seed * 1_000_003 + zlib.crc32(label.encode())) % modulus


def seed_stage(pipeline_seed: int, stage: str) -> int:
    """Seeds python, numpy and torch (every device) for one stage from the pipeline seed and the stage's name, so
    that a stage draws the same stream whether the stages before it trained in this process, came from the
    stage cache, or ran in an earlier run (`--from`). Returns the seed."""
    seed = derived_seed(pipeline_seed, f"srlm-stage/{stage}", 2**32)  # numpy takes seeds below 2**32
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# The language's name pattern: a stage name becomes a folder, so anything else (`..`, a separator) is refused.
STAGE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_TEMP_RE = re.compile(r"^\.(tmp|old)-(.+)-(\d+)-(\d+)$")


def stage_dir(run_dir: Path, stage: str) -> Path:
    """`run_dir/checkpoints/<stage>`, for a stage name that is a name of the language (plan.json is a file in a
    run folder, which a workspace may carry forged: a name like `../../x` must not decide where we write), and
    neither folder a symbolic link (a committed `checkpoints/<stage> -> ~` would carry saves and prunes out)."""
    if not isinstance(stage, str) or not STAGE_NAME_RE.match(stage):
        raise ValueError(
            f"stage name {stage!r} is not a name (letters, digits, '_'); refusing to use it as a folder"
        )
    path = Path(run_dir) / "checkpoints" / stage
    for p in (path.parent, path):
        if p.is_symlink():
            raise ValueError(f"{p} is a symbolic link; checkpoints are only written inside the run folder")
    return path


def recover(root: Path) -> list[str]:
    """Publish or sweep what interrupted saves left in `root`; returns the names restored.

    For a name with no live folder, the newest complete leftover (meta.json present) becomes it: a finished
    `.tmp-` (the save being published) before an `.old-` (what it replaced). Everything else is removed."""
    if not root.is_dir():
        return []
    groups: dict[str, list[tuple[bool, int, Path]]] = {}
    for p in root.iterdir():
        m = _TEMP_RE.match(p.name)
        if m:
            groups.setdefault(m.group(2), []).append((m.group(1) == "tmp", int(m.group(4)), p))
    restored = []
    for name, items in groups.items():
        target = root / name
        if not target.exists():
            complete = sorted(it for it in items if (it[2] / "meta.json").is_file())
            if complete:
                best = complete[-1][2]
                os.rename(best, target)
                restored.append(name)
                items = [it for it in items if it[2] != best]
        for _, _, p in items:
            shutil.rmtree(p, ignore_errors=True)
    if restored:
        _fsync_dir(root)
    return restored


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux renameat2 RENAME_EXCHANGE); False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def save(
    root: Path,
    name: str,
    model,
    tokenizer,
    meta: dict,
    training_state: dict | None = None,
    merge_lora: bool = False,
    keep_last: int | None = None,
    before_publish=None,
    state_dict: dict | None = None,
) -> Path:
    """Write `root/name` atomically and return its path. `before_publish` is a test hook (kill point).

    `state_dict` replaces the model's own weights: a sharded (FSDP) model holds only its shard, so the caller
    gathers the full weights first."""
    root.mkdir(parents=True, exist_ok=True)
    recover(root)
    tmp = root / f".tmp-{name}-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    to_save = model
    if merge_lora and hasattr(model, "merge_and_unload"):
        # Merging mutates; merge a copy so training (or a following eval with the adapter) is unaffected.
        import copy

        to_save = copy.deepcopy(model).merge_and_unload()
    if state_dict is not None and getattr(to_save.config, "tie_word_embeddings", False):
        # Tied output weights are the input embedding; saved twice they would double a 0.5B model's largest
        # tensor on disk (transformers only drops the copy when it reads the weights itself).
        state_dict = {k: v for k, v in state_dict.items() if k != "lm_head.weight"}
    to_save.save_pretrained(tmp, safe_serialization=True, state_dict=state_dict)
    if state_dict is not None:
        _unwrap_architecture(tmp)
    if tokenizer is not None:
        tokenizer.save_pretrained(tmp)
    meta = {**meta, "format": "srlm-checkpoint-1", "saved_at": time.time(), "lora": _is_peft(to_save)}
    if training_state is not None:
        torch.save(training_state, tmp / "training_state.pt")
    # meta.json last: its presence inside a published folder is the completeness marker readers rely on.
    with open(tmp / "meta.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, default=str)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(tmp)
    if before_publish is not None:
        before_publish(tmp)
    target = root / name
    if target.exists():
        if _exchange(tmp, target):
            shutil.rmtree(tmp, ignore_errors=True)  # now the previous checkpoint
        else:
            # Killed between these renames, the folder has no `name` but two complete copies: recover() keeps one.
            old = root / f".old-{name}-{os.getpid()}-{time.monotonic_ns()}"
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, target)
    _fsync_dir(root)
    if keep_last:
        prune(root, keep_last)
    return target


def _unwrap_architecture(folder: Path) -> None:
    # transformers records the saving class's name; FSDP2 subclasses the model as `FSDP<Name>`, a class that
    # exists nowhere else, so the folder would name an architecture no loader knows.
    cfg_path = folder / "config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    archs = cfg.get("architectures") or []
    fixed = [a[len("FSDP") :] if a.startswith("FSDP") else a for a in archs]
    if fixed != archs:
        cfg["architectures"] = fixed
        cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _is_peft(model) -> bool:
    return hasattr(model, "peft_config")


def step_checkpoints(root: Path) -> list[tuple[int, Path]]:
    if not root.is_dir():
        return []
    out = []
    for p in root.iterdir():
        m = STEP_RE.match(p.name)
        if m and (p / "meta.json").is_file():
            out.append((int(m.group(1)), p))
    return sorted(out)


def prune(root: Path, keep_last: int) -> None:
    for _, p in step_checkpoints(root)[:-keep_last]:
        shutil.rmtree(p, ignore_errors=True)


def latest_step(root: Path) -> Path | None:
    steps = step_checkpoints(root)
    return steps[-1][1] if steps else None


def read_meta(path: Path) -> dict:
    return json.loads((Path(path) / "meta.json").read_text(encoding="utf-8"))


def _state_globals() -> list:
    # What the numpy RNG state (a uint32 key array) needs beyond tensors, containers and numbers.
    core: Any = getattr(np, "_core", None) or np.core
    kinds = (np.uint32, np.int64, np.float64, np.float32, np.int32, np.uint8, np.bool_)
    return [np.ndarray, np.dtype, core.multiarray._reconstruct, *{type(np.dtype(k)) for k in kinds}]


def load_training_state(path: Path) -> dict:
    # weights_only: training_state.pt lies in a run folder, which a workspace may carry forged, and a full
    # unpickle runs whatever the file names. Tensors, containers, numbers and numpy arrays are all it holds.
    with torch.serialization.safe_globals(_state_globals()):
        return torch.load(Path(path) / "training_state.pt", map_location="cpu", weights_only=True)


def load_weights_into(model, path: Path) -> None:
    """Restore a step checkpoint's weights into an already-built model (full or LoRA-wrapped)."""
    from safetensors.torch import load_file

    path = Path(path)
    if (path / "adapter_model.safetensors").is_file():
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(model, load_file(str(path / "adapter_model.safetensors")))
        return
    missing, unexpected = model.load_state_dict(read_weights(path), strict=False)
    # Tied embeddings are saved once; a missing lm_head is expected then, anything else is corruption.
    missing = [k for k in missing if not k.endswith("lm_head.weight")]
    if missing or unexpected:
        raise RuntimeError(
            f"{path}: checkpoint does not match the model (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )


def read_weights(path: Path) -> dict:
    """A full-model checkpoint's weights (every safetensors shard), on the CPU."""
    from safetensors.torch import load_file

    files = sorted(Path(path).glob("model*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{path}: no model.safetensors in checkpoint")
    state = {}
    for f in files:
        state.update(load_file(str(f)))
    return state
