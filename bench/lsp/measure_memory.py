"""Measures peak CUDA memory of SFT training steps and prints it beside the estimator's prediction.

Builds a randomly initialised Qwen2.5-0.5B-shaped model from its config (no download), runs a few full
optimizer steps and reports torch.cuda.max_memory_allocated(), then calls bench/lsp/estimate-cli.ts with the same
settings. Needs a CUDA GPU, torch and transformers; run from the repository root:

    .venv/bin/python bench/lsp/measure_memory.py --mode autocast --batch 1 --seq-len 1024   # the engine's default
    .venv/bin/python bench/lsp/measure_memory.py --all        # the grid used in docs/memory-estimator.md

Modes: `autocast` (fp32 weights under bf16 autocast, fused AdamW: what the engine does), `bf16-master` (bf16
weights, fp32 master copy and fp32 AdamW moments), `pure-bf16` (bf16 weights, plain AdamW), `lora` (bf16 base,
fp32 rank-16 adapters on q,k,v,o).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys

QWEN05 = {
    "vocab_size": 151936,
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "tie_word_embeddings": True,
}


TINY = {
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 512,
    "tie_word_embeddings": True,
}


def measure(
    mode: str,
    batch: int,
    seq_len: int,
    grad_ckpt: bool,
    attention: str,
    steps: int = 3,
    tiny: bool = False,
) -> int | None:
    """Peak allocated CUDA bytes over `steps` optimizer steps; `tiny` is a CPU smoke run returning None."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(**(TINY if tiny else QWEN05), attn_implementation=attention)
    dev = "cpu" if tiny else "cuda"
    dtype = torch.float32 if mode == "autocast" else torch.bfloat16
    model = Qwen2ForCausalLM(cfg).to(dev, dtype=dtype)
    if grad_ckpt:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    model.train()
    master = None
    if mode == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model,
            LoraConfig(
                r=16,
                lora_alpha=32,
                target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
            ),
        )
        params = [p for p in model.parameters() if p.requires_grad]
    elif mode == "bf16-master":
        master = [
            p.detach().float().clone().requires_grad_(True) for p in model.parameters()
        ]
        params = master
    else:
        params = list(model.parameters())
    # The engine's path (autocast) uses fused AdamW like the engine; the other modes keep torch's default.
    opt = torch.optim.AdamW(
        params, lr=1e-5, fused=True if mode == "autocast" and not tiny else None
    )
    ids = torch.randint(0, cfg.vocab_size, (batch, seq_len), device=dev)
    if not tiny:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    for _ in range(steps):
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=mode == "autocast"):
            out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        del out
        if master is not None:
            for m, p in zip(master, model.parameters()):
                m.grad = p.grad.float() if p.grad is not None else None
                p.grad = None
        opt.step()
        opt.zero_grad(set_to_none=True)
        if master is not None:
            with torch.no_grad():
                for m, p in zip(master, model.parameters()):
                    p.copy_(m)
    if tiny:
        return None
    torch.cuda.synchronize()
    return int(torch.cuda.max_memory_allocated())


def estimate(
    mode: str,
    batch: int,
    seq_len: int,
    grad_ckpt: bool,
    attention: str,
    config: str | None = None,
) -> dict | None:
    # The lent GPU machines have no Node.js: there the estimate is computed afterwards, on the dev machine.
    if shutil.which("npx") is None:
        return None
    cmd = [
        "npx",
        "tsx",
        "bench/lsp/estimate-cli.ts",
        "--batch",
        str(batch),
        "--seq-len",
        str(seq_len),
        "--attention",
        attention,
    ]
    cmd += {
        "autocast": ["--dtype", "fp32"],
        "pure-bf16": ["--dtype", "bf16", "--pure"],
        "lora": ["--dtype", "bf16", "--lora-rank", "16"],
    }.get(mode, ["--dtype", "bf16"])
    if grad_ckpt:
        cmd.append("--grad-ckpt")
    if config:
        cmd += ["--config", config]
    return json.loads(
        subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    )["memory"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--mode",
        default="bf16-master",
        choices=["bf16-master", "autocast", "pure-bf16", "lora"],
    )
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--grad-ckpt", action="store_true")
    ap.add_argument("--attention", default="sdpa")
    ap.add_argument("--all", action="store_true")
    ap.add_argument(
        "--tiny",
        action="store_true",
        help="CPU smoke run of every code path on a tiny model",
    )
    a = ap.parse_args()
    config = None
    if a.tiny:
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({**TINY, "model_type": "qwen2"}, f)
            config = f.name
    grid = [(a.mode, a.batch, a.seq_len, a.grad_ckpt)]
    if a.all:
        grid = [
            (m, b, s, g)
            for m in ("bf16-master", "autocast", "pure-bf16", "lora")
            for (b, s) in ((1, 1024), (4, 1024), (2, 4096))
            for g in (False, True)
        ]
    for mode, batch, seq_len, grad_ckpt in grid:
        row = {
            "mode": mode,
            "batch": batch,
            "seq_len": seq_len,
            "grad_ckpt": grad_ckpt,
            "attention": a.attention,
        }
        try:
            measured = measure(
                mode, batch, seq_len, grad_ckpt, a.attention, tiny=a.tiny
            )
        except (
            RuntimeError,
            ImportError,
        ) as e:  # an OOM in one cell must not lose the rest of the grid
            row["error"] = f"{type(e).__name__}: {e}"[:200]
            measured = None
        est = estimate(mode, batch, seq_len, grad_ckpt, a.attention, config)
        row["measured_bytes"] = measured
        if est is not None:
            row.update(estimated_bytes=est["peak"], phase=est["peakPhase"])
        if measured and est is not None:
            row["ratio"] = round(est["peak"] / measured, 3)
        print(json.dumps(row), flush=True)
        try:
            import torch

            torch.cuda.empty_cache()
        except ImportError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
