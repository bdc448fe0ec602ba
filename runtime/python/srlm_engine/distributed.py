"""Running one engine as several `torchrun` processes: the process group, data-parallel gradient averaging,
FSDP sharding, and the few collectives the stages need (a shared stop decision, metric averages, gathering
per-rank state into rank 0's checkpoint).

Every function here is a no-op (or the identity) in a single process, so callers need no `if world > 1`.
Collectives must be reached by every rank in the same order: a function that is one says so.
"""

from __future__ import annotations

import os
from typing import Any

import torch

_OWNED = {"group": False}


def init() -> tuple[int, int]:
    """(rank, world size) from the torchrun environment, joining the process group when there are peers."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "gloo"
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            # Each rank's CUDA work (NCCL included) must default to its own GPU, or every rank lands on GPU 0. A
            # `device = cpu` run may have more ranks than GPUs; those ranks never touch CUDA.
            if local < torch.cuda.device_count():
                torch.cuda.set_device(local)
            # The group is made before the plan (and its device) is read: CPU tensors go over gloo, CUDA tensors
            # over NCCL, so both a GPU run and `device = cpu` on a GPU machine work.
            backend = "cpu:gloo,cuda:nccl"
        torch.distributed.init_process_group(backend)
        _OWNED["group"] = True
    return int(os.environ.get("RANK", "0")), world


def leave(wait: bool) -> None:
    # Ranks that finished leave together and tear the process group down explicitly: a rank that exits while a
    # peer still saves or evaluates, or a gloo group destroyed at interpreter exit, can abort the job (seen as
    # SIGABRT). A failed rank does not wait: its peers may be blocked in a collective it will never join, and
    # torchrun ends them when it exits. A group this module did not create (vLLM makes a one-process group of
    # its own) is left alone.
    if _OWNED["group"] and torch.distributed.is_initialized():
        try:
            if wait:
                torch.distributed.barrier()
        finally:
            torch.distributed.destroy_process_group()
            _OWNED["group"] = False


def active() -> bool:
    """Several ranks are training together (a one-process group, such as vLLM's, is not several ranks)."""
    return (
        torch.distributed.is_available()
        and torch.distributed.is_initialized()
        and torch.distributed.get_world_size() > 1
    )


def _device_for_collectives():
    # The engine's own small collectives (a flag, a few metrics) go over gloo on the CPU whenever the group has
    # it; a group made by an embedding program with NCCL alone needs CUDA tensors.
    if active() and torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def any_rank(flag: bool) -> bool:
    """True on every rank when it is true on any (a collective). A stop signal reaches ranks at different
    moments; without one shared decision a stopping rank leaves its peers blocked in the next all-reduce."""
    if not active():
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=_device_for_collectives())
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return bool(t.item() > 0)


def sum_across(value: float) -> float:
    """The sum of `value` over ranks (a collective)."""
    if not active():
        return value
    t = torch.tensor([float(value)], dtype=torch.float64, device=_device_for_collectives())
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
    return float(t.item())


def reduce_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """Per-rank metrics combined over ranks (a collective): `*_max` keys take the maximum, the rest the mean.
    Every rank must pass the same keys."""
    if not active() or not metrics:
        return metrics
    keys = sorted(metrics)
    dev = _device_for_collectives()
    maxed = [k for k in keys if k.endswith("_max")]
    meaned = [k for k in keys if not k.endswith("_max")]
    out = dict(metrics)
    for names, op in ((meaned, torch.distributed.ReduceOp.SUM), (maxed, torch.distributed.ReduceOp.MAX)):
        if not names:
            continue
        t = torch.tensor([float(metrics[k]) for k in names], dtype=torch.float64, device=dev)
        torch.distributed.all_reduce(t, op=op)
        if op == torch.distributed.ReduceOp.SUM:
            t /= torch.distributed.get_world_size()
        out.update({k: float(v) for k, v in zip(names, t.tolist(), strict=True)})
    return out


def gather_to_main(obj):
    """Every rank's `obj` as a list on rank 0, None elsewhere (a collective). Tensors are moved to the CPU
    first so rank 0 never receives another rank's CUDA tensors."""
    obj = to_cpu(obj)
    if not active():
        return [obj]
    rank = torch.distributed.get_rank()
    out = [None] * torch.distributed.get_world_size() if rank == 0 else None
    torch.distributed.gather_object(obj, out, dst=0)
    return out


def to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


# ---------------------------------------------------------------------------------------------- replicas


def average_gradients(params: list, world_size: int) -> None:
    """Data-parallel step without a DDP wrapper: every rank steps with the mean gradient over ranks.

    Simpler than DDP (no bucketing or overlap with backward) and exact for any model, LoRA and frozen parts
    included; the cost is one all-reduce per parameter after backward, acceptable for ~0.5B models."""
    for p in params:
        # A parameter the loss did not reach has no gradient on any rank (same model, same graph): skip it, as
        # the optimizer does, rather than give it a zero gradient that AdamW would still act on.
        if p.grad is None:
            continue
        torch.distributed.all_reduce(p.grad, op=torch.distributed.ReduceOp.SUM)
        p.grad.div_(world_size)


def replica_checksums(model, world_size: int) -> list[float]:
    """Each rank's sum of its parameters (float64), gathered on every rank (a collective)."""
    with torch.no_grad():
        local = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().reshape(1)
    local = local.to(next(model.parameters()).device)
    gathered = [torch.zeros_like(local) for _ in range(world_size)]
    torch.distributed.all_gather(gathered, local)
    return [float(t.item()) for t in gathered]


# ---------------------------------------------------------------------------------------------- FSDP


def decoder_layers(model) -> list[torch.nn.Module]:
    """The repeated transformer blocks: FSDP's unit of sharding (one all-gather per block in forward)."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if layers is not None:
        return list(layers)
    return [m for m in model.modules() if type(m).__name__.endswith("DecoderLayer")]


def shard(model):
    """Shard parameters, gradients and optimizer state over ranks with FSDP2 (`fully_shard`), per decoder layer
    and then the rest (embeddings, final norm, LM head). Gradients are reduce-scattered and averaged by FSDP
    itself, so `average_gradients` must not run on a sharded model. Returns the same module, now sharded."""
    from torch.distributed.fsdp import fully_shard

    layers = decoder_layers(model)
    if not layers:
        raise ValueError(f"sharding = fsdp: found no decoder layers to shard in {type(model).__name__}")
    for layer in layers:
        fully_shard(layer)
    fully_shard(model)
    return model


def is_sharded(model) -> bool:
    from torch.distributed.fsdp import FSDPModule

    return isinstance(model, FSDPModule)


def _full_options(*, cpu_offload: bool):
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    # strict=False on load: tied embeddings are saved once, so a full state dict has no lm_head.weight.
    return StateDictOptions(full_state_dict=True, cpu_offload=cpu_offload, strict=False)


def full_model_state(model) -> dict:
    """The unsharded weights on rank 0's CPU ({} on other ranks; a collective)."""
    from torch.distributed.checkpoint.state_dict import get_model_state_dict

    return get_model_state_dict(model, options=_full_options(cpu_offload=True))


def full_optimizer_state(model, optimizer) -> dict:
    """The unsharded optimizer state on rank 0's CPU, keyed by parameter name (a collective)."""
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

    return get_optimizer_state_dict(model, optimizer, options=_full_options(cpu_offload=True))


def load_full_model_state(model, state: dict) -> None:
    """Load unsharded weights (read by every rank) into a sharded model; each rank keeps its shard."""
    from torch.distributed.checkpoint.state_dict import set_model_state_dict

    set_model_state_dict(model, state, options=_full_options(cpu_offload=False))


def load_full_optimizer_state(model, optimizer, state: dict) -> None:
    from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

    set_optimizer_state_dict(model, optimizer, state, options=_full_options(cpu_offload=False))


def as_float(value: Any) -> float:
    """A scalar tensor as a float; a DTensor (FSDP's grad norm) is made whole first."""
    full = getattr(value, "full_tensor", None)
    whole: Any = full() if callable(full) else value
    return float(whole)
