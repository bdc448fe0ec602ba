"""RL stage, the GRPO family: sample G completions per prompt, score them, group-normalise the rewards into
advantages, and take clipped policy-gradient steps, optionally with a k3 KL to the frozen initial policy and a
KD regulariser toward a teacher.

A step is three typed steps: rollout (`rollout.sample`: prompts → `Rollout`), scoring
(`RewardScorer.score_rollout`: `Rollout` → `Scores`) and update (`policy_update` on an `RLBatch`). With
`dynamic_sampling` (DAPO), groups whose rewards are all equal are dropped and more prompts are drawn, up to
`max_resample` extra draws per generation batch.

One generation batch (prompts_per_step × group completions) serves `updates_per_batch` (μ) consecutive optimizer
steps; `steps` counts optimizer steps, as in TRL's `num_iterations`. With μ = 1 the ratio is exactly 1 and the
loss reduces to the on-policy policy gradient; with μ > 1 the log-probs of the sampling policy are kept and the
clipped ratio bounds how far later steps move.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

import torch

from .. import data as data_mod
from .. import distributed, losses, models, rollout
from ..plan_types import RlConfig, RlKd, Stage
from ..rollout import Rollout
from ..scoring import RewardError, RewardScorer, Scores, reward_terms
from .loop import StageLoop

if TYPE_CHECKING:
    from ..rollout import RolloutBackend
    from ..run import Context

SAMPLE_EVERY = 10
MAX_REWARD_FAILURES = 3
# Consecutive optimizer steps without any advantage signal before the stage warns that it learns nothing.
NO_SIGNAL_STEPS = 5
NO_SIGNAL_HINT = (
    "every completion of each prompt got the same reward, so every advantage is 0 and the policy does not move; "
    "raise temperature, start from a stronger init (an sft or kd stage first), use a denser reward, or set "
    "dynamic_sampling = true"
)


@dataclass(frozen=True)
class GRPOSettings:
    """The stage settings the update reads, typed once from the stage config."""

    group: int
    micro: int  # sequences per forward/backward (batch_size)
    temperature: float
    epsilon: float
    epsilon_high: float
    kl: float
    loss_agg: str
    max_new_tokens: int
    overlong_filter: bool

    @classmethod
    def of(cls, cfg: RlConfig) -> GRPOSettings:
        return cls(
            group=cfg.group,
            micro=cfg.batch_size,
            temperature=cfg.temperature,
            epsilon=cfg.epsilon,
            epsilon_high=derived(cfg.epsilon_high, "epsilon_high"),
            kl=cfg.kl,
            loss_agg=derived(cfg.loss_agg, "loss_agg"),
            max_new_tokens=cfg.max_new_tokens,
            overlong_filter=cfg.overlong_filter,
        )


_Derived = TypeVar("_Derived")


def derived(value: _Derived | None, name: str) -> _Derived:
    """A field whose default depends on `algorithm`: the schema leaves it null and plan.py derives it, so a
    typed RlConfig always carries it."""
    if value is None:
        raise ValueError(f"rl config: `{name}` is unset; build the config through plan.py, which derives it")
    return value


@dataclass
class RLBatch:
    """One generation batch ready for the update: B = groups × G sequences laid out group after group.

    Each sequence is [left-padded prompt | right-padded completion] with explicit position ids, so padding
    shifts nothing; `prompt_width` splits the two."""

    input_ids: torch.Tensor  # (B, P + C)
    attention_mask: torch.Tensor  # (B, P + C)
    position_ids: torch.Tensor  # (B, P + C)
    prompt_width: int  # P
    completion_mask: torch.Tensor  # (B, C) 1 on completion tokens
    loss_mask: torch.Tensor  # (B, C) completion tokens that count in the loss (overlong filtering drops rows)
    group_ids: torch.Tensor  # (B,) index of the prompt each sequence answers
    rewards: torch.Tensor  # (B,) float64
    advantages: torch.Tensor  # (B,) float32, on the device
    old_logp: torch.Tensor | None = None  # (B, C) sampling policy's log-probs, when μ > 1
    ref_logp: torch.Tensor | None = None  # (B, C) reference log-probs, when kl > 0
    has_signal: bool = True  # some advantage is non-zero
    metrics: dict[str, float] = field(default_factory=dict)  # reward and length statistics of the draw

    @property
    def size(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def prompt_ids(self) -> torch.Tensor:
        return self.input_ids[:, : self.prompt_width]

    @property
    def completion_ids(self) -> torch.Tensor:
        return self.input_ids[:, self.prompt_width :]

    def to_state(self) -> dict[str, Any]:
        """Plain tensors and numbers for a checkpoint (loaded with weights_only)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_state(cls, state: dict[str, Any], device) -> RLBatch:
        moved: dict[str, Any] = {k: v.to(device) if torch.is_tensor(v) else v for k, v in state.items()}
        return cls(**moved)


def build_batch(
    prompts: list[list[int]],
    completions: list[list[int]],
    pad: int,
    device,
    *,
    group: int,
    rewards: torch.Tensor,
    advantages: torch.Tensor,
    truncated: list[bool] | None = None,
) -> RLBatch:
    """An RLBatch of `prompts` (one per group) and their completions; `truncated` rows leave the loss
    (overlong filtering) when given."""
    reps = [p for p in prompts for _ in range(group)]
    pw = max(len(p) for p in reps)
    cw = max(1, max(len(c) for c in completions))
    b = len(completions)
    ids = torch.full((b, pw + cw), pad, dtype=torch.long)
    att = torch.zeros((b, pw + cw), dtype=torch.long)
    cmask = torch.zeros((b, cw), dtype=torch.long)
    for i, (p, c) in enumerate(zip(reps, completions, strict=True)):
        ids[i, pw - len(p) : pw] = torch.tensor(p)
        att[i, pw - len(p) : pw] = 1
        if c:
            ids[i, pw : pw + len(c)] = torch.tensor(c)
            att[i, pw : pw + len(c)] = 1
            cmask[i, : len(c)] = 1
    pos = (att.cumsum(1) - 1).clamp(min=0)
    loss_mask = cmask.clone()
    if truncated is not None:
        loss_mask[torch.tensor(truncated, dtype=torch.bool)] = 0
    adv = advantages.to(device, torch.float32)
    return RLBatch(
        input_ids=ids.to(device),
        attention_mask=att.to(device),
        position_ids=pos.to(device),
        prompt_width=pw,
        completion_mask=cmask.to(device),
        loss_mask=loss_mask.to(device),
        group_ids=torch.arange(len(prompts)).repeat_interleave(group).to(device),
        rewards=rewards.detach().cpu(),
        advantages=adv,
        has_signal=bool((adv != 0).any()),
    )


def completion_logits(model, batch: RLBatch, rows: slice):
    """Logits that predict each completion token ((b, cw, V)): position t predicts token t + 1.

    `logits_to_keep` makes the LM head run on the last cw + 1 positions only, so no (prompt × vocabulary)
    logits are ever materialised.
    """
    width = batch.input_ids.shape[1] - batch.prompt_width
    with models.autocast():
        out = model(
            input_ids=batch.input_ids[rows],
            attention_mask=batch.attention_mask[rows],
            position_ids=batch.position_ids[rows],
            logits_to_keep=width + 1,
        ).logits
    return out[:, :-1, :]


@torch.no_grad()
def batch_logprobs(model, batch: RLBatch, micro: int, temperature: float) -> torch.Tensor:
    """Per-token log-probs of the sampled completions ((B, cw)) for the old policy or the reference, one
    micro-batch of `micro` sequences at a time, through the same chunked selective log-softmax as the update."""
    parts = []
    for s in range(0, batch.size, micro):
        sl = slice(s, s + micro)
        lg = completion_logits(model, batch, sl)
        parts.append(losses.token_logprobs(lg, batch.completion_ids[sl], temperature))
    return torch.cat(parts)


@dataclass
class KDRegulariser:
    teacher: torch.nn.Module
    cfg: RlKd  # the stage's `kd` block: weight, loss, temperature
    vocab: int


def policy_update(
    model,
    batch: RLBatch,
    s: GRPOSettings,
    backward: Callable[[torch.Tensor], None],
    world_size: int = 1,
    kd: KDRegulariser | None = None,
) -> dict[str, float]:
    """The update step: forward and backward of the clipped GRPO loss over `batch`, one micro-batch at a time
    (the optimizer step is the caller's). Returns the step's loss and statistics, batch means."""
    n_micro = batch.size // s.micro
    # dapo and the KD term normalise by the token count of the whole generation batch, over all ranks;
    # gradients are averaged over ranks, so each rank divides by that count over the world size.
    kept_total = max(distributed.sum_across(int(batch.loss_mask.sum())) / world_size, 1)
    out: dict[str, float] = {"loss": 0.0, "entropy": 0.0}
    if kd is not None:
        out["kd"] = 0.0
    for start in range(0, batch.size, s.micro):
        sl = slice(start, start + s.micro)
        lg = completion_logits(model, batch, sl)
        m = batch.loss_mask[sl]
        logp = losses.token_logprobs(lg, batch.completion_ids[sl], s.temperature)
        per_tok, stats = losses.grpo_token_loss(
            logp,
            None if batch.old_logp is None else batch.old_logp[sl],
            None if batch.ref_logp is None else batch.ref_logp[sl],
            batch.advantages[sl],
            m,
            s.epsilon,
            s.epsilon_high,
            s.kl,
        )
        if s.loss_agg == "dapo":
            loss = losses.aggregate(per_tok, m, s.loss_agg, num_items=kept_total)
        else:
            loss = losses.aggregate(per_tok, m, s.loss_agg, max_completion_len=s.max_new_tokens) / n_micro
        if kd is not None:
            with torch.no_grad():
                t_lg = completion_logits(kd.teacher, batch, sl)
            kd_term = (
                losses.kd_token_sum(
                    lg, t_lg, m, kd.cfg.loss.name, kd.cfg.loss.beta, kd.cfg.temperature, kd.vocab
                )
                / kept_total
            )
            loss = loss + kd.cfg.weight * kd_term
            out["kd"] += float(kd_term.detach())
        backward(loss)
        out["loss"] += float(loss.detach())
        # The entropy of the policy over the sampled completions' tokens (overlong-filtered rows included).
        out["entropy"] += float(losses.token_entropy(lg.detach(), batch.completion_mask[sl])) / n_micro
        for k, v in stats.items():
            if v is not None and k != "ratio_mean":
                out[k] = out.get(k, 0.0) + v / n_micro
    return out


class SignalWatch:
    """Counts consecutive steps without advantage signal; `step` is True on the step the count reaches `after`
    (once per streak)."""

    def __init__(self, after: int, run: int = 0):
        self.after, self.run = after, run

    def step(self, has_signal: bool) -> bool:
        self.run = 0 if has_signal else self.run + 1
        return self.run == self.after


def _prompt_rows(
    rows: list[dict], seed: int, gen_index: int, per_step: int, rank: int = 0, world: int = 1
) -> list[dict]:
    """This rank's prompts of generation batch `gen_index`: a contiguous 1/world slice of the batch's draw.

    Prompts are drawn epoch by epoch from a seeded permutation, so the draw is a function of the step alone;
    whole prompts go to one rank, so every group is sampled, scored and normalised on one rank."""
    n = len(rows)
    k = per_step // world
    start = gen_index * per_step + rank * k
    out = []
    for i in range(start, start + k):
        epoch, pos = divmod(i, n)
        out.append(rows[data_mod.epoch_order(n, seed + 17, epoch)[pos]])
    return out


def _prompts_per_rank(stage: str, cfg: RlConfig, world: int) -> int:
    pps, micro, group = cfg.prompts_per_step, cfg.batch_size, cfg.group
    if pps % world:
        raise ValueError(
            f"stage {stage}: prompts_per_step = {pps} must be a multiple of the {world} ranks, so that every "
            "rank samples whole groups"
        )
    per_rank = pps // world
    if (per_rank * group) % micro:
        raise ValueError(
            f"stage {stage}: batch_size = {micro} must divide each rank's {per_rank * group} sequences "
            f"(prompts_per_step / ranks x group = {pps} / {world} x {group})"
        )
    return per_rank


@dataclass
class Drawn:
    """The groups of one generation batch after dynamic sampling, and statistics of everything drawn."""

    rollout: Rollout  # the groups trained on
    scores: Scores
    metrics: dict[str, float]  # reward and length statistics over every group drawn
    samples: list[dict]


class GroupSampler:
    """Rollout and scoring of a generation batch, with DAPO's dynamic sampling when the stage asks for it."""

    def __init__(
        self,
        ctx: Context,
        loop: StageLoop,
        cfg: RlConfig,
        rows: list[dict],
        backend: RolloutBackend,
        scorer: RewardScorer,
    ):
        self.ctx, self.loop, self.cfg, self.rows = ctx, loop, cfg, rows
        self.backend, self.scorer = backend, scorer
        self.per_rank = _prompts_per_rank(loop.name, cfg, ctx.world_size)
        self.dynamic = cfg.dynamic_sampling
        self.max_resample = cfg.max_resample
        self.chat = ctx.chat_format(loop.name, cfg.data, cfg.chat_template)

    def _draw(self, gen_index: int) -> tuple[Rollout, Scores, float, float]:
        cfg, ctx = self.cfg, self.ctx
        t0 = time.perf_counter()
        batch_rows = _prompt_rows(
            self.rows, ctx.seed, gen_index, cfg.prompts_per_step, ctx.rank, ctx.world_size
        )
        ro = rollout.sample(
            self.backend,
            self.loop.tokenizer,
            batch_rows,
            self.chat,
            group=cfg.group,
            max_new_tokens=cfg.max_new_tokens,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            seed=ctx.seed * 1_000_003 + gen_index,
        )
        t1 = time.perf_counter()
        scores = self.scorer.score_rollout(ro, cfg.max_new_tokens)
        return ro, scores, t1 - t0, time.perf_counter() - t1

    def draw(self, gen_index: int, step: int) -> tuple[Drawn | None, int, dict[str, float]]:
        """(the batch's groups or None when scoring failed, generation draws used, timings).

        Draw k uses generation-batch index gen_index + k. Every rank makes the same number of draws (the
        decision is shared), so collectives inside generation stay in step."""
        # The optimizer step identifies the policy's weights: a backend holding a copy refreshes it when it changed.
        self.backend.sync_weights(self.loop.model, version=step)
        parts: list[tuple[Rollout, Scores]] = []
        timing = {"gen_time_s": 0.0, "score_time_s": 0.0}
        while True:
            try:
                ro, sc, t_gen, t_score = self._draw(gen_index + len(parts))
            except RewardError as e:
                # Never a silent zero: the batch is dropped, the error (with its sample) goes to the stream.
                info = e.to_dict()
                self.ctx.events.emit(
                    "error",
                    stage=self.loop.name,
                    step=step,
                    code="reward_error",
                    message=str(e),
                    traceback=info.pop("traceback", None),
                    context=info,
                )
                return None, len(parts) + 1, timing
            timing["gen_time_s"] += t_gen
            timing["score_time_s"] += t_score
            parts.append((ro, sc))
            if not self.dynamic:
                break
            informative = sum(int((~p[1].uniform).sum()) for p in parts)
            short = informative < self.per_rank and len(parts) <= self.max_resample
            if not distributed.any_rank(short):
                break
        drawn_ro = Rollout.concat([p[0] for p in parts])
        drawn_sc = Scores.concat([p[1] for p in parts])
        keep = rollout.pick_groups(drawn_sc.uniform.tolist(), self.per_rank)
        metrics = _draw_metrics(drawn_ro, drawn_sc)
        if self.dynamic:
            metrics["resample_draws"] = float(len(parts) - 1)
        ro, sc = drawn_ro.select(keep), drawn_sc.select(keep, drawn_ro.group)
        return Drawn(ro, sc, metrics, _samples(ro, sc)), len(parts), timing


def _draw_metrics(ro: Rollout, sc: Scores) -> dict[str, float]:
    lengths = torch.tensor([len(c.ids) for c in ro.completions], dtype=torch.float64)
    metrics = {
        "reward": float(sc.total.mean()),
        "reward_std": float(sc.total.std()),
        "frac_zero_std_groups": float(sc.uniform.float().mean()),
        "completion_len_mean": float(lengths.mean()),
        "completion_len_max": float(lengths.max()),
        "truncation_rate": sum(c.truncated for c in ro.completions) / len(ro.completions),
    }
    for fn, v in sc.per_fn.items():
        metrics[f"reward/{fn}"] = float(v.mean())
        metrics[f"reward_std/{fn}"] = float(v.std())
    return metrics


def _samples(ro: Rollout, sc: Scores, n: int = 4) -> list[dict]:
    rows = ro.per_completion(ro.rows)
    return [
        {
            "prompt": rows[i]["prompt"],
            "completion": c.text,
            "answer": rows[i].get("answer"),
            "reward": float(sc.total[i]),
            "rewards": {fn: float(v[i]) for fn, v in sc.per_fn.items()},
            "truncated": c.truncated,
            "length": len(c.ids),
        }
        for i, c in enumerate(ro.completions[:n])
    ]


def make_batch(
    ctx: Context, loop: StageLoop, cfg: RlConfig, drawn: Drawn, ref_model, use_adapter_as_ref: bool
) -> RLBatch:
    """Advantages, sequences and the old/reference log-probs of the drawn groups."""
    s = GRPOSettings.of(cfg)
    model = loop.model
    scale = derived(cfg.scale_rewards, "scale_rewards")
    adv, _ = losses.group_advantages(drawn.scores.total, s.group, scale=scale)
    comps = drawn.rollout.completions
    batch = build_batch(
        drawn.rollout.prompts,
        [c.ids for c in comps],
        loop.tokenizer.pad_token_id,
        ctx.device,
        group=s.group,
        rewards=drawn.scores.total,
        advantages=adv,
        truncated=[c.truncated for c in comps] if s.overlong_filter else None,
    )
    batch.metrics = dict(drawn.metrics)
    if cfg.updates_per_batch > 1:
        batch.old_logp = batch_logprobs(model, batch, s.micro, s.temperature)
    if ref_model is not None:
        batch.ref_logp = batch_logprobs(ref_model, batch, s.micro, s.temperature)
    elif use_adapter_as_ref:
        with model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext():
            batch.ref_logp = batch_logprobs(model, batch, s.micro, s.temperature)
    return batch


def run_rl(ctx: Context, stage: Stage, before_evals: list[str]) -> str:
    cfg = stage.config
    assert isinstance(cfg, RlConfig)
    mu = cfg.updates_per_batch
    loop = StageLoop(ctx, stage, cfg.steps, before_evals)
    model, tok = loop.build_policy()
    ev = ctx.events
    rows = ctx.rows(cfg.data)
    if any(r.get("answer") is None for r in rows[:1]):
        raise ValueError(f"stage {loop.name}: dataset '{cfg.data}' rows have no answer for the rewards")
    # Built before resume loads a checkpoint's weights: the backend's weights are version 0 (the initial policy),
    # and the first rollout of a resumed stage syncs the loaded ones.
    backend = rollout.for_stage(ctx, loop, cfg, rows)
    scorer = RewardScorer(reward_terms(loop.name, cfg), cfg.reward_file, cfg.reward_timeout)
    ref_model = None
    use_adapter_as_ref = False
    if cfg.kl > 0:
        if cfg.lora is not None:
            use_adapter_as_ref = True  # the base weights under a disabled adapter are the reference
        else:
            # Copied before build_optimizer, which may shard the policy: the reference stays whole on every rank.
            ref_model = copy.deepcopy(models.unwrap(model)).eval()
            for p in ref_model.parameters():
                p.requires_grad_(False)
    loop.build_optimizer()
    kd = None
    if cfg.kd is not None:
        assert stage.teacher_ref is not None  # plan.py resolves the teacher of a `kd` block
        teacher, _ = loop.load_teacher(stage.teacher_ref)
        vocab, warning = models.check_kd_vocab(model, teacher, tok)
        if warning:
            ev.emit("warning", stage=loop.name, message=warning, code="kd_vocab_sliced")
        kd = KDRegulariser(teacher, cfg.kd, vocab)
    step, extra = loop.start("rl")
    sampler = GroupSampler(ctx, loop, cfg, rows, backend, scorer)
    if ctx.world_size > 1:
        ev.emit(
            "log",
            stage=loop.name,
            level="info",
            message=f"generation batch of {cfg.prompts_per_step} prompts x {cfg.group} samples: "
            f"{sampler.per_rank} prompts per rank on {ctx.world_size} ranks",
        )
    settings = GRPOSettings.of(cfg)
    batch = RLBatch.from_state(extra["gen"], ctx.device) if extra.get("gen") else None
    drawn: Drawn | None = None
    # Generation-batch indexes used beyond one per μ steps: batches dropped for reward errors, and extra draws.
    skipped = int(extra.get("skipped", 0))
    watch = SignalWatch(NO_SIGNAL_STEPS, int(extra.get("no_signal_run", 0)))
    failures = 0
    stopped = False
    try:
        while step < loop.total_steps:
            t_start = time.perf_counter()
            gen_metrics: dict[str, float] = {}
            if step % mu == 0 or batch is None:
                drawn, used, gen_metrics = sampler.draw(step // mu + skipped, step)
                skipped += used - 1
                if drawn is None:
                    skipped += 1
                    failures += 1
                    if failures >= MAX_REWARD_FAILURES:
                        raise RuntimeError(
                            f"stage {loop.name}: {failures} generation batches in a row failed to score; see the reward_error events"
                        )
                    continue
                failures = 0
                batch = make_batch(ctx, loop, cfg, drawn, ref_model, use_adapter_as_ref)
            t_update = time.perf_counter()
            stats = policy_update(model, batch, settings, loop.backward, ctx.world_size, kd)
            grad_norm = loop.clip_and_step()
            step += 1
            if watch.step(distributed.any_rank(batch.has_signal)):
                ev.emit(
                    "warning",
                    stage=loop.name,
                    step=step,
                    code="no_learning_signal",
                    message=f"all groups uniform for {NO_SIGNAL_STEPS} steps: nothing to learn",
                    hint=NO_SIGNAL_HINT,
                )
            now = time.perf_counter()
            metrics = {
                **stats,
                "lr": loop.lr(),
                "grad_norm": grad_norm,
                "step_time_s": now - t_start,
                "update_time_s": now - t_update,
                "tokens_per_s": float(batch.attention_mask.sum()) / max(now - t_update, 1e-9),
                **batch.metrics,
                **gen_metrics,
            }
            if gen_metrics and drawn is not None and ((step - 1) // mu) % SAMPLE_EVERY == 0:
                ev.emit("samples", stage=loop.name, step=step, source="rl", samples=drawn.samples)
            state: dict[str, Any] = {"skipped": skipped, "no_signal_run": watch.run}
            if step % mu:
                state["gen"] = batch.to_state()
            if loop.end_step(step, metrics, state):
                stopped = True
                break
    finally:
        scorer.close()
        backend.close()
    return loop.finish(step, stopped)
