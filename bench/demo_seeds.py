"""The embedded demo on several seeds: runs `examples/demo.srlm` (or another pipeline) once per seed through the
CLI and prints one row per seed — the untrained student, the KD student and the GRPO student, each as greedy
accuracy and avg@k (mean accuracy of k samples at temperature 1), the deltas and the stage times.

    npm run --silent build
    .venv/bin/python bench/demo_seeds.py                          # seeds 1234 7 42 99, eval `test`
    .venv/bin/python bench/demo_seeds.py --eval val --set polish.lr=1e-4 --set polish.steps=60

Each seed's pipeline is the file with `seed = N` (and the `--set STAGE.FIELD=VALUE` overrides) written to a
scratch folder; runs go to the repository's .srlm/runs (the CLI's default there), so the stage cache reuses teacher and
KD checkpoints across RL experiments exactly as `srlm run` does. `--no-cache` trains everything.

avg@k is read from the eval's `avg@K` metric when the engine reports it, else from `pass@1`: with
`metrics = [accuracy, pass@1, pass@K]` the engine draws K samples per problem at temperature 1 (greedy
`accuracy` stays greedy while the eval's `temperature` is 0) and unbiased pass@1 over K samples is exactly the
mean accuracy of those K samples.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from demo_summary import avg_at_k, read_events

DEFAULT_SEEDS = [1234, 7, 42, 99]
STAGES = ("teacher", "student", "polish")


def block_span(text: str, name: str) -> tuple[int, int]:
    """Character span of the body (between the braces) of `stage KIND NAME { … }` or `eval NAME { … }`."""
    m = re.search(
        rf"^\s*(?:stage\s+\w+|eval)\s+{re.escape(name)}\s*\{{", text, re.MULTILINE
    )
    if not m:
        raise SystemExit(f"--set: no stage or eval {name!r} in the pipeline")
    depth, i = 1, m.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return m.end(), i - 1


def apply_set(text: str, assignment: str) -> str:
    """`BLOCK.FIELD=VALUE` (a stage or eval): replace the field's line in that block (one-line fields), or add it."""
    m = re.fullmatch(r"(\w+)\.(\w+)=(.+)", assignment)
    if not m:
        raise SystemExit(f"--set {assignment!r}: expected BLOCK.FIELD=VALUE")
    block, field, value = m.groups()
    lo, hi = block_span(text, block)
    body = text[lo:hi]
    line = re.compile(
        rf"^(\s*){re.escape(field)}\s*=.*$", re.MULTILINE
    )  # a field on its own line
    if line.search(body):
        body = line.sub(lambda x: f"{x.group(1)}{field} = {value}", body, count=1)
    else:
        body = body.rstrip() + f"\n    {field} = {value}\n  "
    return text[:lo] + body + text[hi:]


def pipeline_for(src: Path, seed: int, sets: list[str]) -> str:
    text = src.read_text()
    text = re.sub(
        r"^(\s*)seed\s*=\s*\d+",
        lambda m: f"{m.group(1)}seed = {seed}",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    # The scratch copy lives elsewhere: make relative model and data paths absolute.
    text = re.sub(
        r'"(\.\.?/[^"]*)"',
        lambda m: json.dumps(str((src.parent / m.group(1)).resolve())),
        text,
    )
    for s in sets:
        text = apply_set(text, s)
    return text


def summarise(events: list[dict], eval_name: str) -> dict:
    out: dict = {"status": "running", "stage_s": {}, "cached": {}}
    for e in events:
        t = e["type"]
        if t == "eval" and e["eval"] == eval_name and e["when"] in ("before", "after"):
            key = (
                "untrained"
                if e["stage"] == "student" and e["when"] == "before"
                else e["stage"]
            )
            if e["when"] == "before" and key != "untrained":
                continue
            out[key] = {
                "greedy": e["metrics"].get("accuracy"),
                "avg": avg_at_k(e["metrics"])[0],
            }
        elif t == "stage_finished":
            out["stage_s"][e["stage"]] = e.get("duration_s")
            out["cached"][e["stage"]] = bool(e.get("cached"))
        elif t == "run_finished":
            out["status"] = e["status"]
            out["wall_s"] = e.get("duration_s")
    return out


def run_seed(
    src: Path, seed: int, sets: list[str], runs: Path, no_cache: bool, scratch: Path
) -> Path:
    plan = scratch / f"demo-seed-{seed}.srlm"
    plan.write_text(pipeline_for(src, seed, sets))
    cmd = ["node", str(ROOT / "dist" / "srlm.js"), "run", str(plan)]
    if no_cache:
        cmd.append("--no-cache")
    log = scratch / f"demo-seed-{seed}.log"
    with log.open("w") as f:
        rc = subprocess.call(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    # The CLI's first line names the run ("run ID (PATH)"): other runs may start in the same folder meanwhile.
    first = log.read_text().splitlines()[:1]
    m = re.match(r"run (\S+) ", first[0]) if first else None
    run_dir = runs / m.group(1) if m else None
    if rc != 0 or run_dir is None or not (run_dir / "events.jsonl").is_file():
        sys.stderr.write(log.read_text()[-3000:])
        raise SystemExit(f"seed {seed}: srlm run exited {rc} (log {log})")
    return run_dir


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def delta(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None else f"{100 * (a - b):+.1f}"


def secs(s: float | None, cached: bool) -> str:
    if s is None:
        return "—"
    return f"{s:.0f}{'c' if cached else ''}"


def table(rows: list[tuple[int, dict]]) -> str:
    head = (
        "| seed | untrained | KD greedy | KD avg@k | GRPO greedy | GRPO avg@k | Δ greedy | Δ avg@k "
        "| teacher | teacher s | KD s | GRPO s | run s |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for seed, s in rows:
        u, kd, rl, te = (
            s.get(k) or {} for k in ("untrained", "student", "polish", "teacher")
        )
        st, c = s["stage_s"], s["cached"]
        lines.append(
            f"| {seed} | {pct(u.get('greedy'))} | {pct(kd.get('greedy'))} | {pct(kd.get('avg'))} "
            f"| {pct(rl.get('greedy'))} | {pct(rl.get('avg'))} "
            f"| {delta(rl.get('greedy'), kd.get('greedy'))} | {delta(rl.get('avg'), kd.get('avg'))} "
            f"| {pct(te.get('greedy'))} | {secs(st.get('teacher'), c.get('teacher', False))} "
            f"| {secs(st.get('student'), c.get('student', False))} "
            f"| {secs(st.get('polish'), c.get('polish', False))} | {secs(s.get('wall_s'), False)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, default=ROOT / "examples" / "demo.srlm")
    ap.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS)
    ap.add_argument(
        "--eval", default="test", help="eval block to report (default test)"
    )
    ap.add_argument("--set", action="append", default=[], metavar="STAGE.FIELD=VALUE")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument(
        "--summarise",
        type=Path,
        nargs="*",
        metavar="RUN_DIR",
        help="only summarise these runs",
    )
    ap.add_argument(
        "--json", action="store_true", help="also print each seed's summary as JSON"
    )
    args = ap.parse_args(argv)

    rows: list[tuple[int, dict]] = []
    if args.summarise:
        for d in args.summarise:
            events = read_events(d)
            plan = json.loads((d / "plan.json").read_text())
            rows.append(
                (plan.get("settings", {}).get("seed", 0), summarise(events, args.eval))
            )
    else:
        runs = (
            ROOT / ".srlm" / "runs"
        )  # the CLI's runs folder, from its working directory
        runs.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="demo-seeds-"))
        for seed in args.seeds:
            t0 = time.time()
            run_dir = run_seed(
                args.file.resolve(), seed, args.set, runs, args.no_cache, scratch
            )
            s = summarise(read_events(run_dir), args.eval)
            s["run"] = str(run_dir)
            rows.append((seed, s))
            print(
                f"seed {seed}: {run_dir.name} ({time.time() - t0:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
            if args.json:
                print(json.dumps({"seed": seed, **s}), flush=True)
    print(f"eval `{args.eval}`; settings: {' '.join(args.set) or '(file as is)'}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT / "runtime" / "python"))
    sys.exit(main())
