"""Command-line entry: `python -m srlm_engine run --plan plan.json --run-dir DIR [--from-stage S] [--resume]`,
`python -m srlm_engine pull --plan plan.json` (hub models and datasets into the cache, see hub.py).

Exit status: 0 completed, 1 failed, 2 invalid plan or arguments, 3 stopped by a signal (checkpoint written),
130 when a second signal ended the process at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="srlm_engine", description="SRLM Studio training engine")
    parser.add_argument("--version", action="version", version=f"srlm_engine {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("version", help="print the engine version as JSON")
    run_p = sub.add_parser("run", help="run a compiled plan")
    run_p.add_argument("--plan", required=True, help="plan.json written by the plan compiler")
    run_p.add_argument("--run-dir", required=True, help="run folder: events.jsonl and checkpoints/ go here")
    run_p.add_argument(
        "--from-stage", default=None, help="start at this stage (earlier stages must have finished)"
    )
    run_p.add_argument(
        "--resume", action="store_true", help="continue from the run folder's latest checkpoints"
    )
    run_p.add_argument("--echo", action="store_true", help="also print each event to stdout")
    val_p = sub.add_parser("validate", help="validate a plan and print it with defaults applied")
    val_p.add_argument("--plan", required=True)
    pull_p = sub.add_parser(
        "pull",
        help="fetch the plan's hub models and datasets into the cache; JSON lines of progress on stdout",
    )
    pull_p.add_argument("--plan", required=True)
    args = parser.parse_args(argv)
    if args.command == "pull":
        from .hub import main as pull_main

        return pull_main(args.plan)
    if args.command == "version":
        print(json.dumps({"engine": "srlm_engine", "version": __version__}))
        return 0
    if args.command == "validate":
        from .plan import PlanError, load

        try:
            plan = load(args.plan)
        except PlanError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        clean = {
            **plan.raw,
            "stages": [{k: v for k, v in s.items() if not k.startswith("_")} for s in plan.stages],
        }
        print(json.dumps(clean, indent=2))
        return 0
    if args.command == "run":
        from .launch import plan_settings, processes

        settings = plan_settings(args.plan)
        world = processes(settings)
        if world > 1 and "WORLD_SIZE" not in os.environ:
            return _launch_ranks(args, list(sys.argv[1:] if argv is None else argv), settings, world)
        from .run import run

        echo = (lambda e: print(json.dumps(e), flush=True)) if args.echo else None
        return run(args.plan, args.run_dir, from_stage=args.from_stage, resume=args.resume, echo=echo)
    parser.print_help()
    return 0


def _launch_ranks(args, argv: list[str], settings: dict, world: int) -> int:
    """`settings.processes` > 1 outside torchrun: this process becomes the launcher of `world` ranks."""
    from pathlib import Path

    from .events import EventWriter
    from .launch import launch, refusal
    from .run import EXIT_INVALID

    why = refusal(settings, world)
    if why is None:
        return launch(argv, world)
    run_dir = Path(args.run_dir).resolve()
    events = EventWriter(run_dir / "events.jsonl", run_dir.name)
    events.emit("error", message=why, code="invalid_plan")
    events.emit("run_finished", status="failed", duration_s=0.0, message=why)
    events.close()
    print(f"error: {why}", file=sys.stderr)
    return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
