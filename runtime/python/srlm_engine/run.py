"""The run: validate the plan, then run its stages in order, recording everything in events.jsonl.

Read top to bottom: `run()` sets up the run folder and the event stream, then for each stage either reuses a
cached checkpoint or calls the stage's trainer (stages/sft.py, stages/kd.py, stages/rl.py), running the evals
that cover it. Failures become an `error` event with the traceback and `run_finished` with status "failed".
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import __version__, checkpoint, cpu_threads, distributed, models, sinks
from . import data as data_mod
from .events import EventWriter
from .plan import Plan, PlanError
from .plan import load as load_plan
from .plan_types import DataPart, ModelSpec, Ref, Stage
from .signals import STOP_REQUEST_FILE, StopFlag
from .templates import ChatFormat, apply_model_template

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_STOPPED = 0, 1, 2, 3


class Stopped(Exception):
    """Raised after a stop request has been honoured (checkpoint written)."""


@dataclass
class Context:
    plan: Plan
    run_dir: Path
    events: EventWriter
    device: torch.device
    seed: int
    stop: StopFlag
    resume: bool = False
    rank: int = 0
    world_size: int = 1
    _rows: dict = field(default_factory=dict)
    _recovered: set = field(default_factory=set)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def sharded(self) -> bool:
        """FSDP: the plan asks for it and there is more than one rank to shard over."""
        return self.world_size > 1 and self.plan.settings.sharding == "fsdp"

    def ckpt_root(self, stage: str) -> Path:
        root = checkpoint.stage_dir(self.run_dir, stage)
        if self.is_main and stage not in self._recovered:
            # A save killed between its two renames left no live folder but a complete copy: publish it before
            # anything looks for `final/` or the latest step (and before a save would sweep it away).
            self._recovered.add(stage)
            checkpoint.recover(root)
        return root

    def final_checkpoint(self, stage_name: str) -> Path:
        reuse = self.plan.stage(stage_name).reuse
        path = Path(reuse) if reuse else self.ckpt_root(stage_name) / "final"
        if not (path / "meta.json").is_file():
            raise FileNotFoundError(
                f"stage '{stage_name}' has no final checkpoint at {path}; run that stage first "
                "(or start from an earlier stage with --from-stage)"
            )
        return path

    def root_model(self, ref: Ref) -> ModelSpec:
        while ref.kind == "stage":
            ref = self.plan.stage(ref.name).init_ref
        return self.plan.models[ref.name]

    def load_ref(self, ref: Ref, trainable: bool = True):
        """(model, tokenizer, description) for a model name or a finished stage."""
        precision = self.plan.settings.precision
        if ref.kind == "model":
            spec = self.plan.models[ref.name]
            # Each model gets its own seeded init: two random models of one pipeline must not be identical.
            seed = self.seed + zlib.crc32(ref.name.encode()) % 100003
            model = models.load_model(spec, self.device, seed, precision, trainable=trainable)
            tok = models.load_tokenizer(spec.source, spec.tokenizer, models.revision_of(spec))
            apply_model_template(tok, spec.template)
            if spec.resolved_revision is None and getattr(model.config, "_commit_hash", None):
                # A hand-written plan without preflight: record the commit transformers actually loaded.
                spec.resolved_revision = model.config._commit_hash
            return model, tok, f"model {ref.name} ({spec.source}, weights {spec.weights})"
        path = self.final_checkpoint(ref.name)
        spec = dataclasses.replace(self.root_model(ref), weights="pretrained")
        model = models.load_model(spec, self.device, self.seed, precision, str(path), trainable)
        tok = models.load_tokenizer(str(path))
        return model, tok, f"stage {ref.name} ({path})"

    def chat_format(self, stage_name: str | None, data: str | list[DataPart], enabled: bool) -> ChatFormat:
        """How rows of `data` (a dataset name or a weighted mix) are templated for the model a stage trains (its
        root model's `thinking`; the dataset's `template` over the model's; the pipeline's `system` as the
        default system prompt). The parts of a mix share one template: a row does not carry its dataset."""
        root = self.root_model(Ref("stage", stage_name)) if stage_name else None
        names = [data] if isinstance(data, str) else [p.dataset for p in data]
        templates = {self.plan.datasets[n].template for n in names}
        dataset = " + ".join(names)
        if len(templates) > 1:
            raise PlanError(
                f"stage {stage_name}: the datasets mixed in `data` ({dataset}) set different `template`s; "
                "a mix is templated as one dataset"
            )
        return ChatFormat(
            enabled=enabled,
            template=templates.pop(),
            thinking=root.thinking if root else None,
            system=self.plan.settings.system,
            where=f"dataset {dataset}" + (f", stage {stage_name}" if stage_name else ""),
        )

    def rows(self, data: str | list[DataPart]) -> list[dict]:
        """Rows of a dataset name, or of a weighted mix drawn from its parts."""
        if isinstance(data, str):
            if data not in self._rows:
                self._rows[data] = data_mod.load_rows(data, self.plan.datasets[data], self.seed)
            return self._rows[data]
        key = json.dumps([[p.dataset, p.weight] for p in data])
        if key not in self._rows:
            parts = [(p.dataset, self.rows(p.dataset), float(p.weight)) for p in data]
            self._rows[key] = data_mod.mix_rows(parts, self.seed)
        return self._rows[key]

    def check_stop(self) -> bool:
        return self.stop.requested


def run_evals(
    ctx: Context,
    stage_name: str | None,
    model,
    tokenizer,
    evals: list[str],
    when: str,
    step: int | None,
    chat_template: bool = True,
) -> dict:
    from .evaluation import eval_seed, evaluate, sampling_of

    results = {}
    for name in evals:
        ev = ctx.plan.evals[name]
        rows = ctx.rows(ev.data)
        chat = ctx.chat_format(stage_name, ev.data, chat_template)
        metrics, samples = evaluate(model, tokenizer, rows, ev, chat, seed=eval_seed(ctx.seed, name))
        n = min(len(rows), ev.limit) if ev.limit else len(rows)
        ctx.events.emit(
            "eval",
            stage=stage_name,
            step=step,
            eval=name,
            when=when,
            n=n,
            metrics=metrics,
            duration_s=metrics.get("eval_time_s"),
            # How the sampled metrics were drawn, so a table of avg@k or pass@k can say at what temperature.
            sampling=sampling_of(ev),
        )
        if samples:
            ctx.events.emit("samples", stage=stage_name, step=step, source="eval", eval=name, samples=samples)
        results[name] = metrics
    return results


def _stage_runner(kind: str) -> Callable[[Context, Stage, list[str]], str]:
    if kind == "sft":
        from .stages.sft import run_sft as fn
    elif kind == "kd":
        from .stages.kd import run_kd as fn
    else:
        from .stages.rl import run_rl as fn
    return fn


def _run_cached(ctx: Context, st: Stage) -> None:
    t0 = time.time()
    path = ctx.final_checkpoint(st.name)
    meta = checkpoint.read_meta(path)
    ctx.events.emit(
        "stage_started", stage=st.name, kind=st.kind, total_steps=0, init=f"cache {path}", hash=st.hash
    )
    evals = ctx.plan.evals_for(st.name)
    if evals:
        model, tok, _ = ctx.load_ref(Ref("stage", st.name))
        run_evals(ctx, st.name, model, tok, evals, "after", meta.get("step"), st.config.chat_template)
        del model
    ctx.events.stage_finished(
        st.name,
        meta.get("step"),
        "completed",
        cached=True,
        checkpoint=str(path),
        started=t0,
        metrics=meta.get("metrics") or {},
    )


def _stage_done(ctx: Context, st: Stage) -> bool:
    final = ctx.ckpt_root(st.name) / "final" / "meta.json"
    if not final.is_file():
        return False
    meta = json.loads(final.read_text())
    return meta.get("stage_hash") == st.hash


def run(
    plan_path: str,
    run_dir: str,
    from_stage: str | None = None,
    resume: bool = False,
    echo=None,
    stop: StopFlag | None = None,
) -> int:
    run_dir_p = Path(run_dir).resolve()
    run_dir_p.mkdir(parents=True, exist_ok=True)
    rank, world = distributed.init()
    events = EventWriter(run_dir_p / "events.jsonl", run_dir_p.name, enabled=rank == 0, echo=echo)
    t0 = time.time()
    stop = stop or StopFlag()
    stop.install()
    stop.watch_file(run_dir_p / STOP_REQUEST_FILE)
    finished = False
    try:
        try:
            plan = load_plan(plan_path)
            if from_stage is not None and from_stage not in plan.stage_index:
                raise PlanError(
                    f"--from-stage {from_stage}: no such stage (stages: {', '.join(plan.stage_index)})"
                )
            for i, st in enumerate(plan.stages):
                try:
                    checkpoint.stage_dir(run_dir_p, st.name)
                except ValueError as e:
                    raise PlanError(f"{plan_path}: stages[{i}].name: {e}") from None
            if rank == 0:

                def sink_failed(message: str) -> None:
                    events.emit("warning", message=message, code="sink_failed")

                events.sinks = sinks.open_live(plan, run_dir_p, sink_failed)
        except (PlanError, sinks.SinkUnavailable) as e:
            events.emit("error", message=str(e), code="invalid_plan")
            events.emit("run_finished", status="failed", duration_s=time.time() - t0, message=str(e))
            print(f"error: {e}", file=sys.stderr)
            return EXIT_INVALID
        if rank == 0 and Path(plan_path).resolve() != (run_dir_p / "plan.json"):
            shutil.copyfile(plan_path, run_dir_p / "plan.json")
        settings = plan.settings
        device = models.pick_device(settings.device)
        models.configure_amp(settings.precision, device)
        seed = settings.seed
        threads = cpu_threads.CpuThreads.for_run(settings.cpu_threads) if device.type == "cpu" else None
        cpu_threads.use(threads)
        torch.manual_seed(seed)
        ctx = Context(plan, run_dir_p, events, device, seed, stop, resume, rank, world)
        names = [s.name for s in plan.stages]
        events.emit(
            "run_started",
            pipeline=plan.pipeline,
            engine_version=__version__,
            plan_sha256=plan.sha256,
            stages=names,
            device=str(device),
            pid=os.getpid(),
            world_size=world,
            resume=resume,
            from_stage=from_stage,
            cpu_threads=None if threads is None else threads.forward,
            gradient_threads=None if threads is None else threads.gradient,
        )
        cores = os.cpu_count() or 1
        if threads is not None and threads.forward > cores:
            events.emit(
                "warning",
                code="cpu_threads_over_cores",
                message=f"cpu_threads = {threads.forward} but this machine has {cores} CPU core(s): "
                "threads that wait for a core make every step many times slower",
            )
        start = plan.stage_index[from_stage] if from_stage else 0
        status = "completed"
        for st in plan.stages[start:]:
            if resume and _stage_done(ctx, st):
                events.emit(
                    "log",
                    stage=st.name,
                    level="info",
                    message=f"stage {st.name} already finished in this run folder; skipped",
                )
                continue
            if st.reuse:
                _run_cached(ctx, st)
                continue
            # `before` evaluates each fresh model a stage starts from; a stage that continues another stage
            # starts from that stage's result, which its own "after" eval already measured.
            before = []
            if st.init_ref.kind == "model":
                before = [e for e in plan.evals_for(st.name) if plan.evals[e].before]
            checkpoint.seed_stage(seed, st.name)
            result = _stage_runner(st.kind)(ctx, st, before)
            if result == "stopped":
                status = "stopped"
                break
        events.emit("run_finished", status=status, duration_s=time.time() - t0)
        # Stopped is an orderly end too: every rank agreed on the step, so all can meet at the barrier. Leaving
        # without it let one rank tear the group down while its peer still wrote the checkpoint (SIGABRT).
        finished = True
        return EXIT_STOPPED if status == "stopped" else EXIT_OK
    except Exception as e:  # the stream must record every failure, with its traceback, before exiting
        tb = traceback.format_exc()
        events.emit("error", message=f"{type(e).__name__}: {e}", traceback=tb)
        events.emit(
            "run_finished", status="failed", duration_s=time.time() - t0, message=f"{type(e).__name__}: {e}"
        )
        print(tb, file=sys.stderr)
        return EXIT_FAILED
    finally:
        stop.uninstall()
        events.close()
        distributed.leave(wait=finished)
