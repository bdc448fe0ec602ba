"""What every stage shares: building the policy, AdamW with a warmup schedule, resume, metrics, periodic
checkpoints and evals, stop handling and the final checkpoint.

A stage trainer (sft.py, kd.py, rl.py) builds a `StageLoop`, then for each step computes and applies one
optimizer update and calls `loop.end_step(step, metrics)`; `loop.finish()` writes the result.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from .. import checkpoint, cpu_threads, distributed, models
from ..plan_types import Ref, Stage, StageConfig

if TYPE_CHECKING:
    from ..run import Context


def lr_lambda(kind: str, warmup_steps: int, total_steps: int):
    def f(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        if kind == "constant":
            return 1.0
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        progress = min(max(progress, 0.0), 1.0)
        if kind == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return f


def make_optimizer(model, cfg: StageConfig, total_steps: int):
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    fused = bool(params) and params[0].is_cuda
    opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8, fused=fused or None)
    warmup = int(round(cfg.warmup * total_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg.scheduler, warmup, total_steps))
    return opt, sched


def gpu_mem_gb(device) -> float | None:
    if device.type != "cuda":
        return None
    peak = torch.cuda.max_memory_allocated(device) / 2**30
    torch.cuda.reset_peak_memory_stats(device)
    return peak


class StageLoop:
    def __init__(self, ctx: Context, stage: Stage, total_steps: int, before_evals: list[str]):
        self.ctx = ctx
        self.stage = stage
        self.name = stage.name
        self.cfg = stage.config
        self.total_steps = total_steps
        self.before_evals = before_evals
        self.root: Path = ctx.ckpt_root(self.name)
        self.t0 = time.time()
        self.last_metrics: dict = {}
        self.during_evals = [e for e in ctx.plan.evals_for(self.name) if ctx.plan.evals[e].every > 0]
        # Built by build_policy and build_optimizer, which every stage calls before it trains.
        self.model: Any = None
        self.tokenizer: Any = None
        self.optimizer: Any = None
        self.scheduler: Any = None
        self.scaler = None  # fp16 loss scaling (models.grad_scaler)
        self.sharded = ctx.sharded  # FSDP: each rank holds a shard of the weights and optimizer state
        self._stopping = False  # this step's stop decision, the same on every rank
        self.init_desc = ""
        # The model a LoRA step checkpoint's adapter applies to (meta.json `base_checkpoint`): what ONNX export
        # and the inspector load the adapter onto. None for full fine-tuning.
        self.base_checkpoint: str | None = None

    # ------------------------------------------------------------------ set-up
    def build_policy(self):
        model, tok, desc = self.ctx.load_ref(self.stage.init_ref)
        self.init_desc = desc
        if self.cfg.grad_checkpointing:
            # transformers 5 renamed it; older releases (>= 4.51 is supported) only have the old name.
            if hasattr(model, "activation_checkpointing_enable"):
                model.activation_checkpointing_enable(
                    activation_checkpointing_kwargs={"use_reentrant": False}
                )
            else:
                model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.config.use_cache = False
        if self.cfg.lora is not None:
            self.base_checkpoint = self._lora_base(model, tok)
            model = models.apply_lora(model, self.cfg.lora)
        model.train()
        self.model, self.tokenizer = model, tok
        return model, tok

    def _lora_base(self, model, tok) -> str | None:
        """Where the frozen base of this LoRA stage can be loaded from, recorded in step checkpoints' meta.json.

        A stage init is that stage's final checkpoint; a pretrained model is its source (hub id or folder). A
        `weights = random` model exists nowhere on disk, so its base is written once to `<stage>/base/`;
        paths inside the run folder are recorded relative to the step checkpoint so the run folder can move.
        """
        ref = self.stage.init_ref
        if ref.kind == "stage":
            target = self.ctx.final_checkpoint(ref.name)
        else:
            spec = self.ctx.plan.models[ref.name]
            if spec.weights != "random":
                return spec.source
            target = self.root / "base"
            if self.ctx.is_main and not (target / "meta.json").is_file():
                checkpoint.save(self.root, "base", model, tok, {"stage": self.name, "base_of_lora": True})
        target = Path(target).resolve()
        run_dir = Path(self.ctx.run_dir).resolve()
        if target.is_relative_to(run_dir):
            # Step checkpoints live at <run>/checkpoints/<stage>/step-N: relative to that folder.
            return os.path.relpath(target, self.root.resolve() / "step-000000")
        return str(target)

    def build_optimizer(self):
        """Shard the policy when the plan asks for FSDP, then build AdamW, its schedule and the loss scaler.

        A stage that needs a frozen copy of its initial policy (RL's KL reference) takes it before this."""
        self.scaler = models.grad_scaler()
        if self.sharded:
            if self.cfg.lora is not None:
                raise ValueError(
                    f"stage {self.name}: sharding = fsdp does not support lora; a LoRA stage trains so few "
                    "parameters that data parallelism (sharding = none) already fits"
                )
            if self.scaler is not None:
                raise ValueError(
                    f"stage {self.name}: precision = fp16 is not supported with sharding = fsdp (the loss "
                    "scaler's overflow check would differ between shards); use bf16"
                )
            self.model = distributed.shard(self.model)
        self.optimizer, self.scheduler = make_optimizer(self.model, self.cfg, self.total_steps)

    def load_teacher(self, ref: Ref):
        teacher, _, desc = self.ctx.load_ref(ref, trainable=False)
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        return teacher, desc

    def start(self, kind: str) -> tuple[int, dict]:
        """Resume from the latest step checkpoint when asked; returns (start_step, extra trainer state)."""
        start, extra = 0, {}
        latest = checkpoint.latest_step(self.root) if self.ctx.resume else None
        if latest is not None:
            start, extra = self._restore(latest)
        elif self.before_evals:
            self.evals(self.before_evals, "before", 0)
        self.ctx.events.emit(
            "stage_started",
            stage=self.name,
            kind=kind,
            total_steps=self.total_steps,
            init=self.init_desc,
            resumed_from_step=start,
            hash=self.stage.hash,
        )
        if start:
            self._log(start, f"resumed from {latest}")
        return start, extra

    def _restore(self, latest: Path) -> tuple[int, dict]:
        """Weights, optimizer, scheduler, loss scale and this rank's RNG from a step checkpoint; returns the
        step and this rank's extra trainer state."""
        state = checkpoint.load_training_state(latest)
        was_sharded = bool(state.get("sharded", False))
        if was_sharded != self.sharded:
            raise ValueError(
                f"stage {self.name}: {latest} was written with sharding = {'fsdp' if was_sharded else 'none'} "
                f"and this run uses {'fsdp' if self.sharded else 'none'}; the optimizer states differ in layout. "
                "Resume with the same sharding setting"
            )
        if self.sharded:
            distributed.load_full_model_state(self.model, checkpoint.read_weights(latest))
            distributed.load_full_optimizer_state(self.model, self.optimizer, state["optimizer"])
        else:
            checkpoint.load_weights_into(self.model, latest)
            self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        mine = {"rng": state["rng"], "extra": state.get("extra", {})}
        ranks = state.get("ranks")
        if ranks and len(ranks) == self.ctx.world_size:
            mine = ranks[self.ctx.rank]
        elif self.ctx.world_size > 1 or ranks:
            self.ctx.events.emit(
                "warning",
                stage=self.name,
                code="resume_world_size_changed",
                message=f"{latest} was written by {len(ranks or [0])} rank(s) and this run has "
                f"{self.ctx.world_size}: every rank resumes with rank 0's random state and trainer state, so "
                "the run continues correctly but not bitwise as before",
            )
        checkpoint.set_rng_state(mine["rng"])
        return int(state["step"]), mine.get("extra", {})

    # ------------------------------------------------------------------ per step
    def backward(self, loss) -> None:
        """Backward through the loss scaler when fp16 needs one."""
        with cpu_threads.gradients():
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def clip_and_step(self) -> float:
        with cpu_threads.gradients():
            return self._clip_and_step()

    def _clip_and_step(self) -> float:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.ctx.world_size > 1 and not self.sharded:
            distributed.average_gradients(params, self.ctx.world_size)  # FSDP averages in its reduce-scatter
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)  # clip the true gradient, not the scaled one
        norm = torch.nn.utils.clip_grad_norm_(params, self.cfg.max_grad_norm)
        stepped = True
        if self.scaler is not None:
            # Skips the update when the gradient overflowed and lowers the scale; raises it after a calm run.
            scale = self.scaler.get_scale()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            stepped = self.scaler.get_scale() >= scale
        else:
            self.optimizer.step()
        if stepped:  # a skipped update does not advance the schedule either
            self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return distributed.as_float(norm)

    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def end_step(
        self, step: int, metrics: dict, extra_state: dict | Callable[[], dict] | None = None
    ) -> bool:
        """Log, checkpoint and eval as configured; True when the stage must stop now (stop requested).

        `metrics` are this rank's; every rank reaches here each step, so they are combined over ranks here."""
        if self.ctx.world_size > 1:
            metrics = distributed.reduce_metrics(metrics)
            metrics["tokens_per_s"] *= self.ctx.world_size  # the mean rank's throughput, times the ranks
        mem = gpu_mem_gb(self.ctx.device)
        if mem is not None:
            metrics["gpu_mem_gb"] = mem
        if self.scaler is not None:
            metrics["loss_scale"] = float(self.scaler.get_scale())
        self.last_metrics = metrics
        if step % self.cfg.log_every == 0 or step == self.total_steps:
            self.ctx.events.emit(
                "metrics", stage=self.name, step=step, total_steps=self.total_steps, metrics=metrics
            )
        stop = distributed.any_rank(self.ctx.check_stop())
        self._stopping = stop
        save_every = self.cfg.save_every
        if (stop and step < self.total_steps) or (
            save_every and step % save_every == 0 and step < self.total_steps
        ):
            self.save_step(step, extra_state() if callable(extra_state) else (extra_state or {}))
        if not stop:
            due = [
                e
                for e in self.during_evals
                if step % self.ctx.plan.evals[e].every == 0 and step < self.total_steps
            ]
            if due:
                self.evals(due, "during", step)
        # A stop at the last step is no stop: the stage completes and writes its final checkpoint.
        return stop and step < self.total_steps

    def save_step(self, step: int, extra: dict) -> Path | None:
        # Reached by every rank: each rank's random state and trainer state (its RL generation batch) go into
        # rank 0's checkpoint, and a sharded model's weights and optimizer state are gathered first.
        ranks = None
        if self.ctx.world_size > 1:
            ranks = distributed.gather_to_main({"rng": checkpoint.rng_state(), "extra": extra})
        weights = optim = None
        if self.sharded:
            weights = distributed.full_model_state(self.model)
            optim = distributed.full_optimizer_state(self.model, self.optimizer)
        if not self.ctx.is_main:
            return None
        state = {
            "step": step,
            "optimizer": optim if self.sharded else self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng": checkpoint.rng_state(),
            "extra": extra,
            "sharded": self.sharded,
            "ranks": ranks,
        }
        path = checkpoint.save(
            self.root,
            f"step-{step:06d}",
            self.model,
            self.tokenizer,
            self._meta(step, final=False),
            training_state=state,
            keep_last=self.cfg.keep_last,
            state_dict=weights,
        )
        # A checkpoint written because of a stop is not exported: the supervisor kills an engine that does not
        # exit soon after SIGTERM, and export of a real model takes minutes.
        export = self.cfg.export_onnx == "all" and not self._stopping
        self._announce_checkpoint(path, step, final=False, export=export)
        return path

    def _check_replicas(self, step: int) -> None:
        """Data parallelism is only right if every rank ends the stage with the same weights; say so either way."""
        n = self.ctx.world_size
        if self.sharded:
            self._log(step, f"model sharded across {n} ranks (FSDP)")
            return
        sums = distributed.replica_checksums(self.model, n)
        if max(sums) - min(sums) > 1e-6 * max(1.0, abs(sums[0])):
            self._warn(
                step, "replicas_diverged", f"model replicas differ across {n} ranks: parameter sums {sums}"
            )
        else:
            self._log(step, f"model replicas in sync across {n} ranks")

    def _log(self, step: int, message: str) -> None:
        self.ctx.events.emit("log", stage=self.name, step=step, level="info", message=message)

    def _warn(self, step: int, code: str, message: str) -> None:
        self.ctx.events.emit("warning", stage=self.name, step=step, code=code, message=message)

    def _announce_checkpoint(self, path: Path, step: int, *, final: bool, export: bool) -> None:
        """Export the saved checkpoint when asked, then emit its `checkpoint` event (with the export folder)."""
        onnx = self.export_onnx(path, step) if export else None
        self.ctx.events.emit(
            "checkpoint",
            stage=self.name,
            step=step,
            path=str(path),
            final=final,
            metrics=self.last_metrics,
            onnx=onnx,
        )

    def export_onnx(self, path: Path, step: int) -> str | None:
        """Export a saved checkpoint to `<path>/onnx`; the folder, or None after a `warning` when it failed.

        Export never fails the run: it only adds a way to inspect what training already saved.
        `SRLM_ONNX_EXPORTER=torchscript` picks the faster legacy exporter (tests use it).
        """
        from ..export import export_checkpoint

        exporter = os.environ.get("SRLM_ONNX_EXPORTER", "dynamo")
        try:
            result = export_checkpoint(path, exporter=exporter)
        except Exception as err:  # noqa: BLE001 - any export failure is a warning, never a failed run
            self._warn(
                step, "onnx_export_failed", f"ONNX export of {path} failed: {type(err).__name__}: {err}"
            )
            return None
        self._log(step, f"exported {path} to ONNX at {result.out_dir} ({exporter}, {result.seconds:.1f} s)")
        return result.out_dir

    def _meta(self, step: int, final: bool) -> dict:
        plan = self.ctx.plan
        base = self.ctx.root_model(self.stage.init_ref)
        meta = {
            "stage": self.name,
            "kind": self.stage.kind,
            "step": step,
            "total_steps": self.total_steps,
            "final": final,
            "metrics": self.last_metrics,
            "plan_sha256": plan.sha256,
            "stage_hash": self.stage.hash,
            "pipeline": plan.pipeline,
            "base_model": base.source,
            # The hub commit the base model resolved to (null for a local folder): a new commit is another model.
            "resolved_revision": base.resolved_revision,
        }
        # Only step checkpoints of a LoRA stage hold an adapter; the final one is merged.
        if self.base_checkpoint is not None and not final:
            meta["base_checkpoint"] = self.base_checkpoint
        return meta

    def evals(self, names: list[str], when: str, step: int) -> dict:
        from ..run import run_evals

        # A sharded model only runs forward with every rank taking part; otherwise rank 0 evaluates alone.
        if not names or not (self.ctx.is_main or self.sharded):
            return {}
        return run_evals(
            self.ctx,
            self.name,
            self.model,
            self.tokenizer,
            names,
            when,
            step,
            self.cfg.chat_template,
        )

    # ------------------------------------------------------------------ end
    def finish(self, step: int, stopped: bool) -> str:
        if self.ctx.world_size > 1 and not stopped:
            self._check_replicas(step)
        if stopped:
            self.ctx.events.stage_finished(
                self.name, step, "stopped", checkpoint=None, started=self.t0, metrics=self.last_metrics
            )
            return "stopped"
        path = None
        weights = distributed.full_model_state(self.model) if self.sharded else None
        if self.ctx.is_main:
            path = checkpoint.save(
                self.root,
                "final",
                self.model,
                self.tokenizer,
                self._meta(step, final=True),
                merge_lora=True,
                state_dict=weights,
            )
            export = self.cfg.export_onnx in ("final", "all")
            self._announce_checkpoint(path, step, final=True, export=export)
        self.evals(self.ctx.plan.evals_for(self.name), "after", step)
        self.ctx.events.stage_finished(
            self.name,
            step,
            "completed",
            checkpoint=str(path) if path else None,
            started=self.t0,
            metrics=self.last_metrics,
        )
        return "completed"
