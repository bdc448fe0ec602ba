"""CPU benchmark and check behind `cpu_threads` (srlm_engine/cpu_threads.py): which work gives the same bits at 1
and 2 threads, and what the second thread buys, on the demo's tiny-student model.

For each shape it reports whether the training forward's logits, the weight gradients and a sampled `generate`'s
tokens are equal at 1 and 2 threads, and the best-of-`--repeats` seconds of a forward, a forward + backward and a
`generate` at each count. Wall time: run it on a quiet machine, and compare the ratios of one run.

Usage: python bench/engine/cpu_threads.py [--repeats 5]   (prints one JSON object)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runtime" / "python"))
MODEL = (
    ROOT / "runtime" / "python" / "srlm_engine" / "assets" / "models" / "tiny-student"
)


def best(repeats: int, fn, *args) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def forward(model, ids, att) -> None:
    import torch

    with torch.no_grad():
        model(input_ids=ids, attention_mask=att)


def forward_backward(model, ids, att) -> None:
    model.zero_grad(set_to_none=True)
    model(input_ids=ids, attention_mask=att, labels=ids).loss.backward()


def generate(model, prompts, cfg):
    import torch

    torch.manual_seed(1)
    with torch.no_grad():
        return model.generate(
            input_ids=prompts,
            attention_mask=torch.ones_like(prompts),
            generation_config=cfg,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(MODEL))
    out: dict = {"torch": torch.__version__, "shapes": []}
    # SFT's batch (32 x 64), KD's (16 x 96) and a GRPO update's (256 x 70).
    for b, t in [(32, 64), (16, 96), (256, 70)]:
        ids = torch.randint(3, 384, (b, t))
        att = torch.ones_like(ids)
        att[: b // 8, : t // 8] = 0  # some left padding, as batches have
        logits, grads, fwd, fwd_bwd = {}, {}, {}, {}
        for n in (1, 2):
            torch.set_num_threads(n)
            model.train()
            model.zero_grad(set_to_none=True)
            res = model(input_ids=ids, attention_mask=att, labels=ids)
            res.loss.backward()
            logits[n] = res.logits.detach()
            grads[n] = {k: p.grad.clone() for k, p in model.named_parameters()}
            fwd[n] = best(args.repeats, forward, model, ids, att)
            fwd_bwd[n] = best(args.repeats, forward_backward, model, ids, att)
        differing = [k for k in grads[1] if not torch.equal(grads[1][k], grads[2][k])]
        out["shapes"].append(
            {
                "batch": [b, t],
                "logits_equal": bool(torch.equal(logits[1], logits[2])),
                "weight_grads_differing": f"{len(differing)} of {len(grads[1])}",
                "forward_s": fwd,
                "forward_backward_s": fwd_bwd,
            }
        )
    # A GRPO generation batch: 32 prompts x 8 samples x 40 new tokens at temperature 1.
    model.eval()
    prompts = torch.randint(3, 384, (32, 30))
    cfg = GenerationConfig(
        max_new_tokens=40, do_sample=True, temperature=1.0, top_k=0, num_return_sequences=8,
        eos_token_id=2, pad_token_id=0,
    )  # fmt: skip
    tokens, gen = {}, {}
    for n in (1, 2):
        torch.set_num_threads(n)
        tokens[n] = generate(model, prompts, cfg)
        gen[n] = best(args.repeats, generate, model, prompts, cfg)
    out["generate"] = {
        "tokens_equal": bool(torch.equal(tokens[1], tokens[2])),
        "seconds": gen,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
