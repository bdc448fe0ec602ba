"""Engine overhead: time per SFT step through the whole engine (plan, stage loop, metrics, events.jsonl)
against a bare PyTorch loop doing the same work (same model, same batches, AdamW, clipping), in one process.

    .venv/bin/python bench/engine/overhead.py [--steps 60] [--rounds 3]

Both sides are timed in CPU seconds of this process (time.process_time) over the training steps only, so
other processes competing for a shared machine's cores do not count; wall-clock figures are printed too.
Rounds alternate engine and bare runs and each side keeps its fastest round. Target: overhead <= 5 %.
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


def engine_round(model_dir: Path, steps: int, batch: int) -> tuple[float, float]:
    from srlm_engine.run import run

    marks: dict[str, tuple[float, float]] = {}

    def echo(e):
        # Called synchronously inside emit: stage_started just before step 1, metrics just after each step.
        if e["type"] == "stage_started" or (
            e["type"] == "metrics" and e["step"] == steps
        ):
            marks[e["type"]] = (time.process_time(), time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(plan_for(model_dir, steps, batch)))
        assert run(str(plan), str(Path(tmp) / "run"), echo=echo) == 0
    (c0, w0), (c1, w1) = marks["stage_started"], marks["metrics"]
    return (c1 - c0) / steps, (w1 - w0) / steps


def bare_round(model_dir: Path, steps: int, batch: int) -> tuple[float, float]:
    import torch
    from srlm_engine import data, losses, models
    from srlm_engine.plan import from_partial
    from srlm_engine.plan_types import ModelSpec
    from srlm_engine.tasks import arithmetic

    torch.manual_seed(3)
    model = models.load_model(
        from_partial(ModelSpec, {"source": str(model_dir), "weights": "random"}),
        torch.device("cpu"),
        3,
    )
    model.train()
    tok = models.load_tokenizer(str(model_dir))
    rows = arithmetic.generate("train", 512, seed=3)
    examples = [data.encode_example(tok, r, 64, True, True) for r in rows]
    batches = data.make_batches(examples, batch, 3, 0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    c0, t0 = time.process_time(), time.perf_counter()
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
    return (time.process_time() - c0) / steps, (time.perf_counter() - t0) / steps


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
    e, b = min(x[0] for x in engine), min(x[0] for x in bare)
    ew, bw = min(x[1] for x in engine), min(x[1] for x in bare)
    out = {
        "benchmark": "engine-overhead",
        "model": "tiny-student",
        "steps": args.steps,
        "batch": args.batch,
        "engine_step_cpu_s": e,
        "bare_step_cpu_s": b,
        "overhead_pct": 100 * (e - b) / b,
        "wall_engine_step_s": ew,
        "wall_bare_step_s": bw,
        "wall_overhead_pct": 100 * (ew - bw) / bw,
        "target_pct": 5.0,
        "rounds_cpu_s": {
            "engine": [x[0] for x in engine],
            "bare": [x[0] for x in bare],
        },
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
