"""Supervised stages: SFT (completion-only cross-entropy), and the loop that KD reuses with its own loss.

One step = `grad_accum` micro-batches, each token of the step weighted equally (the CE is normalised by the
step's kept-token count, not per micro-batch), then clipping, AdamW and the scheduler.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from .. import data as data_mod
from .. import distributed, heads, losses, models, packing
from ..plan_types import KdConfig, SftConfig, Stage
from ..templates import encode_example
from .loop import StageLoop

if TYPE_CHECKING:
    from ..run import Context

SupervisedConfig = SftConfig | KdConfig


class SupervisedData:
    """Encoded examples and the deterministic micro-batch order (a pure function of the micro-batch index)."""

    def __init__(self, ctx: Context, cfg: SupervisedConfig, tokenizer, stage_name: str):
        rows = ctx.rows(cfg.data)
        chat = ctx.chat_format(stage_name, cfg.data, cfg.chat_template)
        self.examples = [encode_example(tokenizer, r, cfg.max_len, chat, cfg.completion_only) for r in rows]
        self.rows = rows
        if cfg.packing:
            self.examples = data_mod.pack(self.examples, cfg.max_len)
        self.seed = ctx.seed
        self.batch_size = cfg.batch_size
        self.rank, self.world = ctx.rank, ctx.world_size
        self._epoch, self._batches = -1, []
        self.per_epoch = max(1, math.ceil(len(self.examples) / self.batch_size))

    def micro_batch(self, index: int) -> list[data_mod.Example]:
        index = index * self.world + self.rank
        epoch, pos = divmod(index, self.per_epoch)
        if epoch != self._epoch:
            self._batches = data_mod.make_batches(self.examples, self.batch_size, self.seed, epoch)
            self._epoch = epoch
        return self._batches[pos]

    def total_steps(self, cfg: SupervisedConfig) -> int:
        if cfg.steps:
            return cfg.steps
        return max(1, math.ceil(cfg.epochs * self.per_epoch / (cfg.grad_accum * self.world)))


def supervised_loop(
    ctx: Context, stage: Stage, before_evals: list[str], kind: str, loss_fn, prepare=None
) -> str:
    """Shared SFT/KD loop. `loss_fn(model, batch, num_items, step) -> (loss, parts)` on one micro-batch;
    `prepare(loop, step, micro_batches) -> (micro_batches, metrics)` may replace the completions (on-policy
    KD); `loss_fn.setup(loop)`, when it exists, runs once the optimizer is built (KD loads its teacher)."""
    cfg = stage.config
    assert isinstance(cfg, SftConfig | KdConfig), f"stage {stage.name}: not a supervised stage"
    loop = StageLoop(ctx, stage, 0, before_evals)
    model, tok = loop.build_policy()
    data = SupervisedData(ctx, cfg, tok, stage.name)
    loop.total_steps = data.total_steps(cfg)
    loop.build_optimizer()
    extra_setup = getattr(loss_fn, "setup", None)
    if extra_setup:
        extra_setup(loop)
    step, _ = loop.start(kind)
    accum = cfg.grad_accum
    pad = tok.pad_token_id
    stopped = False
    while step < loop.total_steps:
        t0 = time.perf_counter()
        micro = [data.micro_batch(step * accum + i) for i in range(accum)]
        if prepare is not None:
            micro, prep_metrics = prepare(loop, step, micro)
        else:
            prep_metrics = {}
        batches = [data_mod.collate(b, pad, ctx.device) for b in micro]
        # Shifted kept-token count of the whole step: each token weighs the same whatever micro-batch it is in.
        num_items = sum(int(b["loss_mask"][:, 1:].sum()) for b in batches)
        if ctx.world_size > 1:
            # Ranks' gradients are averaged, so each normalises by the global count over the world size: the
            # mean of the ranks' losses is then the global per-token mean, however tokens fell across ranks.
            num_items = distributed.sum_across(num_items) / ctx.world_size
        num_items = max(num_items, 1)
        parts_sum: dict[str, float] = {}
        total_loss = 0.0
        tokens = 0
        for b in batches:
            with models.autocast():
                loss, parts = loss_fn(model, b, num_items, step)
            loop.backward(loss)
            total_loss += float(loss.detach())
            tokens += int(b["attention_mask"].sum())
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + v
        grad_norm = loop.clip_and_step()
        step += 1
        dt = time.perf_counter() - t0
        metrics = {
            "loss": total_loss,
            "lr": loop.lr(),
            "grad_norm": grad_norm,
            "step_time_s": dt,
            "tokens_per_s": tokens / dt,
            "epoch": step * accum * ctx.world_size / data.per_epoch,
            **parts_sum,
            **prep_metrics,
        }
        if loop.end_step(step, metrics):
            stopped = True
            break
    return loop.finish(step, stopped)


def ce_loss(model, batch, num_items, step):
    inputs = packing.model_inputs(model, batch)
    split = heads.split(model)
    if split is not None:
        # The LM head runs inside the loss, a chunk of kept tokens at a time: no (tokens × vocabulary) logits.
        decoder, head = split
        hidden, labels, mask = losses.shift_for_next_token(
            heads.hidden_states(decoder, inputs), batch["input_ids"], batch["loss_mask"]
        )
        loss = losses.fused_completion_ce(hidden, head, labels, mask, num_items=num_items)
    else:
        logits = model(**inputs).logits
        lg, labels, mask = losses.shift_for_next_token(logits, batch["input_ids"], batch["loss_mask"])
        loss = losses.completion_ce(lg, labels, mask, num_items=num_items)
    return loss, {"ce": float(loss.detach())}


def run_sft(ctx: Context, stage: Stage, before_evals: list[str]) -> str:
    return supervised_loop(ctx, stage, before_evals, "sft", ce_loss)
