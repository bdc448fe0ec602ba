"""Rollout backends for RL: who samples the G completions per prompt.

`hf` generates with the policy itself through `generation.generate` (transformers, KV cache). `static` does the
same with a static (preallocated) KV cache, which transformers compiles with torch.compile and CUDA graphs on a
GPU. `paged` uses transformers' continuous batching (`generate_batch`: paged attention, finished sequences leave
the batch and waiting ones take their place) on a 16-bit copy of the policy refreshed after optimizer steps. `vllm` runs a
colocated `vllm.LLM` in this process on the same GPU: it is built once from the initial policy written to a
folder in Hugging Face layout, and the policy's weights are pushed into it whenever an optimizer step changed
them, before the next rollout. Both return `generation.Completion`s grouped per prompt, in prompt order, so the
trainer does not know which one sampled.

The vLLM path is written against vLLM's documented API (`LLM`, `SamplingParams`, `TokensPrompt`,
`LLM.collective_rpc`) and tested here against a fake of that API only; it has not run against a real vLLM in
this repository's tests.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import torch

from . import models
from .generation import Completion
from .generation import generate as hf_generate
from .plan_types import RlConfig
from .templates import encode_prompts, open_think_prefix, prompt_text

if TYPE_CHECKING:
    from .run import Context
    from .stages.loop import StageLoop

DEFAULT_GPU_MEMORY = 0.3


class RolloutBackend(Protocol):
    name: str

    def generate(
        self,
        prompts: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        n: int,
        seed: int | None = None,
    ) -> list[Completion]: ...

    def sync_weights(self, model, version: int | None = None) -> None: ...

    def close(self) -> None: ...


class HFRollout:
    """Sampling with the policy module itself: nothing to sync, it is the policy."""

    name = "hf"
    cache_implementation: str | None = None  # transformers' default, a dynamic KV cache
    pad_multiple = 1

    def __init__(self, model, tokenizer, batch_size: int):
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size

    def generate(self, prompts, max_new_tokens, temperature, top_p, n, seed=None) -> list[Completion]:
        # `seed` is unused: transformers samples from torch's global generator, which the checkpoint's RNG state
        # already restores on resume.
        return hf_generate(
            self.model,
            self.tokenizer,
            prompts,
            max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            num_return_sequences=n,
            batch_size=self.batch_size,
            cache_implementation=self.cache_implementation,
            pad_multiple=self.pad_multiple,
        )

    def sync_weights(self, model, version=None) -> None:
        pass

    def close(self) -> None:
        pass


class StaticCacheRollout(HFRollout):
    """`model.generate` with a static KV cache. On CUDA transformers compiles the decoding step (torch.compile,
    CUDA graphs); prompts are left-padded to a multiple of `pad_multiple` tokens so that rollouts with different
    prompt widths reuse a few compiled shapes instead of recompiling for each. Greedy tokens equal `hf`'s."""

    name = "static"
    cache_implementation = "static"
    pad_multiple = 64


class PagedRollout:
    """transformers' continuous batching (`model.generate_batch`) on a copy of the policy.

    The copy is 16-bit on CUDA (bf16 where supported) and the policy's dtype elsewhere: continuous batching runs
    its loop in a background thread, where the trainer's autocast does not apply, so an fp32 master copy would
    decode in fp32. Like vLLM it is refreshed (LoRA merged, `hf_named_weights`) when an optimizer step changed the
    policy. Sampling uses continuous batching's own generator, seeded per rollout (`seed`), not torch's global one.
    """

    name = "paged"

    def __init__(self, model, tokenizer, version: int = 0):
        from transformers import AutoModelForCausalLM

        src = models.unwrap(model)
        base = src.get_base_model() if hasattr(src, "peft_config") else src
        device = next(base.parameters()).device
        dtype = next(base.parameters()).dtype
        if device.type == "cuda":
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.tokenizer, self.device = tokenizer, device
        with device:  # built on the device: its random init is overwritten by the sync below anyway
            self.copy: Any = AutoModelForCausalLM.from_config(
                base.config, dtype=dtype, attn_implementation=base.config._attn_implementation
            )
        self.copy.eval().requires_grad_(False)
        self.version = None
        self.sync_weights(model, None)
        self.version = version

    @torch.no_grad()
    def sync_weights(self, model, version: int | None = None) -> None:
        if version is not None and version == self.version:
            return
        params = dict(self.copy.state_dict())
        for name, t in hf_named_weights(model):
            if name in params:
                params[name].copy_(t)
        if version is not None:
            self.version = version

    def generate(self, prompts, max_new_tokens, temperature, top_p, n, seed=None) -> list[Completion]:
        from transformers import GenerationConfig

        do_sample = temperature > 0
        eos = self.tokenizer.eos_token_id
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos
        gen_cfg = GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=do_sample,
            temperature=temperature if do_sample else None,
            top_p=top_p if do_sample and top_p < 1.0 else None,
            top_k=None,
            eos_token_id=eos,
            pad_token_id=pad,
        )
        # One request per sample: the result of request `req_i` belongs to input i whatever order they finish in.
        inputs = [list(p) for p in prompts for _ in range(n)]
        results = self.copy.generate_batch(
            inputs,
            generation_config=gen_cfg,
            continuous_batching_config=self._cache_config(inputs, max_new_tokens, seed),
            progress_bar=False,
            warmup=self.device.type == "cuda",
        )
        ordered = sorted(results.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[-1]))
        if len(ordered) != len(inputs):
            raise RuntimeError(
                f"continuous batching returned {len(ordered)} results for {len(inputs)} requests"
            )
        comps: list[Completion] = []
        for _, out in ordered:
            if out.error:
                raise RuntimeError(f"continuous batching failed a request: {out.error}")
            ids = list(out.generated_tokens)
            truncated = eos not in ids
            if not truncated:
                ids = ids[: ids.index(eos) + 1]
            comps.append(Completion(ids, self.tokenizer.decode(ids, skip_special_tokens=True), truncated))
        return comps

    def _cache_config(self, inputs: list[list[int]], max_new_tokens: int, seed: int | None):
        """A paged cache sized for this rollout: every request's longest possible sequence fits at once.

        Left to itself transformers sizes the cache from the free memory (90 % of it on a GPU, and a slow, huge
        allocation on a CPU); the trainer needs that memory, and a rollout's need is known."""
        from transformers.generation.configuration_utils import ContinuousBatchingConfig

        cuda = self.device.type == "cuda"
        page = 256 if cuda else 16
        longest = max(len(p) for p in inputs) + max_new_tokens
        blocks = len(inputs) * -(-longest // page) + 1
        return ContinuousBatchingConfig(
            page_size=page,
            num_blocks=blocks,
            max_batch_tokens=None if cuda else 512,
            seed=seed,
        )

    def close(self) -> None:
        self.copy = None


# ---------------------------------------------------------------------------------------------- weights
def _peft_name(name: str) -> str | None:
    """The Hugging Face name of a peft-wrapped model's state-dict entry; None for adapter-only entries."""
    parts = name.split(".")
    if any(p.startswith("lora_") for p in parts) or "original_module" in parts:
        return None
    out: list[str] = []
    skip_next = False
    for p in parts:
        if skip_next:  # the adapter name after `modules_to_save`
            skip_next = False
            continue
        if p == "modules_to_save":
            skip_next = True
            continue
        if p != "base_layer":
            out.append(p)
    return ".".join(out)


@torch.no_grad()
def hf_named_weights(model) -> Iterator[tuple[str, torch.Tensor]]:
    """(Hugging Face name, tensor) for every weight of the policy as a plain transformers model would hold it.

    With LoRA the adapted weights are merged values, W + ΔW for the active adapters, computed per module rather
    than through peft's in-place `merge_adapter()`/`unmerge_adapter()`: that round trip adds and subtracts ΔW
    in the base weights' precision at every sync, and the rounding would drift the frozen base over a run.
    Tensors are yielded one at a time so a merged copy of the whole model never exists at once.
    """
    model = models.unwrap(model)
    if not hasattr(model, "peft_config"):
        yield from model.state_dict().items()
        return
    base = model.get_base_model()
    deltas: dict[str, Callable[[], torch.Tensor]] = {}
    for mod_name, mod in base.named_modules():
        if hasattr(mod, "base_layer") and hasattr(mod, "get_delta_weight"):
            live = [
                a
                for a in mod.active_adapters
                if a in getattr(mod, "lora_A", {}) and a not in getattr(mod, "merged_adapters", [])
            ]
            if live:
                deltas[mod_name] = lambda mod=mod, live=live: functools.reduce(
                    torch.add, [mod.get_delta_weight(a) for a in live]
                )
    for name, t in base.state_dict().items():
        hf = _peft_name(name)
        if hf is None:
            continue
        owner, _, leaf = hf.rpartition(".")
        if leaf == "weight" and owner in deltas and name.endswith("base_layer.weight"):
            t = t + deltas[owner]().to(t.dtype)
        yield hf, t


# ---------------------------------------------------------------------------------------------- vLLM
def _seed_for(seed: int, index: int) -> int:
    # One seed per prompt, spread over 31 bits: vLLM (V1) gives a request's k-th sample the seed `seed + k`, so
    # request seeds a small offset apart (neighbouring prompts or rollouts) would share sample streams.
    h = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=4).digest()
    return int.from_bytes(h, "little") & 0x7FFFFFFF


def write_policy_folder(model, tokenizer, folder: Path) -> Path:
    """The current policy in Hugging Face layout (bf16 safetensors, LoRA merged), for `vllm.LLM(model=...)`.

    No generation_config.json is written on purpose: vLLM would take extra EOS ids and sampling defaults from it,
    while the hf backend stops on the tokenizer's EOS only and samples with the plan's settings only.
    """
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    # Tied weights (embed_tokens / lm_head) share storage, which safetensors refuses; the config says they are
    # tied, so one copy is what save_pretrained writes too. Only the model's own (live) storages are compared:
    # a merged LoRA tensor is freed after its copy, and a later one may reuse its address.
    own = {t.untyped_storage().data_ptr() for t in models.unwrap(model).state_dict().values()}
    seen: set[int] = set()
    for name, t in hf_named_weights(model):
        ptr = t.untyped_storage().data_ptr()
        if ptr in own:
            if ptr in seen:
                continue
            seen.add(ptr)
        tensors[name] = t.detach().to("cpu", torch.bfloat16).contiguous()
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    cfg = models.unwrap(model)
    cfg = (cfg.get_base_model() if hasattr(cfg, "peft_config") else cfg).config
    cfg.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class VLLMRollout:
    """A colocated `vllm.LLM` that samples from a bf16 copy of the policy, refreshed after optimizer steps."""

    name = "vllm"

    def __init__(
        self,
        vllm,
        model,
        tokenizer,
        *,
        seed: int,
        max_model_len: int,
        gpu_memory_utilization: float,
        version: int = 0,
    ):
        self.vllm = vllm
        self.tokenizer = tokenizer
        self.seed = seed
        self.version = version
        self.folder = Path(tempfile.mkdtemp(prefix="srlm-vllm-policy-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.folder), True)
        write_policy_folder(model, tokenizer, self.folder)
        # Weights are pushed by reaching the model object through the engine; that object only lives in this
        # process when vLLM's V1 engine core is not moved to a child process (a user's explicit setting wins).
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        # Prefix caching keeps KV blocks computed by the old weights; it is only safe where the cache can be
        # reset after a sync.
        self.prefix_caching = hasattr(vllm.LLM, "reset_prefix_cache")
        self.llm: Any = vllm.LLM(
            model=str(self.folder),
            tokenizer=str(self.folder),
            dtype="bfloat16",
            gpu_memory_utilization=gpu_memory_utilization,
            enable_prefix_caching=self.prefix_caching,
            seed=seed,
            max_model_len=max_model_len,
        )

    def generate(self, prompts, max_new_tokens, temperature, top_p, n, seed=None) -> list[Completion]:
        vllm = self.vllm
        base = self.seed if seed is None else seed
        params = [
            vllm.SamplingParams(
                n=n,
                temperature=temperature,
                top_p=top_p,
                max_tokens=max_new_tokens,
                seed=_seed_for(base, i),
                logprobs=None,
                detokenize=False,  # text is decoded below with the trainer's tokenizer, as the hf backend does
            )
            for i in range(len(prompts))
        ]
        token_prompts = [vllm.TokensPrompt(prompt_token_ids=list(p)) for p in prompts]
        outs = self.llm.generate(token_prompts, sampling_params=params, use_tqdm=False)
        if len(outs) != len(prompts):
            raise RuntimeError(f"vLLM returned {len(outs)} results for {len(prompts)} prompts")
        eos = self.tokenizer.eos_token_id
        comps: list[Completion] = []
        for out in outs:
            samples = sorted(out.outputs, key=lambda o: o.index)
            if len(samples) != n:
                raise RuntimeError(f"vLLM returned {len(samples)} samples for a prompt, expected {n}")
            for o in samples:
                if o.finish_reason not in ("stop", "length"):
                    raise RuntimeError(f"vLLM sample ended with finish_reason = {o.finish_reason!r}")
                ids = list(o.token_ids)
                truncated = o.finish_reason == "length"
                if eos in ids:
                    ids = ids[: ids.index(eos) + 1]
                    truncated = False
                comps.append(Completion(ids, self.tokenizer.decode(ids, skip_special_tokens=True), truncated))
        return comps

    def _driver_model(self):
        # vLLM's in-process engines (V0, and V1 with multiprocessing off) expose the model object here.
        try:
            return self.llm.llm_engine.model_executor.driver_worker.model_runner.model
        except AttributeError:
            return None

    def sync_weights(self, model, version: int | None = None) -> None:
        """Push the policy's weights into vLLM; with a `version` (the optimizer step), only when it changed."""
        if version is not None and version == self.version:
            return
        target = self._driver_model()
        if target is not None and hasattr(target, "load_weights"):
            # A generator: vLLM copies each tensor into its own (bf16) parameter as it comes.
            target.load_weights(hf_named_weights(model))
        elif hasattr(self.llm, "collective_rpc"):
            # The model lives in worker processes: the tensors travel pickled, so they go as CPU copies.
            weights = [(k, v.detach().to("cpu")) for k, v in hf_named_weights(model)]

            # Defined here so that it is pickled by value: a worker process need not import this package.
            def load_in_worker(worker, weights):
                runner_model = (
                    worker.get_model() if hasattr(worker, "get_model") else worker.model_runner.model
                )
                runner_model.load_weights(weights)

            try:
                self.llm.collective_rpc(load_in_worker, args=(weights,))
            except Exception as e:
                raise RuntimeError(
                    "pushing the policy's weights into vLLM's worker processes failed; a V1 engine run in a child "
                    "process only accepts the loading function with VLLM_ALLOW_INSECURE_SERIALIZATION=1 (or leave "
                    f"VLLM_ENABLE_V1_MULTIPROCESSING unset so the engine runs in this process). Cause: {e}"
                ) from e
        else:
            raise RuntimeError(
                f"cannot push weights into vLLM {getattr(self.vllm, '__version__', '?')}: neither "
                "llm.llm_engine.model_executor.driver_worker.model_runner.model.load_weights nor "
                "LLM.collective_rpc exists in this version; use rollout = hf"
            )
        if self.prefix_caching:
            self.llm.reset_prefix_cache()
        if version is not None:
            self.version = version

    def close(self) -> None:
        self.llm = None
        self._cleanup()


# ---------------------------------------------------------------------------------------------- choice
def is_cuda_device(device) -> bool:
    return torch.device(device).type == "cuda"


def import_vllm():
    return importlib.import_module("vllm")


def gpu_memory_utilization() -> float:
    raw = os.environ.get("SRLM_VLLM_GPU_MEMORY", "")
    if not raw:
        return DEFAULT_GPU_MEMORY
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"SRLM_VLLM_GPU_MEMORY must be a fraction in (0, 1], got {raw!r}") from None
    if not 0 < value <= 1:
        raise ValueError(f"SRLM_VLLM_GPU_MEMORY must be a fraction in (0, 1], got {raw!r}")
    return value


def select_backend(
    requested: str,
    model,
    tokenizer,
    device,
    *,
    seed: int,
    max_model_len: Callable[[], int],
    hf_batch_size: int,
    world_size: int = 1,
    sharded: bool = False,
    version: int = 0,
    is_cuda: Callable[[object], bool] | None = None,
    load_vllm: Callable[[], object] | None = None,
) -> tuple[RolloutBackend, str | None]:
    """The backend for `rollout = requested`, and why the requested one was not used (else None).

    `is_cuda` and `load_vllm` default to the real checks; tests replace them to drive a fake vLLM on CPU.
    """
    if requested in ("static", "paged") and sharded:
        # FSDP shards the policy after the backend is built: `paged` could not read whole weights to sync, and
        # neither backend has been tried with the sharded, rank-synchronised generate that FSDP needs.
        return HFRollout(model, tokenizer, hf_batch_size), (
            f"rollout = {requested} is not supported with sharding = fsdp; generating with transformers (hf)"
        )
    if requested == "static":
        return StaticCacheRollout(model, tokenizer, hf_batch_size), None
    if requested == "paged":
        return PagedRollout(model, tokenizer, version=version), None
    hf = HFRollout(model, tokenizer, hf_batch_size)
    if requested != "vllm":
        return hf, None
    is_cuda = is_cuda or is_cuda_device
    load_vllm = load_vllm or import_vllm
    if not is_cuda(device):
        return (
            hf,
            f"rollout = vllm needs a CUDA device and this stage runs on {device}; generating with transformers (hf)",
        )
    if world_size > 1:
        return hf, (
            f"rollout = vllm runs one colocated engine per process and is not supported with {world_size} "
            "processes; generating with transformers (hf)"
        )
    try:
        vllm = load_vllm()
    except ImportError as e:
        return hf, f"rollout = vllm, but vLLM cannot be imported ({e}); generating with transformers (hf)"
    backend = VLLMRollout(
        vllm,
        model,
        tokenizer,
        seed=seed,
        max_model_len=max_model_len(),
        gpu_memory_utilization=gpu_memory_utilization(),
        version=version,
    )
    return backend, None


def longest_prompt(tokenizer, rows: list[dict], chat) -> int:
    return max((len(p) for p in encode_prompts(tokenizer, rows, chat)), default=0)


def for_stage(ctx: Context, loop: StageLoop, cfg: RlConfig, rows: list[dict]) -> RolloutBackend:
    """The RL stage's backend; a `rollout_fallback` warning when vLLM was asked for but cannot be used."""
    backend, why = select_backend(
        cfg.rollout,
        loop.model,
        loop.tokenizer,
        ctx.device,
        seed=ctx.seed,
        max_model_len=lambda: (
            longest_prompt(loop.tokenizer, rows, ctx.chat_format(loop.name, cfg.data, cfg.chat_template))
            + cfg.max_new_tokens
        ),
        # One generate call for this rank's whole generation batch: decoding is bound by per-step latency, and
        # the update's micro-batch (`batch_size`, one group by default) would serialise 8 decodes per step.
        hf_batch_size=max(cfg.group, cfg.prompts_per_step // max(ctx.world_size, 1) * cfg.group),
        world_size=ctx.world_size,
        sharded=ctx.sharded,
    )
    if why:
        ctx.events.emit("warning", stage=loop.name, code="rollout_fallback", message=why)
    return backend


# ---------------------------------------------------------------------------------------------- the rollout step


@dataclass
class Rollout:
    """What sampling produced for some prompts: G completions per prompt, laid out group after group."""

    rows: list[dict]  # one dataset row per prompt
    prompts: list[list[int]]  # the prompts' token ids
    prefixes: list[
        str
    ]  # what the chat template opened in each prompt (`<think>`), part of the completion's text
    completions: list[Completion]  # len(rows) × group, prompt by prompt
    group: int

    @property
    def n_groups(self) -> int:
        return len(self.rows)

    def per_completion(self, values: Sequence) -> list:
        """One value per prompt repeated for each of its G completions."""
        return [v for v in values for _ in range(self.group)]

    def select(self, groups: Sequence[int]) -> Rollout:
        """The rollout of the given groups (prompt indexes), in that order."""
        g = self.group
        return Rollout(
            [self.rows[i] for i in groups],
            [self.prompts[i] for i in groups],
            [self.prefixes[i] for i in groups],
            [c for i in groups for c in self.completions[i * g : (i + 1) * g]],
            g,
        )

    @staticmethod
    def concat(parts: Sequence[Rollout]) -> Rollout:
        return Rollout(
            [r for p in parts for r in p.rows],
            [x for p in parts for x in p.prompts],
            [x for p in parts for x in p.prefixes],
            [c for p in parts for c in p.completions],
            parts[0].group,
        )


def sample(
    backend: RolloutBackend,
    tokenizer,
    rows: list[dict],
    chat,
    *,
    group: int,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
) -> Rollout:
    """Encode the prompts of `rows` and sample `group` completions for each through `backend`."""
    prompts = encode_prompts(tokenizer, rows, chat)
    prefixes = [open_think_prefix(prompt_text(tokenizer, r, chat)) for r in rows]
    comps = backend.generate(prompts, max_new_tokens, temperature, top_p, group, seed=seed)
    return Rollout(list(rows), prompts, prefixes, comps, group)


def pick_groups(uniform: Sequence[bool], need: int) -> list[int]:
    """DAPO's dynamic sampling: which of the drawn groups fill a batch of `need` groups, in draw order.

    Groups whose rewards differ come first; when there are too few of them (the cap on extra draws was reached),
    uniform groups fill the rest, so the batch keeps its size. A uniform group has zero advantage and adds no
    gradient, but it keeps micro-batches whole and the token counts of the loss as configured."""
    if need > len(uniform):
        raise ValueError(f"{need} groups asked for, only {len(uniform)} drawn")
    informative = [i for i, u in enumerate(uniform) if not u][:need]
    filler = [i for i, u in enumerate(uniform) if u][: need - len(informative)]
    return sorted(informative + filler)
