"""Engine overhead: time per SFT step through the whole engine (plan, stage loop, metrics, events.jsonl)
against a bare PyTorch loop doing the same work (same model, same batches, AdamW, clipping), in one process.

    .venv/bin/python bench/engine/overhead.py [--steps 60] [--rounds 3]

Rounds alternate engine and bare runs; each side keeps its fastest round, so a noisy neighbour on a shared
machine inflates both sides rather than one. Target: overhead <= 5 %. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runtime" / "python"))


def plan_for(model_dir: Path, steps: int, batch: int) -> dict:
    return {
        "schema_version": 1,
        "pipeline": "overhead",
        "settings": {"seed": 3, "device": "cpu"},
        "models": {"m": {"source": str(model_dir), "weights": "random"}},
        "datasets": {
            "d": {
                "builtin": "arithmetic",
                "split": "train",
                "limit": 512,
                "completion": "completion",
            }
        },
        "stages": [
            {
                "name": "s",
                "kind": "sft",
                "init": {"model": "m"},
                "config": {
                    "data": "d",
                    "steps": steps,
                    "lr": 1e-3,
                    "batch_size": batch,
                    "max_len": 64,
                    "warmup": 0.0,
                },
            }
        ],
    }


def engine_round(model_dir: Path, steps: int, batch: int) -> float:
    from srlm_engine.run import run

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(plan_for(model_dir, steps, batch)))
        assert run(str(plan), str(Path(tmp) / "run")) == 0
        events = [
            json.loads(x)
            for x in (Path(tmp) / "run" / "events.jsonl").read_text().splitlines()
        ]
    start = next(e["time"] for e in events if e["type"] == "stage_started")
    last = [e["time"] for e in events if e["type"] == "metrics"][-1]
    # stage_started is emitted just before step 1 begins; the last metrics event just after step N ends.
    return (last - start) / steps


def bare_round(model_dir: Path, steps: int, batch: int) -> float:
    import torch
    from srlm_engine import data, losses, models
    from srlm_engine.tasks import arithmetic

    torch.manual_seed(3)
    model = models.load_model(
        {"source": str(model_dir), "weights": "random"}, torch.device("cpu"), 3
    )
    model.train()
    tok = models.load_tokenizer(str(model_dir))
    rows = arithmetic.generate("train", 512, seed=3)
    examples = [data.encode_example(tok, r, 64, True, True) for r in rows]
    batches = data.make_batches(examples, batch, 3, 0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for i in range(steps):
        b = data.collate(batches[i % len(batches)], tok.pad_token_id, "cpu")
        logits = model(
            input_ids=b["input_ids"], attention_mask=b["attention_mask"]
        ).logits
        lg, labels, mask = losses.shift_for_next_token(
            logits, b["input_ids"], b["loss_mask"]
        )
        loss = losses.completion_ce(lg, labels, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        float(loss)
    return (time.perf_counter() - t0) / steps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args(argv)
    import torch
    from srlm_engine.assets import model_dir

    torch.set_num_threads(1)
    md = model_dir("tiny-student")
    engine, bare = [], []
    for _ in range(args.rounds):
        engine.append(engine_round(md, args.steps, args.batch))
        bare.append(bare_round(md, args.steps, args.batch))
    e, b = min(engine), min(bare)
    out = {
        "benchmark": "engine-overhead",
        "model": "tiny-student",
        "steps": args.steps,
        "batch": args.batch,
        "engine_step_s": e,
        "bare_step_s": b,
        "overhead_pct": 100 * (e - b) / b,
        "target_pct": 5.0,
        "engine_rounds": engine,
        "bare_rounds": bare,
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
