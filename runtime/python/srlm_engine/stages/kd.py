"""Knowledge distillation: the student matches a frozen teacher's token distributions on the completions.

Loss = mix.kd · D(teacher ‖ student) + mix.sft · CE, with D one of forward KL, reverse KL or JSD(β) on
temperature-scaled distributions (losses.py). With `on_policy = λ`, a step uses the student's own samples
instead of the dataset completions with probability λ (GKD), decided by a coin seeded by the step so that a
resumed run makes the same choices.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import torch

from .. import data as data_mod
from .. import heads, losses, models, packing
from ..generation import generate
from ..plan import from_partial
from ..plan_types import KdConfig, KdMix, Ref, Stage
from .sft import supervised_loop

if TYPE_CHECKING:
    from ..run import Context
    from .loop import StageLoop


class KDLoss:
    def __init__(self, ctx: Context, cfg: KdConfig, teacher_ref: Ref):
        self.ctx, self.cfg = ctx, cfg
        self.teacher_ref = teacher_ref
        # Without a `mix` block the loss is the mix of the block's declared defaults (KD alone).
        mix = cfg.mix or from_partial(KdMix, {})
        self.w_kd, self.w_ce = mix.kd, mix.sft
        self.teacher = None
        self.vocab: int | None = None

    def setup(self, loop: StageLoop) -> None:
        self.teacher, desc = loop.load_teacher(self.teacher_ref)
        self.vocab, warning = models.check_kd_vocab(loop.model, self.teacher, loop.tokenizer)
        if warning:
            self.ctx.events.emit("warning", stage=loop.name, message=warning, code="kd_vocab_sliced")
        if self.cfg.on_policy > 0 and self.cfg.packing:
            raise ValueError(f"stage {loop.name}: on_policy KD needs unpacked examples; set packing = false")

    def __call__(self, model, batch, num_items, step):
        assert self.teacher is not None, "KDLoss.setup loads the teacher first"
        ids = batch["input_ids"]
        split, t_split = heads.split(model), heads.split(self.teacher)
        if split is not None and t_split is not None:
            return self._fused(model, split, t_split, batch, num_items)
        logits = model(**packing.model_inputs(model, batch)).logits
        with torch.no_grad():
            t_logits = self.teacher(**packing.model_inputs(self.teacher, batch)).logits
        s, labels, mask = losses.shift_for_next_token(logits, ids, batch["loss_mask"])
        t = t_logits[:, :-1, :]
        loss_cfg = self.cfg.loss
        kd = (
            losses.kd_token_sum(s, t, mask, loss_cfg.name, loss_cfg.beta, self.cfg.temperature, self.vocab)
            / num_items
        )
        loss = self.w_kd * kd
        parts = {"kd": float(kd.detach())}
        if self.w_ce > 0:
            ce = losses.completion_ce(s, labels, mask, num_items=num_items)
            loss = loss + self.w_ce * ce
            parts["ce"] = float(ce.detach())
        return loss, parts

    def _fused(self, model, split, t_split, batch, num_items):
        """The same loss with both LM heads inside it, a chunk of kept tokens at a time (losses.fused_kd)."""
        (decoder, head), (t_decoder, t_head) = split, t_split
        hidden = heads.hidden_states(decoder, packing.model_inputs(model, batch))
        with torch.no_grad():
            t_hidden = heads.hidden_states(t_decoder, packing.model_inputs(self.teacher, batch))
        h, labels, mask = losses.shift_for_next_token(hidden, batch["input_ids"], batch["loss_mask"])
        return losses.fused_kd(
            h,
            head,
            t_hidden[:, :-1],
            t_head,
            mask,
            self.cfg.loss.name,
            self.cfg.loss.beta,
            self.cfg.temperature,
            vocab=self.vocab,
            num_items=num_items,
            kd_weight=self.w_kd,
            ce_weight=self.w_ce if self.w_ce > 0 else 0.0,
            labels=labels,
        )


def on_policy_prepare(ctx: Context, cfg: KdConfig):
    lam = cfg.on_policy

    def prepare(loop: StageLoop, step: int, micro):
        if lam <= 0 or random.Random(ctx.seed * 1000003 + step).random() >= lam:
            return micro, {"on_policy": 0.0}
        tok = loop.tokenizer
        out = []
        for batch in micro:
            prompts = [ex.ids[: ex.prompt_len] for ex in batch]
            comps = generate(loop.model, tok, prompts, cfg.max_new_tokens, temperature=1.0)
            new = []
            for p, c in zip(prompts, comps, strict=True):
                ids = (p + c.ids)[: cfg.max_len]
                mask = ([0] * len(p) + [1] * len(c.ids))[: cfg.max_len]
                new.append(data_mod.Example(ids, mask, len(p)))
            out.append(new)
        return out, {"on_policy": 1.0}

    return prepare


def run_kd(ctx: Context, stage: Stage, before_evals: list[str]) -> str:
    cfg = stage.config
    assert isinstance(cfg, KdConfig) and stage.teacher_ref is not None
    loss = KDLoss(ctx, cfg, stage.teacher_ref)
    return supervised_loop(ctx, stage, before_evals, "kd", loss, prepare=on_policy_prepare(ctx, cfg))
