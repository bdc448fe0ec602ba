"""CPU benchmark: SFT tokens/s with padded batches against padding-free packed rows, through the engine's own
code (`data.make_batches` / `data.pack` / `data.collate`, `stages.sft.ce_loss`, `stages.loop.make_optimizer`).

Both modes train epochs over the same examples (lengths drawn like chain-of-thought SFT data: a short prompt and
a long-tailed completion) from the same initial weights, alternating, `--rounds` epochs each; the figure is the
best epoch by process CPU time (one thread), which the shared machine's load disturbs less than wall time.
Tokens/s counts real (non-padding) tokens only.
Padded batches are length-grouped as the engine does (`group_by_length`), which already removes much padding.

Usage: python bench/engine/packing_speed.py [--examples 96] [--max-len 1024] [--smoke]   (prints one JSON object)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runtime" / "python"))


def _examples(n: int, max_len: int, vocab: int, seed: int):
    import torch
    from srlm_engine import data

    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        plen = int(torch.randint(24, 96, (1,), generator=g))
        clen = int(
            min(
                max_len - plen, torch.empty(1).log_normal_(5.0, 0.6, generator=g).item()
            )
        )
        ids = torch.randint(3, vocab, (plen + clen,), generator=g).tolist()
        out.append(data.Example(ids, [0] * plen + [1] * clen, plen))
    return out


def _trainer(model_cfg: dict, attn: str):
    """A model and its optimizer, built the same way for both modes (same seed, same initial weights)."""
    import torch
    from srlm_engine.plan import from_partial
    from srlm_engine.plan_types import SftConfig
    from srlm_engine.stages.loop import make_optimizer
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(
        AutoConfig.for_model(**model_cfg), attn_implementation=attn
    )
    model.train()
    cfg = from_partial(
        SftConfig,
        {
            "init": "m",
            "data": "bench",
            "lr": 1e-4,
            "warmup": 0.0,
            "scheduler": "constant",
        },
    )
    opt, _ = make_optimizer(model, cfg, 1000)
    return model, opt


def _epoch(trainer, batches) -> dict:
    from srlm_engine import data
    from srlm_engine.stages.sft import ce_loss

    model, opt = trainer
    real = padded = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for b in batches:
        batch = data.collate(b, 0, "cpu")
        n = max(1, int(batch["loss_mask"][:, 1:].sum()))
        loss, _ = ce_loss(model, batch, n, 0)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        real += int(batch["attention_mask"].sum())
        padded += batch["input_ids"].numel()
    return {
        "real_tokens": real,
        "padding_fraction": round(1 - real / padded, 3),
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
    }


def _best(runs: list[dict], batches: int) -> dict:
    best = min(runs, key=lambda r: r["cpu_s"])
    return {
        "batches": batches,
        "real_tokens": best["real_tokens"],
        "padding_fraction": best["padding_fraction"],
        "tokens_per_cpu_s": round(best["real_tokens"] / best["cpu_s"], 1),
        "tokens_per_wall_s": round(
            best["real_tokens"] / min(r["wall_s"] for r in runs), 1
        ),
        "cpu_s_per_round": [round(r["cpu_s"], 2) for r in runs],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--examples", type=int, default=96)
    ap.add_argument("--max-len", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=8, help="examples per padded batch")
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="epochs per mode, alternating which mode goes first",
    )
    ap.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that the script runs"
    )
    args = ap.parse_args(argv)
    import torch
    from srlm_engine import data

    torch.set_num_threads(1)
    model_cfg = {
        "model_type": "qwen2", "vocab_size": 2048, "hidden_size": 128, "intermediate_size": 512,
        "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 4096, "tie_word_embeddings": True,
    }  # fmt: skip
    if args.smoke:
        args.examples, args.max_len, args.batch, args.rounds = 8, 256, 2, 1
        model_cfg.update(
            hidden_size=32, intermediate_size=64, num_hidden_layers=1, vocab_size=384
        )
    exs = _examples(args.examples, args.max_len, model_cfg["vocab_size"], seed=1)
    padded = data.make_batches(exs, args.batch, seed=0, epoch=0)
    rows = data.pack(exs, args.max_len)
    # Packed rows hold ~max_len tokens; batches of rows carry about as many real tokens as the padded batches.
    mean_len = sum(len(e.ids) for e in exs) / len(exs)
    per = max(1, round(args.batch * mean_len / args.max_len))
    packed = data.make_batches(rows, per, seed=0, epoch=0)
    trainers = {
        "padded": _trainer(model_cfg, args.attn),
        "packed": _trainer(model_cfg, args.attn),
    }
    batches = {"padded": padded, "packed": packed}
    runs: dict[str, list[dict]] = {"padded": [], "packed": []}
    for r in range(args.rounds):
        # Alternating order: a load change on the shared machine hits both modes alike.
        for mode in ("padded", "packed") if r % 2 == 0 else ("packed", "padded"):
            runs[mode].append(_epoch(trainers[mode], batches[mode]))
    result = {
        "benchmark": "packing-speed-cpu",
        "method": f"best of {args.rounds} epochs per mode by process CPU time, modes alternating",
        "examples": args.examples,
        "max_len": args.max_len,
        "mean_example_tokens": round(mean_len, 1),
        "attn": args.attn,
        "padded": _best(runs["padded"], len(padded)),
        "packed": {**_best(runs["packed"], len(packed)), "rows_per_batch": per},
    }
    result["packed_over_padded_tokens_per_cpu_s"] = round(
        result["packed"]["tokens_per_cpu_s"] / result["padded"]["tokens_per_cpu_s"], 2
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
