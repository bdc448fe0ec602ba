"""Command-line entry: `python -m srlm_engine run --plan plan.json --run-dir DIR [--from-stage S] [--resume]`,
`python -m srlm_engine pull --plan plan.json` (hub models and datasets into the cache, see hub.py),
and the results commands the CLI calls (`check-env`, `export`, `card`, `push`; docs/results.md).

Exit status: 0 completed, 1 failed, 2 invalid plan or arguments, 3 stopped by a signal (checkpoint written),
130 when a second signal ended the process at once.

`python -m srlm_engine check-data --plan plan.json [--dataset NAME]...` reads every row of the plan's datasets
and prints one JSON document of diagnostics (docs/engine.md); exit 0 clean, 1 data errors, 2 invalid plan.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .plan_types import Settings


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
    chk_p = sub.add_parser(
        "check-data", help="read and check every row of the plan's datasets; JSON on stdout"
    )
    chk_p.add_argument("--plan", required=True)
    chk_p.add_argument("--dataset", action="append", help="check only this dataset (repeatable)")
    chk_p.add_argument(
        "--max-issues", type=int, default=20, help="issues listed per dataset (all are counted)"
    )
    env_p = sub.add_parser("check-env", help="JSON: are the metric back-ends a plan reports to installed?")
    env_src = env_p.add_mutually_exclusive_group(required=True)
    env_src.add_argument("--plan", help="read settings.report_to from this plan")
    env_src.add_argument("--report-to", help="comma-separated back-ends (tensorboard,wandb,mlflow)")
    exp_p = sub.add_parser("export", help="replay a run's events into tensorboard, wandb, mlflow or csv")
    exp_p.add_argument("--run-dir", required=True)
    exp_p.add_argument("--to", required=True)
    exp_p.add_argument("--out", default=None, help="folder (tensorboard) or file (csv) to write instead")
    card_p = sub.add_parser("card", help="write a model card (README.md) into a stage's checkpoint")
    card_p.add_argument("--run-dir", required=True)
    card_p.add_argument("--stage", default=None, help="default: the last stage that finished")
    push_p = sub.add_parser("push", help="upload a stage's checkpoint with its card to the Hugging Face Hub")
    push_p.add_argument("--run-dir", required=True)
    push_p.add_argument("--stage", required=True)
    push_p.add_argument("--repo", required=True)
    push_p.add_argument("--private", action="store_true")
    push_p.add_argument("--revision", default=None, help="branch to push to (created when missing)")
    push_p.add_argument("--force", action="store_true", help="push over a repository holding another model")
    args = parser.parse_args(argv)
    if args.command == "pull":
        from .hub import main as pull_main

        return pull_main(args.plan)
    if args.command == "check-data":
        from .check_data import main as check_data

        return check_data(args.plan, args.dataset, args.max_issues)
    if args.command in ("check-env", "export", "card", "push"):
        return _results_command(args)
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
        print(json.dumps(plan.resolved_json, indent=2))
        return 0
    if args.command == "run":
        from .launch import plan_settings, processes

        settings = plan_settings(args.plan)
        world = processes(settings)
        if settings is not None and world > 1 and "WORLD_SIZE" not in os.environ:
            return _launch_ranks(args, list(sys.argv[1:] if argv is None else argv), settings, world)
        from .run import run

        echo = (lambda e: print(json.dumps(e), flush=True)) if args.echo else None
        ranked = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if ranked:
            # A rank that aborts in native code (gloo) says where, instead of only "terminate called".
            import faulthandler

            faulthandler.enable()
        code = run(args.plan, args.run_dir, from_stage=args.from_stage, resume=args.resume, echo=echo)
        if ranked:
            # The group is gone and every file is written and closed (run() leaves through a barrier). Skipping the
            # interpreter's teardown avoids an intermittent SIGABRT ("terminate called without an active
            # exception") from native threads torn down at exit on loaded machines, which failed finished runs.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    parser.print_help()
    return 0


def _results_command(args) -> int:
    """The commands behind `srlm check`'s environment check, `srlm export`, `srlm card` and `srlm push`: one JSON
    object on stdout, or `error: …` on stderr with exit 1."""
    from .runinfo import ResultsError

    try:
        if args.command == "check-env":
            from .sinks import check_env

            if args.plan:
                with open(args.plan, encoding="utf-8") as f:
                    names = (json.load(f).get("settings") or {}).get("report_to") or []
            else:
                names = [n.strip() for n in args.report_to.split(",") if n.strip()]
            result = check_env(names)
        elif args.command == "export":
            from .sinks.replay import export_run

            result = export_run(args.run_dir, args.to, args.out)
        elif args.command == "card":
            from .card import write_card

            result = write_card(args.run_dir, args.stage)
        else:
            from .push import push

            result = push(args.run_dir, args.stage, args.repo, args.private, args.revision, args.force)
    except (ResultsError, OSError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def _launch_ranks(args, argv: list[str], settings: Settings, world: int) -> int:
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
