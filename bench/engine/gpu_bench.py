"""GPU benchmark of the engine's code paths on a Qwen2.5-0.5B-shaped model with random weights (no download).

Measures, on one GPU and in well under 8 minutes:
  * SFT: tokens/s, step time, model FLOPs utilisation (MFU) and peak memory of full fine-tuning steps (fp32
    master weights, bf16 autocast, fused AdamW: the engine's defaults on a GPU), with the memory split into
    parameters, gradients, optimizer state and the rest (activations, logits, workspace) beside the memory
    estimator's figure when `npx tsx bench/lsp/estimate-cli.ts` can run here;
  * one GRPO step split into generation (KV cache, model.generate), scoring (the reward worker process) and
    update (reference log-probs + clipped loss + backward + optimizer step).

Usage (repository root):  python bench/engine/gpu_bench.py            # GPU
                          python bench/engine/gpu_bench.py --tiny     # CPU smoke run, tiny model
Prints one JSON object; also writes $OUT/gpu_bench.json when OUT is set.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runtime" / "python"))

QWEN05 = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "vocab_size": 151936,
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
    "hidden_act": "silu",
    "use_sliding_window": False,
    "bos_token_id": 0,
    "eos_token_id": 2,
}
TINY = {
    **QWEN05,
    "vocab_size": 384,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
}

# Dense bf16 peak FLOP/s by device name (no sparsity), for MFU.
PEAK_BF16 = {
    "H100": 989e12,
    "H200": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10G": 125e12,
    "L4": 121e12,
}


def peak_flops(name: str) -> float | None:
    for key, value in PEAK_BF16.items():
        if key in name:
            return value
    return None


def tensor_bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def estimator(batch: int, seq: int) -> dict | None:
    npx = shutil.which("npx")
    if not npx or not (ROOT / "bench/lsp/estimate-cli.ts").is_file():
        return None
    cmd = [
        npx,
        "--no-install",
        "tsx",
        "bench/lsp/estimate-cli.ts",
        "--model",
        "Qwen/Qwen2.5-0.5B",
        "--kind",
        "sft",
        "--batch",
        str(batch),
        "--seq-len",
        str(seq),
        "--precision",
        "bf16",
        "--device",
        "H100",
    ]
    try:
        out = subprocess.run(
            cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=90
        )
        return (
            json.loads(out.stdout)
            if out.returncode == 0
            else {"error": out.stderr[-500:]}
        )
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
        return {"error": str(e)}


def bench_sft(model, device, batch: int, seq: int, steps: int, warmup: int) -> dict:
    import torch
    from srlm_engine import losses, models
    from srlm_engine.plan import from_partial
    from srlm_engine.plan_types import SftConfig
    from srlm_engine.stages.loop import make_optimizer

    cfg = from_partial(
        SftConfig, {"data": "bench", "lr": 1e-5, "warmup": 0.0, "scheduler": "constant"}
    )
    opt, sched = make_optimizer(model, cfg, steps + warmup)
    vocab = model.config.vocab_size
    g = torch.Generator(device="cpu").manual_seed(0)
    ids = torch.randint(0, vocab, (batch, seq), generator=g).to(device)
    att = torch.ones_like(ids)
    mask = torch.ones_like(ids)
    mask[:, : seq // 4] = 0  # a prompt quarter, masked as completion-only SFT does
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for i in range(warmup + steps):
        sync(device)
        t0 = time.perf_counter()
        with models.autocast():
            logits = model(input_ids=ids, attention_mask=att).logits
        lg, labels, m = losses.shift_for_next_token(logits, ids, mask)
        loss = losses.completion_ce(lg, labels, m)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        del logits, lg, loss
        sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    step = sorted(times)[len(times) // 2]
    n_params = sum(p.numel() for p in model.parameters())
    n_embed = model.get_input_embeddings().weight.numel()
    c = model.config
    # 6N per token for the matmuls (the tied embedding counts once, as the LM head), plus attention's
    # 12·L·d·T per token (PaLM, appendix B).
    flops_per_token = 6 * n_params + 12 * c.num_hidden_layers * c.hidden_size * seq
    tokens = batch * seq
    out = {
        "batch": batch,
        "seq_len": seq,
        "step_time_s": step,
        "tokens_per_s": tokens / step,
        "params": n_params,
        "embedding_params": n_embed,
        "model_tflops_per_s": flops_per_token * tokens / step / 1e12,
    }
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        peak = peak_flops(name)
        out["device"] = name
        out["mfu"] = flops_per_token * tokens / step / peak if peak else None
        params_b = tensor_bytes(model.parameters())
        grads_b = params_b  # fp32 gradients, one per trainable parameter (freed between steps, peak holds them)
        opt_b = tensor_bytes(
            t for st in opt.state.values() for t in st.values() if torch.is_tensor(t)
        )
        peak_b = torch.cuda.max_memory_allocated(device)
        out["memory_gib"] = {
            "peak_allocated": peak_b / 2**30,
            "params": params_b / 2**30,
            "grads": grads_b / 2**30,
            "optimizer_state": opt_b / 2**30,
            "activations_and_rest": (peak_b - params_b - grads_b - opt_b) / 2**30,
            "peak_reserved": torch.cuda.max_memory_reserved(device) / 2**30,
        }
    del opt
    return out


def bench_grpo(
    model,
    tok,
    device,
    prompts: int,
    group: int,
    prompt_len: int,
    max_new: int,
    micro: int,
    backend=None,
) -> dict:
    """One GRPO step through the engine's own steps: rollout (`backend`, by default the engine's `hf` backend),
    scoring (`RewardScorer.score_rollout`) and update (`stages.rl.policy_update`, then clip and AdamW)."""
    import copy

    import torch
    from srlm_engine import losses, rollout
    from srlm_engine.generation import Completion
    from srlm_engine.plan import from_partial
    from srlm_engine.plan_types import RlConfig
    from srlm_engine.scoring import RewardScorer
    from srlm_engine.stages.loop import make_optimizer
    from srlm_engine.stages.rl import (
        GRPOSettings,
        batch_logprobs,
        build_batch,
        policy_update,
    )

    vocab = model.config.vocab_size
    ref = (
        copy.deepcopy(model)
        .to(torch.bfloat16 if device.type == "cuda" else torch.float32)
        .eval()
    )
    for p in ref.parameters():
        p.requires_grad_(False)
    # The stage's own defaults (grpo, kl 0.04, epsilon 0.2, temperature 1) with the benchmark's shape.
    cfg = from_partial(
        RlConfig,
        {
            "data": "bench",
            "lr": 1e-6,
            "warmup": 0.0,
            "scheduler": "constant",
            "prompts_per_step": prompts,
            "group": group,
            "batch_size": micro,
            "max_new_tokens": max_new,
        },
    )
    opt, _ = make_optimizer(model, cfg, 10)
    settings = GRPOSettings.of(cfg)
    g = torch.Generator().manual_seed(1)
    prompt_ids = [
        torch.randint(3, vocab, (prompt_len,), generator=g).tolist()
        for _ in range(prompts)
    ]
    backend = backend or rollout.HFRollout(model, tok, prompts * group)
    scorer = RewardScorer(
        [{"fn": "accuracy", "weight": 1.0}, {"fn": "format", "weight": 0.2}], None, 120
    )
    try:
        sync(device)
        t0 = time.perf_counter()
        backend.sync_weights(model, version=None)
        comps = backend.generate(prompt_ids, max_new, 1.0, 1.0, group, seed=1)
        sync(device)
        t1 = time.perf_counter()
        # Random weights emit ids the tiny demo tokenizer lacks; fold them into its range to get scorable text.
        comps = [
            Completion(
                c.ids,
                tok.decode([i % len(tok) for i in c.ids], skip_special_tokens=True),
                c.truncated,
            )
            for c in comps
        ]
        rows = [{"prompt": "p", "answer": "42"}] * prompts
        ro = rollout.Rollout(rows, prompt_ids, [""] * prompts, comps, group)
        scores = scorer.score_rollout(ro, max_new)
        t2 = time.perf_counter()
    finally:
        scorer.close()
    # A random policy scores every completion alike; a little noise gives the update non-zero advantages.
    adv, _ = losses.group_advantages(
        scores.total + torch.rand(scores.total.shape, generator=g) * 1e-3, group
    )
    batch = build_batch(
        prompt_ids,
        [c.ids for c in comps],
        tok.pad_token_id,
        device,
        group=group,
        rewards=scores.total,
        advantages=adv,
    )
    batch.ref_logp = batch_logprobs(ref, batch, settings.micro, settings.temperature)
    update = policy_update(model, batch, settings, lambda loss: loss.backward())
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    sync(device)
    t3 = time.perf_counter()
    gen_tokens = sum(len(c.ids) for c in comps)
    return {
        "backend": backend.name,
        "prompts": prompts,
        "group": group,
        "prompt_len": prompt_len,
        "max_new_tokens": max_new,
        "generation_s": t1 - t0,
        "scoring_s": t2 - t1,
        "update_s": t3 - t2,
        "total_s": t3 - t0,
        "generated_tokens": gen_tokens,
        "generation_tokens_per_s": gen_tokens / (t1 - t0),
        "truncation_rate": sum(c.truncated for c in comps) / len(comps),
        "loss": update["loss"],
        "entropy": update["entropy"],
        "clip_fraction": update["clip_fraction"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--tiny",
        action="store_true",
        help="tiny model on CPU (a smoke test of this script)",
    )
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--micro", type=int, default=16, help="GRPO update micro-batch")
    args = ap.parse_args(argv)

    import torch
    from srlm_engine import models
    from srlm_engine.assets import TOKENIZER_DIR
    from transformers import AutoConfig, AutoModelForCausalLM

    if args.tiny:
        args.batch, args.seq_len, args.steps, args.warmup = 2, 64, 2, 1
        args.prompts, args.group, args.prompt_len, args.max_new_tokens, args.micro = (
            2,
            2,
            8,
            8,
            2,
        )
        torch.set_num_threads(1)
    device = (
        torch.device("cuda")
        if torch.cuda.is_available() and not args.tiny
        else torch.device("cpu")
    )
    models.configure_amp("auto", device)
    cfg = AutoConfig.for_model(**(TINY if args.tiny else QWEN05))
    torch.manual_seed(0)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_config(
        cfg, dtype=torch.float32, attn_implementation="sdpa"
    ).to(device)
    model.train()
    tok = models.load_tokenizer(str(TOKENIZER_DIR))
    result = {
        "benchmark": "srlm-engine-gpu",
        "tiny": args.tiny,
        "device": str(device),
        "torch": torch.__version__,
        "build_s": time.perf_counter() - t0,
    }
    result["sft"] = bench_sft(
        model, device, args.batch, args.seq_len, args.steps, args.warmup
    )
    result["estimator"] = None if args.tiny else estimator(args.batch, args.seq_len)
    if device.type == "cuda":
        torch.cuda.empty_cache()
    result["grpo_step"] = bench_grpo(
        model,
        tok,
        device,
        args.prompts,
        args.group,
        args.prompt_len,
        args.max_new_tokens,
        args.micro,
    )
    if device.type == "cuda":
        result["grpo_step"]["peak_allocated_gib"] = (
            torch.cuda.max_memory_allocated(device) / 2**30
        )
    text = json.dumps(result, indent=2)
    print(text)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["OUT"]) / "gpu_bench.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
