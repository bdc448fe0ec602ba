"""Where a run's models go wrong when they sample: each checkpoint's samples at temperature 1 on an eval's
problems, sorted into correct, a slipped box (the worked steps reach the gold answer, the box holds another:
what `answer_noise` puts in the training data) and wrong steps (an arithmetic or copying error on the way).

    .venv/bin/python bench/demo_errors.py .srlm/runs/RUN                     # teacher, student, polish on val
    .venv/bin/python bench/demo_errors.py .srlm/runs/RUN --stages student polish --data test_problems --k 8

The problems are the run's own eval data set (read from its plan.json through the engine's loader, so the same
rows as its evals); prompts and samples go through the engine's own `templates.encode_prompts` and
`generation.generate`, as its evals do, at temperature 1 with a fixed torch seed, one problem per call, so
figures differ from the eval's avg@k by sampling noise (a point or two at 200 problems x 8 samples).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "runtime" / "python"))
from srlm_engine import plan as plans
from srlm_engine.dataset_rows import load_rows
from srlm_engine.generation import generate
from srlm_engine.rewards import answer_is_correct, extract_answer
from srlm_engine.templates import ChatFormat, encode_prompts

_RESULT = re.compile(r"= (\d+)\.")
KINDS = ("correct", "slipped box", "wrong steps", "no answer")


def classify(completion: str, gold: str) -> str:
    """One sample's kind (KINDS), by its boxed answer and the result of its last worked step."""
    if extract_answer(completion) is None:
        return "no answer"
    if answer_is_correct(completion, gold):  # the rewards' and evals' own judge
        return "correct"
    results = _RESULT.findall(completion)
    return "slipped box" if results and results[-1] == gold else "wrong steps"


def sample_kinds(
    checkpoint: Path, rows: list[dict], chat: ChatFormat, k: int, max_new_tokens: int
) -> dict[str, float]:
    tok = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    counts = dict.fromkeys(KINDS, 0)
    # One problem per call, as the figures in docs/BENCHMARKS.md were drawn: batching would change the draws.
    for row, prompt in zip(rows, encode_prompts(tok, rows, chat), strict=True):
        for c in generate(
            model,
            tok,
            [prompt],
            max_new_tokens,
            temperature=1.0,
            num_return_sequences=k,
            batch_size=k,
        ):
            counts[classify(c.text, row["answer"])] += 1
    total = sum(counts.values())
    return {kind: 100 * n / total for kind, n in counts.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--stages", nargs="+", default=["teacher", "student", "polish"])
    ap.add_argument(
        "--data",
        default="val_problems",
        help="the plan's dataset whose problems are sampled",
    )
    ap.add_argument("--k", type=int, default=8, help="samples per problem")
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0, help="torch seed for the sampling")
    args = ap.parse_args()
    plan = plans.load(args.run / "plan.json")
    if args.data not in plan.datasets:
        raise SystemExit(
            f"no dataset {args.data!r} in {args.run}/plan.json ({', '.join(plan.datasets)})"
        )
    rows = load_rows(args.data, plan.datasets[args.data], plan.settings.seed)
    torch.set_num_threads(1)
    print(
        f"{args.run.name}: {len(rows)} problems of {args.data} x {args.k} samples at temperature 1, in %"
    )
    print(f"{'stage':<10}" + "".join(f"{kind:>14}" for kind in KINDS))
    for stage in args.stages:
        torch.manual_seed(args.seed)
        share = sample_kinds(
            args.run / "checkpoints" / stage / "final",
            rows,
            ChatFormat(system=plan.settings.system),
            args.k,
            args.max_new_tokens,
        )
        print(f"{stage:<10}" + "".join(f"{share[kind]:>14.1f}" for kind in KINDS))


if __name__ == "__main__":
    main()
