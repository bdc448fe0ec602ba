"""Times transformers' own greedy generation (KV cache, CPU, fp32) on a checkpoint, for the comparison in
bench.ts: first-token latency (prefill + first token) and decode tokens/s, best of several repeats.

usage: python transformers_gen.py CHECKPOINT PROMPT_IDS_JSON NEW_TOKENS REPEATS
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import torch
from transformers import AutoModelForCausalLM


def timed(model, ids, n):
    mask = torch.ones_like(ids)
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            ids,
            attention_mask=mask,
            max_new_tokens=n,
            min_new_tokens=0,
            do_sample=False,
        )
    return time.perf_counter() - start, out[0, ids.shape[1] :].tolist()


def main() -> None:
    warnings.filterwarnings("ignore")
    path, prompt, n, repeats = (
        sys.argv[1],
        json.loads(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    # Generation must run the full length on both sides: no stopping on EOS.
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    ids = torch.tensor([prompt])
    timed(model, ids, 4)  # warm-up: first-call allocations and lazy initialisation
    first = min(timed(model, ids, 1)[0] for _ in range(repeats))
    runs = [timed(model, ids, n) for _ in range(repeats)]
    total = min(t for t, _ in runs)
    print(
        json.dumps(
            {
                "threads": torch.get_num_threads(),
                "first_token_ms": first * 1000,
                "total_ms": total * 1000,
                "decode_tokens_per_s": (n - 1) / max(total - first, 1e-9),
                "tokens_per_s": n / total,
                "ids": runs[0][1],
            }
        )
    )


if __name__ == "__main__":
    main()
