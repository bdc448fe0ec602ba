"""RL stage, the GRPO family: sample G completions per prompt, score them, group-normalise the rewards into
advantages, and take clipped policy-gradient steps, optionally with a k3 KL to the frozen initial policy and a
KD regulariser toward a teacher.

One generation batch (prompts_per_step × group completions) serves `updates_per_batch` (μ) consecutive optimizer
steps; `steps` counts optimizer steps, as in TRL's `num_iterations`. With μ = 1 the ratio is exactly 1 and the
loss reduces to the on-policy policy gradient; with μ > 1 the log-probs of the sampling policy are kept and the
clipped ratio bounds how far later steps move.
"""

from __future__ import annotations

import contextlib
import copy
import time

import torch

from .. import data as data_mod
from .. import distributed, losses, models, rollout
from ..scoring import RewardError, RewardScorer
from ..templates import encode_prompts, open_think_prefix, prompt_text
from .common import StageLoop
from .kd import kd_token_sum

SAMPLE_EVERY = 10
MAX_REWARD_FAILURES = 3


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


def _prompts_per_rank(stage: str, cfg: dict, world: int) -> int:
    pps, micro = cfg["prompts_per_step"], cfg["batch_size"]
    if pps % world:
        raise ValueError(
            f"stage {stage}: prompts_per_step = {pps} must be a multiple of the {world} ranks, so that every "
            "rank samples whole groups"
        )
    per_rank = pps // world
    if (per_rank * cfg["group"]) % micro:
        raise ValueError(
            f"stage {stage}: batch_size = {micro} must divide each rank's {per_rank * cfg['group']} sequences "
            f"(prompts_per_step / ranks x group = {pps} / {world} x {cfg['group']})"
        )
    return per_rank


def build_sequences(prompts: list[list[int]], completions: list[list[int]], pad: int, device) -> dict:
    """[left-padded prompt | right-padded completion] with explicit position ids, so padding shifts nothing."""
    pw = max(len(p) for p in prompts)
    cw = max(1, max(len(c) for c in completions))
    b = len(completions)
    ids = torch.full((b, pw + cw), pad, dtype=torch.long)
    att = torch.zeros((b, pw + cw), dtype=torch.long)
    cmask = torch.zeros((b, cw), dtype=torch.long)
    for i, (p, c) in enumerate(zip(prompts, completions, strict=True)):
        ids[i, pw - len(p) : pw] = torch.tensor(p)
        att[i, pw - len(p) : pw] = 1
        if c:
            ids[i, pw : pw + len(c)] = torch.tensor(c)
            att[i, pw : pw + len(c)] = 1
            cmask[i, : len(c)] = 1
    pos = (att.cumsum(1) - 1).clamp(min=0)
    return {
        "input_ids": ids.to(device),
        "attention_mask": att.to(device),
        "position_ids": pos.to(device),
        "completion_mask": cmask.to(device),
        "prompt_width": pw,
    }


def completion_logits(model, seq: dict, rows: slice):
    """Logits that predict each completion token ((b, cw, V)): position t predicts token t + 1.

    `logits_to_keep` makes the LM head run on the last cw + 1 positions only, so no (prompt × vocabulary)
    logits are ever materialised.
    """
    width = seq["input_ids"].shape[1] - seq["prompt_width"]
    with models.autocast():
        out = model(
            input_ids=seq["input_ids"][rows],
            attention_mask=seq["attention_mask"][rows],
            position_ids=seq["position_ids"][rows],
            logits_to_keep=width + 1,
        ).logits
    return out[:, :-1, :]


@torch.no_grad()
def batch_logprobs(model, seq: dict, micro: int, temperature: float) -> torch.Tensor:
    """Per-token log-probs of the sampled completions ((B, cw)) for the old policy or the reference, one
    micro-batch of `micro` sequences at a time, through the same chunked selective log-softmax as the update."""
    b = seq["input_ids"].shape[0]
    pw = seq["prompt_width"]
    parts = []
    for s in range(0, b, micro):
        sl = slice(s, s + micro)
        lg = completion_logits(model, seq, sl)
        parts.append(losses.token_logprobs(lg, seq["input_ids"][sl, pw:], temperature))
    return torch.cat(parts)


def run_rl(ctx, stage: dict, before_evals: list[str]) -> str:
    cfg = stage["config"]
    mu = cfg["updates_per_batch"]
    loop = StageLoop(ctx, stage, int(cfg["steps"]), before_evals)
    model, tok = loop.build_policy()
    ev = ctx.events
    rows = ctx.rows(cfg["data"])
    if any(r.get("answer") is None for r in rows[:1]):
        raise ValueError(f"stage {loop.name}: dataset '{cfg['data']}' rows have no answer for the rewards")
    # Built before resume loads a checkpoint's weights: the backend's weights are version 0 (the initial policy),
    # and the first rollout of a resumed stage syncs the loaded ones.
    backend = rollout.for_stage(ctx, loop, cfg, rows)
    scorer = RewardScorer(cfg["reward"], cfg.get("reward_file"), cfg.get("reward_timeout", 10))
    ref_model = None
    use_adapter_as_ref = False
    if cfg["kl"] > 0:
        if cfg.get("lora"):
            use_adapter_as_ref = True  # the base weights under a disabled adapter are the reference
        else:
            # Copied before build_optimizer, which may shard the policy: the reference stays whole on every rank.
            ref_model = copy.deepcopy(models.unwrap(model)).eval()
            for p in ref_model.parameters():
                p.requires_grad_(False)
    loop.build_optimizer()
    teacher = vocab = None
    kd_cfg = cfg.get("kd")
    if kd_cfg:
        teacher, _ = loop.load_teacher(stage["_teacher"])
        vocab, warning = models.check_kd_vocab(model, teacher, tok)
        if warning:
            ev.emit("warning", stage=loop.name, message=warning, code="kd_vocab_sliced")
    step, extra = loop.start("rl")
    G = cfg["group"]
    per_rank = _prompts_per_rank(loop.name, cfg, ctx.world_size)
    if ctx.world_size > 1:
        ev.emit(
            "log",
            stage=loop.name,
            level="info",
            message=f"generation batch of {cfg['prompts_per_step']} prompts x {G} samples: "
            f"{per_rank} prompts per rank on {ctx.world_size} ranks",
        )
    total = per_rank * G  # sequences this rank trains on per generation batch
    micro = cfg["batch_size"]
    n_micro = total // micro
    temp = cfg["temperature"]
    gen = extra.get("gen")
    skipped = int(extra.get("skipped", 0))
    failures = 0
    stopped = False
    try:
        while step < loop.total_steps:
            t_start = time.perf_counter()
            gen_metrics: dict = {}
            if step % mu == 0 or gen is None:
                gen, gen_metrics = _rollout(
                    ctx,
                    loop,
                    cfg,
                    scorer,
                    rows,
                    step // mu + skipped,
                    ref_model,
                    use_adapter_as_ref,
                    step,
                    backend,
                )
                if gen is None:
                    skipped += 1
                    failures += 1
                    if failures >= MAX_REWARD_FAILURES:
                        raise RuntimeError(
                            f"stage {loop.name}: {failures} generation batches in a row failed to score; see the reward_error events"
                        )
                    continue
                failures = 0
            seq, adv, loss_mask = gen["seq"], gen["adv"], gen["loss_mask"]
            t_update = time.perf_counter()
            # dapo and the KD term normalise by the token count of the whole generation batch, over all ranks;
            # gradients are averaged over ranks, so each rank divides by that count over the world size.
            kept_total = max(distributed.sum_across(int(loss_mask.sum())) / ctx.world_size, 1)
            stats_sum: dict[str, float] = {}
            ent_sum, kd_sum, loss_sum, n_stats = 0.0, 0.0, 0.0, 0
            for s in range(0, total, micro):
                sl = slice(s, s + micro)
                lg = completion_logits(model, seq, sl)
                labels = seq["input_ids"][sl, seq["prompt_width"] :]
                m = loss_mask[sl]
                logp = losses.token_logprobs(lg, labels, temp)
                old = gen["old_logp"][sl] if gen.get("old_logp") is not None else None
                ref = gen["ref_logp"][sl] if gen.get("ref_logp") is not None else None
                per_tok, stats = losses.grpo_token_loss(
                    logp, old, ref, adv[sl], m, cfg["epsilon"], cfg["epsilon_high"], cfg["kl"]
                )
                agg = cfg["loss_agg"]
                if agg == "dapo":
                    loss = losses.aggregate(per_tok, m, agg, num_items=kept_total)
                else:
                    loss = (
                        losses.aggregate(per_tok, m, agg, max_completion_len=cfg["max_new_tokens"]) / n_micro
                    )
                if teacher is not None:
                    with torch.no_grad():
                        t_lg = completion_logits(teacher, seq, sl)
                    kd = kd_token_sum(lg, t_lg, m, kd_cfg["loss"], kd_cfg["temperature"], vocab) / kept_total
                    loss = loss + kd_cfg["weight"] * kd
                    kd_sum += float(kd.detach())
                loop.backward(loss)
                loss_sum += float(loss.detach())
                with torch.no_grad():
                    ent_sum += float(losses.token_entropy(lg.detach(), m)) / n_micro
                for k, v in stats.items():
                    if v is not None:
                        stats_sum[k] = stats_sum.get(k, 0.0) + v / n_micro
                n_stats += 1
            grad_norm = loop.clip_and_step()
            step += 1
            now = time.perf_counter()
            metrics = {
                "loss": loss_sum,
                "lr": loop.lr(),
                "grad_norm": grad_norm,
                "entropy": ent_sum,
                "step_time_s": now - t_start,
                "update_time_s": now - t_update,
                "tokens_per_s": float(seq["attention_mask"].sum()) / max(now - t_update, 1e-9),
                **{k: v for k, v in stats_sum.items() if k != "ratio_mean"},
                **gen["metrics"],
                **gen_metrics,
            }
            if teacher is not None:
                metrics["kd"] = kd_sum
            if gen_metrics and ((step - 1) // mu) % SAMPLE_EVERY == 0:
                ev.emit("samples", stage=loop.name, step=step, source="rl", samples=gen["samples"])
            state = {"gen": gen, "skipped": skipped} if step % mu else {"skipped": skipped}
            if loop.end_step(step, metrics, state):
                stopped = True
                break
    finally:
        scorer.close()
        backend.close()
    return loop.finish(step, stopped)


def _rollout(ctx, loop, cfg, scorer, rows, gen_index, ref_model, use_adapter_as_ref, loop_step, backend):
    """Generate, score and compute advantages for one generation batch."""
    model, tok = loop.model, loop.tokenizer
    G = cfg["group"]
    t0 = time.perf_counter()
    batch_rows = _prompt_rows(rows, ctx.seed, gen_index, cfg["prompts_per_step"], ctx.rank, ctx.world_size)
    chat = ctx.chat_format(loop.name, cfg["data"], cfg.get("chat_template", True))
    prompts = encode_prompts(tok, batch_rows, chat)
    # What the template opened in the prompt (`<think>`) belongs to the completion for rewards that check layout.
    prefixes = [open_think_prefix(prompt_text(tok, r, chat)) for r in batch_rows]
    # The optimizer step identifies the policy's weights: a backend holding a copy refreshes it when it changed.
    backend.sync_weights(model, version=loop_step)
    comps = backend.generate(
        prompts,
        cfg["max_new_tokens"],
        cfg["temperature"],
        cfg["top_p"],
        G,
        seed=ctx.seed * 1_000_003 + gen_index,
    )
    t1 = time.perf_counter()
    rep_rows = [r for r in batch_rows for _ in range(G)]
    try:
        result = scorer.score(
            [c.text for c in comps],
            rep_rows,
            [len(c.ids) for c in comps],
            [c.truncated for c in comps],
            cfg["max_new_tokens"],
            [p for p in prefixes for _ in range(G)],
        )
    except RewardError as e:
        # Never a silent zero: the batch is dropped, the error (with its sample) goes to the stream.
        info = e.to_dict()
        ctx.events.emit(
            "error",
            stage=loop.name,
            step=loop_step,
            code="reward_error",
            message=str(e),
            traceback=info.pop("traceback", None),
            context=info,
        )
        return None, {}
    t2 = time.perf_counter()
    rewards = torch.tensor(result.total, dtype=torch.float64)
    adv, zero_std = losses.group_advantages(rewards, G, scale=cfg["scale_rewards"])
    seq = build_sequences(
        [p for p in prompts for _ in range(G)], [c.ids for c in comps], tok.pad_token_id, ctx.device
    )
    loss_mask = seq["completion_mask"]
    old_logp = (
        batch_logprobs(model, seq, cfg["batch_size"], cfg["temperature"])
        if cfg["updates_per_batch"] > 1
        else None
    )
    ref_logp = None
    if ref_model is not None:
        ref_logp = batch_logprobs(ref_model, seq, cfg["batch_size"], cfg["temperature"])
    elif use_adapter_as_ref:
        with model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext():
            ref_logp = batch_logprobs(model, seq, cfg["batch_size"], cfg["temperature"])
    lengths = torch.tensor([len(c.ids) for c in comps], dtype=torch.float64)
    metrics = {
        "reward": float(rewards.mean()),
        "reward_std": float(rewards.std()),
        "frac_zero_std_groups": zero_std,
        "completion_len_mean": float(lengths.mean()),
        "completion_len_max": float(lengths.max()),
        "truncation_rate": sum(c.truncated for c in comps) / len(comps),
    }
    for fn, vals in result.per_fn.items():
        v = torch.tensor(vals, dtype=torch.float64)
        metrics[f"reward/{fn}"] = float(v.mean())
        metrics[f"reward_std/{fn}"] = float(v.std())
    samples = [
        {
            "prompt": r["prompt"],
            "completion": c.text,
            "answer": r.get("answer"),
            "reward": result.total[i],
            "rewards": {fn: vals[i] for fn, vals in result.per_fn.items()},
            "truncated": c.truncated,
            "length": len(c.ids),
        }
        for i, (r, c) in enumerate(list(zip(rep_rows, comps, strict=True))[:4])
    ]
    gen = {
        "seq": seq,
        "adv": adv.to(ctx.device, torch.float32),
        "loss_mask": loss_mask,
        "old_logp": old_logp,
        "ref_logp": ref_logp,
        "metrics": metrics,
        "samples": samples,
    }
    return gen, {"gen_time_s": t1 - t0, "score_time_s": t2 - t1}
