"""Loss functions of the training engine: pure torch functions, no state, no engine imports.

Conventions (read these before calling anything):

* **Shapes.** ``logits`` are ``(B, T, V)``; ``labels``, ``mask``, ``logp`` and per-token losses are ``(B, T)``.
* **Pre-shifted inputs.** Every function here takes *aligned* tensors: ``logits[:, t]`` is the distribution
  that predicts ``labels[:, t]``, and ``mask[:, t]`` says whether position ``t`` counts. A causal LM's raw
  output is not aligned (its logit at ``t`` predicts the token at ``t + 1``); pass it through
  :func:`shift_for_next_token` first, which drops the last logit and the first token/mask column.
* **Masks** are bool or 0/1 tensors (``1`` = keep: completion tokens; ``0`` = prompt and padding). Masked
  positions contribute exactly nothing: they are selected away with ``torch.where`` rather than multiplied,
  so whatever sits there (label ``-100``, a padding token's logits) changes neither the loss nor the gradient
  of any kept position.
* **Precision.** Half-precision logits are upcast to float32 before softmax; float64 stays float64.

Public API
----------
``shift_for_next_token(logits, input_ids, mask) -> (logits, labels, mask)``
    Align a causal LM's output with its next-token targets.
``token_logprobs(logits, labels, temperature=1.0, chunk_elems=CHUNK_ELEMS) -> (B, T)``
    Log-probability of each label under ``softmax(logits / temperature)`` (GRPO's per-token log-probs), as a
    memory-lean selective log-softmax: label logit minus log-sum-exp, in chunks, with a custom backward.
``completion_ce(logits, labels, mask, num_items=None) -> scalar``
    SFT cross-entropy, summed over kept tokens and divided by their number (or by ``num_items`` when a
    caller accumulates micro-batches and wants the global token count).
``forward_kl / reverse_kl(student_logits, teacher_logits, mask, temperature=1.0) -> scalar``
``generalized_jsd(student_logits, teacher_logits, mask, beta=0.5, temperature=1.0) -> scalar``
``kd_loss(student_logits, teacher_logits, mask, name, beta=0.5, temperature=1.0) -> scalar``
    Distillation divergences on temperature-scaled distributions, per token then masked mean. ``name`` is the
    plan's ``forward_kl`` / ``reverse_kl`` / ``jsd``. ``kd_per_token(...)`` returns the ``(B, T)`` values.
``kd_token_sum(student_logits, teacher_logits, mask, name, beta, temperature, vocab=None) -> scalar``
    The same divergence summed over kept positions (on a shared vocabulary), for callers that normalise by
    the token count of a whole step: the KD stage and RL's KD regulariser.
    With teacher ``P = softmax(t / T)`` and student ``Q = softmax(s / T)``:

    - forward KL = KL(P || Q) (mode-covering; the teacher's support is what counts),
    - reverse KL = KL(Q || P) (mode-seeking; what the student samples is what counts),
    - JSD(β) = β·KL(P || M) + (1 − β)·KL(Q || M) with M = β·P + (1 − β)·Q  (GKD paper, Agarwal et al. 2024,
      and TRL's ``GKDTrainer.generalized_jsd_loss``).

    The mixture formula tends to 0 at both ends, so, like TRL, the end points are *defined* as the KL limits
    the interpolation points at: **β = 0 is forward KL, β = 1 is reverse KL**. No T² factor is applied
    (TRL's convention); callers that want Hinton-style scaling multiply themselves. Memory: these build a few
    float32 ``(B, T, V)`` tensors; with a large vocabulary select the kept positions first
    (``logits[mask].unsqueeze(0)`` with an all-ones mask) — the masked mean is the same.
``group_advantages(rewards, group_size, scale=True, eps=1e-4) -> (advantages, zero_std_fraction)``
    GRPO group-normalised advantages over contiguous groups of ``group_size`` rewards (``(r − mean)/(std+eps)``
    with the unbiased std, or ``r − mean`` when ``scale`` is false as in Dr. GRPO); ``zero_std_fraction`` is the
    fraction of groups whose rewards are all equal (they carry no learning signal).
``k3_kl(logp, ref_logp) -> (B, T)``
    Schulman's k3 estimator of KL(π_θ || π_ref): ``exp(ref − logp) − (ref − logp) − 1`` (≥ 0, unbiased).
``grpo_token_loss(logp, old_logp, ref_logp, advantages, mask, eps_low=0.2, eps_high=0.2, beta=0.0)
  -> (per_token_loss, stats)``
    ``−min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·k3`` with ``ρ = exp(logp − old_logp)``. ``old_logp=None``
    means the samples came from the current policy (ρ = 1 with the right gradient). ``ref_logp`` may be
    ``None`` only when ``beta == 0``. ``stats`` holds python floats: ``clip_ratio_low`` (ρ < 1 − ε_low where
    A < 0), ``clip_ratio_high`` (ρ > 1 + ε_high where A > 0), ``clip_ratio_region`` (either), ``kl`` (masked mean
    k3, or ``None`` without a reference) and ``ratio_mean``; all are fractions/means over kept tokens.
``aggregate(per_token_loss, mask, mode, max_completion_len=None, num_items=None) -> scalar``
    Reduce a per-token loss the way each GRPO variant does:

    - ``grpo``: mean over the tokens of each sequence, then mean over sequences (long answers weigh less per
      token — the length bias Dr. GRPO removes);
    - ``bnpo``: sum over the micro-batch / number of kept tokens *in this micro-batch*;
    - ``dr_grpo``: sum / (B × ``max_completion_len``), a constant normaliser (defaults to ``T``);
    - ``dapo``: token-level sum / number of kept tokens in the *whole generation batch*. Pass that global count
      as ``num_items`` when the generation batch is split into accumulated micro-batches: then every token of
      the batch has the same weight, whereas ``bnpo`` weighs each micro-batch equally. Without ``num_items``
      ``dapo`` equals ``bnpo``.

    Gradient accumulation: for ``grpo``, ``bnpo`` and ``dr_grpo`` divide each micro-batch's result by the number
    of micro-batches; for ``dapo`` with a global ``num_items`` do not (it is already a global mean). Under DDP/FSDP,
    which average gradients over ranks, pass ``num_items = global token count / world size`` (as TRL does).
``token_entropy(logits, mask) -> scalar``
    Masked mean entropy (nats) of ``softmax(logits)`` — a policy-collapse diagnostic, computed in chunks without
    gradients. ``token_entropy_per_token`` returns ``(B, T)``.

Fused with the LM head (the full ``(tokens × vocabulary)`` logits never exist)
------------------------------------------------------------------------------
``fused_completion_ce(hidden, head, labels, mask, num_items=None) -> scalar``
    :func:`completion_ce` from the last hidden states ``(B, T, H)`` (aligned like logits) and the LM head
    (an ``nn.Linear``): only kept positions are projected, a chunk of tokens at a time.
``fused_kd(hidden, head, teacher_hidden, teacher_head, mask, name, beta, temperature, vocab, num_items,
  kd_weight=1.0, ce_weight=0.0, labels=None) -> (loss, {"kd": ..., "ce": ...})``
    ``kd_weight · Σ kd_per_token / num_items + ce_weight · CE`` in one pass over chunks: student and teacher
    logits of a chunk are made, used and dropped together; ``vocab`` slices both heads' rows (a teacher's
    padding rows). The parts are detached floats for the metrics.

    Both are one custom autograd function (:class:`_FusedHeadLoss`): the forward computes each chunk's loss
    *and* its gradients with respect to the chunk's hidden states and the head's weight (the loss is a scalar,
    so backward only scales them), as Liger's fused linear cross-entropy does. Memory beyond the model: one
    chunk's working tensors (``FUSED_CHUNK_ELEMS`` = 2**25 logits each, 128 MiB in fp32), the hidden
    states' gradient and the head's gradient, which autograd adopts as ``.grad``. On CUDA with ``liger_kernel`` installed,
    ``fused_completion_ce`` uses Liger's Triton kernel instead (``SRLM_LIGER=0`` turns it off); that path is
    not exercised by this repository's tests, which run on CPU.
"""

from __future__ import annotations

import math
import os
from typing import cast

import torch
import torch.nn.functional as F

from . import cpu_threads

__all__ = [
    "AGGREGATIONS",
    "KD_LOSSES",
    "aggregate",
    "completion_ce",
    "forward_kl",
    "fused_completion_ce",
    "fused_kd",
    "generalized_jsd",
    "group_advantages",
    "grpo_token_loss",
    "k3_kl",
    "kd_loss",
    "kd_per_token",
    "masked_mean",
    "reverse_kl",
    "shift_for_next_token",
    "token_entropy",
    "token_entropy_per_token",
    "token_logprobs",
]

AGGREGATIONS = ("grpo", "bnpo", "dr_grpo", "dapo")
KD_LOSSES = ("forward_kl", "reverse_kl", "jsd")


# ---------------------------------------------------------------------------------------------- helpers


def _bool_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if mask.shape != like.shape[: mask.dim()] or mask.dim() != 2:
        raise ValueError(f"mask must be (B, T) matching {tuple(like.shape)}, got {tuple(mask.shape)}")
    return mask.bool() if mask.dtype != torch.bool else mask


def _float(x: torch.Tensor) -> torch.Tensor:
    # bf16/fp16 softmax over a large vocabulary loses too much precision; float64 is kept for tests.
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` over kept positions (0 when nothing is kept)."""
    m = _bool_mask(mask, values)
    total = torch.where(m, values, torch.zeros_like(values)).sum()
    return total / m.sum().clamp(min=1)


def shift_for_next_token(
    logits: torch.Tensor, input_ids: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Align causal-LM logits with next-token labels.

    ``logits[:, t]`` predicts ``input_ids[:, t + 1]``; the result is ``(logits[:, :-1], input_ids[:, 1:],
    mask[:, 1:])`` so that position ``t`` of every output refers to the same target token. ``mask`` is the
    loss mask of the *tokens* (1 on completion tokens), so it is shifted with the labels.
    """
    if logits.dim() != 3 or input_ids.shape != logits.shape[:2] or mask.shape != input_ids.shape:
        raise ValueError(
            f"expected logits (B, T, V) and ids/mask (B, T); got {tuple(logits.shape)}, "
            f"{tuple(input_ids.shape)}, {tuple(mask.shape)}"
        )
    return logits[:, :-1, :], input_ids[:, 1:], mask[:, 1:]


# Elements of one fp32 working chunk in the vocabulary-wide ops below (2**26 = 256 MiB): for Qwen2.5's 151,936-token
# vocabulary that is ~440 positions at a time instead of a micro-batch's whole (positions × vocab) fp32 copy.
CHUNK_ELEMS = 1 << 26


def _chunks(shape: torch.Size, chunk_elems: int):
    """(batch slice, time slice) pairs covering a (B, T, V) tensor with at most ``chunk_elems`` elements each
    (one position at least): whole rows when a row fits, else pieces of one row."""
    b, t, v = shape
    per_row = max(1, t * v)
    if per_row <= chunk_elems:
        rows = max(1, chunk_elems // per_row)
        for b0 in range(0, b, rows):
            yield slice(b0, min(b, b0 + rows)), slice(0, t)
        return
    steps = max(1, chunk_elems // max(1, v))
    for b0 in range(b):
        for t0 in range(0, t, steps):
            yield slice(b0, b0 + 1), slice(t0, min(t, t0 + steps))


class _SelectiveLogSoftmax(torch.autograd.Function):
    """``log softmax(logits / temperature)[labels]`` as ``logits[label] / temperature − logsumexp``, chunk by chunk.

    Memory: forward keeps the logits (which the caller holds anyway) and one number per position (the
    log-sum-exp); backward rebuilds each chunk's softmax from them, so neither pass ever holds more than one
    fp32 chunk beside the logits and their gradient, where ``log_softmax`` + ``gather`` keeps the whole
    fp32 log-probability tensor alive until backward.
    """

    @staticmethod
    def forward(ctx, logits, labels, temperature, chunk_elems):
        out_dtype = _float(logits[:0]).dtype
        b, t, _ = logits.shape
        out = torch.empty((b, t), dtype=out_dtype, device=logits.device)
        lse = torch.empty((b, t), dtype=out_dtype, device=logits.device)
        for rb, rt in _chunks(logits.shape, chunk_elems):
            x = _float(logits[rb, rt]) / temperature
            lz = torch.logsumexp(x, dim=-1)
            lse[rb, rt] = lz
            out[rb, rt] = x.gather(-1, labels[rb, rt].unsqueeze(-1)).squeeze(-1) - lz
        ctx.save_for_backward(logits, labels, lse)
        ctx.temperature, ctx.chunk_elems = temperature, chunk_elems
        return out

    @staticmethod
    def backward(ctx, grad_out):
        logits, labels, lse = ctx.saved_tensors
        t = ctx.temperature
        grad = torch.empty(logits.shape, dtype=logits.dtype, device=logits.device)
        for rb, rt in _chunks(logits.shape, ctx.chunk_elems):
            g = grad_out[rb, rt].to(lse.dtype).unsqueeze(-1)
            # d/dx (x[y]/t − lse(x/t)) = (onehot(y) − softmax(x/t)) / t
            gx = (_float(logits[rb, rt]) / t).sub_(lse[rb, rt].unsqueeze(-1)).exp_().mul_(-g)
            gx.scatter_add_(-1, labels[rb, rt].unsqueeze(-1), g)
            grad[rb, rt] = gx.div_(t)
        return grad, None, None, None


def token_logprobs(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0, chunk_elems: int = CHUNK_ELEMS
) -> torch.Tensor:
    """``log softmax(logits / temperature)[labels]`` per position, ``(B, T)``.

    Labels may hold ``-100`` (or any out-of-range id) at positions the caller masks; they are clamped to a
    valid id so gather works, and the caller's mask discards the value. Computed as a selective log-softmax
    (the label's logit minus the log-sum-exp) over chunks of at most ``chunk_elems`` vocabulary entries, with
    half-precision logits upcast per chunk, so a large vocabulary never gets a full fp32 copy.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    safe = labels.clamp(min=0, max=logits.shape[-1] - 1)
    return _SelectiveLogSoftmax.apply(logits, safe, float(temperature), int(chunk_elems))


# ---------------------------------------------------------------------------------------------- SFT


def completion_ce(
    logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor, num_items: float | None = None
) -> torch.Tensor:
    """Token cross-entropy over kept (completion) tokens; inputs are pre-shifted.

    Normalised by the number of kept tokens, or by ``num_items`` (e.g. the kept-token count of all
    accumulated micro-batches, so each token has the same weight whatever micro-batch it fell in).
    """
    m = _bool_mask(mask, labels)
    # SFT/KD keep the plain log_softmax: the memory estimator's SFT logits term (measured on GPUs) describes it.
    safe = labels.clamp(min=0, max=logits.shape[-1] - 1)
    nll = -torch.log_softmax(_float(logits), dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    total = torch.where(m, nll, torch.zeros_like(nll)).sum()
    denom = m.sum().clamp(min=1) if num_items is None else num_items
    if num_items is not None and num_items <= 0:
        raise ValueError(f"num_items must be > 0, got {num_items}")
    return total / denom


# ---------------------------------------------------------------------------------------------- KD


def _kl_from_logprobs(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) over the last axis, from log-probabilities (0·log 0 treated as 0)."""
    p = log_p.exp()
    return torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p)).sum(-1)


def kd_per_token(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    name: str = "jsd",
    beta: float | None = 0.5,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Per-position divergence ``(B, T)`` between teacher and student (see the module docstring); ``beta``
    is read by ``jsd`` only."""
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            "student and teacher logits must have the same shape (slice a teacher's padding vocabulary rows "
            f"first); got {tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}"
        )
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if name == "jsd" and (beta is None or not 0.0 <= beta <= 1.0):
        raise ValueError(f"jsd beta must be in [0, 1], got {beta}")
    log_q = torch.log_softmax(_float(student_logits) / temperature, dim=-1)
    log_p = torch.log_softmax(_float(teacher_logits) / temperature, dim=-1)
    if name == "forward_kl" or (name == "jsd" and beta == 0.0):
        return _kl_from_logprobs(log_p, log_q)
    if name == "reverse_kl" or (name == "jsd" and beta == 1.0):
        return _kl_from_logprobs(log_q, log_p)
    if name != "jsd":
        raise ValueError(f"unknown KD loss {name!r}; expected one of {', '.join(KD_LOSSES)}")
    assert beta is not None
    # log M = log(β·P + (1−β)·Q), computed stably in log space.
    log_m = torch.logsumexp(torch.stack([log_p + math.log(beta), log_q + math.log1p(-beta)]), dim=0)
    return beta * _kl_from_logprobs(log_p, log_m) + (1.0 - beta) * _kl_from_logprobs(log_q, log_m)


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    mask: torch.Tensor,
    name: str = "jsd",
    beta: float = 0.5,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Masked mean over positions of :func:`kd_per_token`."""
    per_token = kd_per_token(student_logits, teacher_logits, name, beta, temperature)
    return masked_mean(per_token, mask)


def kd_token_sum(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    mask: torch.Tensor,
    name: str,
    beta: float | None,
    temperature: float,
    vocab: int | None = None,
) -> torch.Tensor:
    """Sum over kept positions of :func:`kd_per_token` on the first ``vocab`` logits of each side (a teacher
    with a padded vocabulary is sliced to the shared ids). Callers divide by their token count: KD over a
    whole optimizer step (stages/kd.py), or the KD regulariser over an RL generation batch."""
    if vocab is not None:
        student_logits, teacher_logits = student_logits[..., :vocab], teacher_logits[..., :vocab]
    per_token = kd_per_token(student_logits, teacher_logits, name, beta, temperature)
    return torch.where(_bool_mask(mask, per_token), per_token, torch.zeros_like(per_token)).sum()


def forward_kl(student_logits, teacher_logits, mask, temperature: float = 1.0) -> torch.Tensor:
    """KL(teacher || student), masked mean over positions."""
    return kd_loss(student_logits, teacher_logits, mask, "forward_kl", temperature=temperature)


def reverse_kl(student_logits, teacher_logits, mask, temperature: float = 1.0) -> torch.Tensor:
    """KL(student || teacher), masked mean over positions."""
    return kd_loss(student_logits, teacher_logits, mask, "reverse_kl", temperature=temperature)


def generalized_jsd(
    student_logits, teacher_logits, mask, beta: float = 0.5, temperature: float = 1.0
) -> torch.Tensor:
    """Generalised JSD(β); β = 0 → forward KL, β = 1 → reverse KL. Masked mean over positions."""
    return kd_loss(student_logits, teacher_logits, mask, "jsd", beta=beta, temperature=temperature)


# ---------------------------------------------------------------------------------------------- RL


def group_advantages(
    rewards: torch.Tensor, group_size: int, scale: bool = True, eps: float = 1e-4
) -> tuple[torch.Tensor, float]:
    """Group-normalised advantages for rewards laid out as contiguous groups of ``group_size``."""
    if rewards.dim() != 1:
        raise ValueError(f"rewards must be 1-D, got shape {tuple(rewards.shape)}")
    if group_size < 2:
        raise ValueError(f"group_size must be >= 2 (a std needs two samples), got {group_size}")
    if rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
    grouped = rewards.view(-1, group_size)
    mean = grouped.mean(dim=1, keepdim=True)
    std = grouped.std(dim=1, keepdim=True)  # unbiased, as in the GRPO paper and TRL
    adv = grouped - mean
    if scale:
        adv = adv / (std + eps)
    return adv.reshape(-1), float(uniform_groups(rewards, group_size).float().mean().item())


def uniform_groups(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """Per group of ``group_size`` contiguous rewards: True where every reward is the same (zero std).

    Such a group has zero advantage for every completion, so it adds nothing to the policy gradient (DAPO's
    dynamic sampling drops these groups; TRL logs their share as ``frac_reward_zero_std``)."""
    std = rewards.reshape(-1, group_size).std(dim=1)
    return torch.isclose(std, torch.zeros_like(std))


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(π_θ || π_ref) for tokens sampled from π_θ."""
    delta = ref_logp - logp
    return torch.exp(delta) - delta - 1.0


def grpo_token_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor | None,
    ref_logp: torch.Tensor | None,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 0.2,
    eps_high: float = 0.2,
    beta: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float | None]]:
    """Clipped-surrogate GRPO loss per token (to minimise) and clipping/KL statistics."""
    m = _bool_mask(mask, logp)
    if eps_low < 0 or eps_high < 0:
        raise ValueError(f"clip epsilons must be >= 0, got {eps_low}, {eps_high}")
    if beta != 0.0 and ref_logp is None:
        raise ValueError(f"beta = {beta} needs reference log-probs (ref_logp is None)")
    if old_logp is None:
        old_logp = logp.detach()
    # Rewards are often float64; keep the loss in the policy's dtype so backward does not run in float64.
    adv = advantages.to(logp.dtype)
    adv = adv.unsqueeze(1) if adv.dim() == 1 else adv
    if adv.shape[0] != logp.shape[0]:
        raise ValueError(f"advantages {tuple(advantages.shape)} do not match batch {tuple(logp.shape)}")
    ratio = torch.exp(logp - old_logp)
    clipped = torch.clamp(ratio, 1.0 - eps_low, 1.0 + eps_high)
    per_token = -torch.minimum(ratio * adv, clipped * adv)
    kl = None
    if ref_logp is not None:
        kl = k3_kl(logp, ref_logp)
        if beta != 0.0:
            per_token = per_token + beta * kl
    with torch.no_grad():
        adv_full = adv.expand_as(ratio)
        low = (ratio < 1.0 - eps_low) & (adv_full < 0)
        high = (ratio > 1.0 + eps_high) & (adv_full > 0)
        # The share of tokens whose ratio the clamp changed, whatever the advantage's sign (PPO's `clipfrac`);
        # clip_ratio_region counts only those where the clipped term won the minimum (verl's pg_clipfrac).
        outside = (ratio < 1.0 - eps_low) | (ratio > 1.0 + eps_high)
        stats: dict[str, float | None] = {
            "clip_fraction": float(masked_mean(outside.to(ratio.dtype), m)),
            "clip_ratio_low": float(masked_mean(low.to(ratio.dtype), m)),
            "clip_ratio_high": float(masked_mean(high.to(ratio.dtype), m)),
            "clip_ratio_region": float(masked_mean((low | high).to(ratio.dtype), m)),
            "kl": None if kl is None else float(masked_mean(kl.detach(), m)),
            "ratio_mean": float(masked_mean(ratio.detach(), m)),
        }
    per_token = torch.where(m, per_token, torch.zeros_like(per_token))
    return per_token, stats


def aggregate(
    per_token_loss: torch.Tensor,
    mask: torch.Tensor,
    mode: str,
    max_completion_len: int | None = None,
    num_items: float | None = None,
) -> torch.Tensor:
    """Reduce a ``(B, T)`` per-token loss to a scalar with one of :data:`AGGREGATIONS`."""
    m = _bool_mask(mask, per_token_loss)
    kept = torch.where(m, per_token_loss, torch.zeros_like(per_token_loss))
    if mode == "grpo":
        return (kept.sum(dim=1) / m.sum(dim=1).clamp(min=1)).mean()
    if mode == "bnpo":
        return kept.sum() / m.sum().clamp(min=1)
    if mode == "dr_grpo":
        length = per_token_loss.shape[1] if max_completion_len is None else max_completion_len
        if length <= 0:
            raise ValueError(f"max_completion_len must be > 0, got {length}")
        return kept.sum() / (per_token_loss.shape[0] * length)
    if mode == "dapo":
        if num_items is None:
            return kept.sum() / m.sum().clamp(min=1)
        if num_items <= 0:
            raise ValueError(f"num_items must be > 0, got {num_items}")
        return kept.sum() / num_items
    raise ValueError(f"unknown loss aggregation {mode!r}; expected one of {', '.join(AGGREGATIONS)}")


def token_entropy_per_token(logits: torch.Tensor, chunk_elems: int = CHUNK_ELEMS) -> torch.Tensor:
    """Entropy (nats) of ``softmax(logits)`` at each position, ``(B, T)``; chunked like :func:`token_logprobs`.

    A diagnostic: no gradient flows through it.
    """
    b, t, _ = logits.shape
    with torch.no_grad():
        out = torch.empty((b, t), dtype=_float(logits[:0]).dtype, device=logits.device)
        for rb, rt in _chunks(logits.shape, chunk_elems):
            lp = torch.log_softmax(_float(logits[rb, rt]), dim=-1)
            p = lp.exp()
            out[rb, rt] = -torch.where(p > 0, p * lp, torch.zeros_like(p)).sum(-1)
    return out


def token_entropy(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Masked mean token entropy."""
    return masked_mean(token_entropy_per_token(logits), mask)


# ---------------------------------------------------------------------------------------------- fused with the head


class _FusedHeadLoss(torch.autograd.Function):
    """``Σ_k coeffs[k] · part_k`` where each part is a sum over chunks of ``chunk_loss(head(hidden[rows]), rows)``.

    Forward projects one chunk at a time without a graph, takes the gradient of that chunk's weighted loss with
    respect to its logits (the only graph is the loss's own, from logits to scalar), turns it into the chunk's
    gradients for the hidden states (``g @ W``) and the head (``gᵀ h``, accumulated) and drops the chunk. Under
    autocast these matmuls run in 16 bits as the head's own backward would. Backward multiplies the stored
    gradients by the incoming scalar. Returns ``(loss, parts)``; ``parts`` (the unweighted sums) has no gradient.
    """

    @staticmethod
    def forward(ctx, hidden, weight, bias, chunk_loss, coeffs, rows):
        # The head's gradient is made here, so this is gradient work for the CPU thread counts (cpu_threads.py).
        with cpu_threads.gradients():
            return _FusedHeadLoss._forward(ctx, hidden, weight, bias, chunk_loss, coeffs, rows)

    @staticmethod
    def _forward(ctx, hidden, weight, bias, chunk_loss, coeffs, rows):
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = bias is not None and ctx.needs_input_grad[2]
        grad_h = torch.zeros_like(hidden) if need_h else None
        grad_w = torch.zeros_like(weight) if need_w else None
        grad_b = torch.zeros_like(bias) if bias is not None and need_b else None
        parts_total = torch.zeros(len(coeffs), dtype=torch.float64, device=hidden.device)
        for r0 in range(0, hidden.shape[0], rows):
            sl = slice(r0, min(hidden.shape[0], r0 + rows))
            h = hidden[sl]
            logits = F.linear(h, weight, bias).requires_grad_(need_h or need_w or need_b)
            with torch.enable_grad():
                parts = chunk_loss(logits, sl)
                total = sum(c * p for c, p in zip(coeffs, parts, strict=True) if c != 0)
                g = (
                    torch.autograd.grad(total, logits)[0]
                    if logits.requires_grad and torch.is_tensor(total)
                    else None
                )
            del logits, total  # the chunk's logits go before the head's gradient is accumulated
            if g is not None:
                if grad_h is not None:
                    grad_h[sl] = g @ weight
                if grad_w is not None and g.dtype == h.dtype == grad_w.dtype:
                    grad_w.addmm_(g.t(), h)  # in place: no vocabulary-sized temporary
                elif grad_w is not None:
                    grad_w += g.t() @ h  # autocast: the 16-bit product, as the head's own backward makes
                if grad_b is not None:
                    grad_b += g.sum(0).to(grad_b.dtype)
                del g
            parts_total += torch.stack([p.detach().to(torch.float64) for p in parts])
        ctx.save_for_backward(*(t if t is not None else torch.empty(0) for t in (grad_h, grad_w, grad_b)))
        ctx.present = (need_h, need_w, need_b)
        out_dtype = _float(hidden[:0]).dtype
        loss = cast(torch.Tensor, sum(c * parts_total[k] for k, c in enumerate(coeffs))).to(out_dtype)
        parts_out = parts_total.to(out_dtype)
        ctx.mark_non_differentiable(parts_out)
        return loss, parts_out

    @staticmethod
    def backward(ctx, grad_loss, _grad_parts):
        # Scaled in place and handed over: autograd then adopts the tensor as `.grad` instead of adding a second
        # vocabulary-sized copy (this backward runs once; a retained graph would see the scaled values).
        out = [
            g.mul_(grad_loss.to(g.dtype)) if present else None
            for g, present in zip(ctx.saved_tensors, ctx.present, strict=True)
        ]
        return out[0], out[1], out[2], None, None, None


# Logit elements per chunk of the fused losses (2**25: 128 MiB in fp32, ~220 positions at a 151,936 vocabulary).
# Each chunk holds several such tensors at once (logits, log-probabilities, their gradient; KD also the teacher's
# and the mixture's), so this is smaller than the selective log-softmax's CHUNK_ELEMS.
FUSED_CHUNK_ELEMS = 1 << 25


def _rows_per_chunk(vocab: int, chunk_elems: int) -> int:
    return max(1, chunk_elems // max(1, vocab))


def _select_kept(hidden: torch.Tensor, mask: torch.Tensor, *others: torch.Tensor):
    if hidden.dim() != 3 or mask.shape != hidden.shape[:2]:
        raise ValueError(
            f"expected hidden (B, T, H) and mask (B, T); got {tuple(hidden.shape)}, {tuple(mask.shape)}"
        )
    m = mask.bool() if mask.dtype != torch.bool else mask
    return m, hidden[m], *(o[m] for o in others)


def _liger_ce():
    """Liger's fused linear cross-entropy loss class, or None (not installed, or SRLM_LIGER=0)."""
    if os.environ.get("SRLM_LIGER", "1") == "0":
        return None
    try:
        from liger_kernel.transformers import (  # pyright: ignore[reportMissingImports] -- optional, CUDA only
            LigerFusedLinearCrossEntropyLoss,
        )
    except ImportError:
        return None
    return LigerFusedLinearCrossEntropyLoss


def _ce_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    safe = labels.clamp(min=0, max=logits.shape[-1] - 1)
    return -torch.log_softmax(_float(logits), dim=-1).gather(-1, safe.unsqueeze(-1)).sum()


def fused_completion_ce(
    hidden: torch.Tensor,
    head: torch.nn.Linear,
    labels: torch.Tensor,
    mask: torch.Tensor,
    num_items: float | None = None,
    chunk_elems: int = FUSED_CHUNK_ELEMS,
) -> torch.Tensor:
    """:func:`completion_ce` of ``head(hidden)`` without materialising the logits (see the module docstring)."""
    if num_items is not None and num_items <= 0:
        raise ValueError(f"num_items must be > 0, got {num_items}")
    m, h, y = _select_kept(hidden, mask, labels)
    denom = m.sum().clamp(min=1) if num_items is None else num_items
    liger = _liger_ce() if hidden.is_cuda else None
    if liger is not None:
        out = liger(reduction="sum")(head.weight, h, y, head.bias)
        total = out[0] if isinstance(out, tuple) else out
        return total / denom
    total, _ = _FusedHeadLoss.apply(
        h,
        head.weight,
        head.bias,
        lambda logits, sl: (_ce_sum(logits, y[sl]),),
        (1.0,),
        _rows_per_chunk(head.weight.shape[0], chunk_elems),
    )
    return total / denom


def fused_kd(
    hidden: torch.Tensor,
    head: torch.nn.Linear,
    teacher_hidden: torch.Tensor,
    teacher_head: torch.nn.Linear,
    mask: torch.Tensor,
    name: str = "jsd",
    beta: float | None = 0.5,
    temperature: float = 1.0,
    vocab: int | None = None,
    num_items: float | None = None,
    kd_weight: float = 1.0,
    ce_weight: float = 0.0,
    labels: torch.Tensor | None = None,
    chunk_elems: int = FUSED_CHUNK_ELEMS,
) -> tuple[torch.Tensor, dict[str, float]]:
    """``kd_weight · KD + ce_weight · CE`` from hidden states, chunk by chunk (see the module docstring).

    KD is ``Σ_kept kd_per_token(student[:vocab], teacher[:vocab]) / num_items`` (the masked mean without
    ``num_items``), CE is :func:`completion_ce` over the student's full head with the same normaliser. The
    teacher side runs without gradients.
    """
    if teacher_hidden.shape[:2] != hidden.shape[:2]:
        raise ValueError(
            f"teacher hidden states {tuple(teacher_hidden.shape)} do not match the student's {tuple(hidden.shape)}"
        )
    if ce_weight != 0 and labels is None:
        raise ValueError("ce_weight needs the labels")
    if num_items is not None and num_items <= 0:
        raise ValueError(f"num_items must be > 0, got {num_items}")
    # Argument checks of kd_per_token, made once instead of per chunk.
    kd_per_token(hidden.new_zeros(1, 1, 2), hidden.new_zeros(1, 1, 2), name, beta, temperature)
    vocab = vocab or min(head.weight.shape[0], teacher_head.weight.shape[0])
    m, h, th = _select_kept(hidden, mask, teacher_hidden)
    y = labels[m] if labels is not None else None
    t_weight = teacher_head.weight[:vocab]
    t_bias = None if teacher_head.bias is None else teacher_head.bias[:vocab]

    def chunk_loss(logits, sl):
        with torch.no_grad():
            t_logits = F.linear(th[sl], t_weight, t_bias)
        kd = kd_per_token(
            logits[:, :vocab].unsqueeze(0), t_logits.unsqueeze(0), name, beta, temperature
        ).sum()
        return (kd, _ce_sum(logits, y[sl])) if y is not None and ce_weight != 0 else (kd,)

    coeffs = (float(kd_weight), float(ce_weight)) if ce_weight != 0 else (float(kd_weight),)
    sums_loss, sums = _FusedHeadLoss.apply(
        h, head.weight, head.bias, chunk_loss, coeffs, _rows_per_chunk(head.weight.shape[0], chunk_elems)
    )
    denom = m.sum().clamp(min=1) if num_items is None else num_items
    parts = {"kd": float(sums[0]) / float(denom)}
    if ce_weight != 0:
        parts["ce"] = float(sums[1]) / float(denom)
    return sums_loss / denom, parts
