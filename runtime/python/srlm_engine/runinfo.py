"""A finished run folder, read for the results commands (card, push, export): its plan, events and checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .plan import Plan, PlanError, load
from .plan_types import ModelSpec, Stage
from .sinks import read_events


class ResultsError(Exception):
    """A request the run folder cannot satisfy; the message says what to do."""


@dataclass
class RunFolder:
    path: Path
    plan: Plan  # with the schema's defaults applied: a card lists every hyperparameter the stage ran with
    events: list[dict]

    @classmethod
    def open(cls, path: str | Path, events: bool = True) -> RunFolder:
        """The run folder at `path`; `events=False` leaves the events unread (a caller that streams them)."""
        p = Path(path).resolve()
        plan_file, events_file = p / "plan.json", p / "events.jsonl"
        if not plan_file.is_file() or not events_file.is_file():
            raise ResultsError(f"{p} is not a run folder (it needs plan.json and events.jsonl)")
        try:
            plan = load(str(plan_file))
        except (OSError, PlanError) as e:
            raise ResultsError(f"{plan_file}: unreadable plan ({e})") from e
        return cls(p, plan, read_events(events_file) if events else [])

    @property
    def run_id(self) -> str:
        return self.path.name

    def stage(self, name: str) -> Stage:
        if name not in self.plan.stage_index:
            names = ", ".join(self.plan.stage_index)
            raise ResultsError(f"the run has no stage '{name}' (stages: {names})")
        return self.plan.stage(name)

    def finished(self) -> dict[str, dict]:
        """The latest successful `stage_finished` event of each stage."""
        out = {}
        for e in self.events:
            if e.get("type") == "stage_finished" and e.get("status") == "completed":
                out[e["stage"]] = e
        return out

    def default_stage(self) -> str:
        done = self.finished()
        for st in reversed(self.plan.stages):
            if st.name in done:
                return st.name
        raise ResultsError("no stage of this run has finished, so there is no checkpoint to describe")

    def checkpoint(self, stage: str) -> Path:
        """The stage's final checkpoint (the cached one for a stage the stage cache reused)."""
        self.stage(stage)
        done = self.finished().get(stage)
        path = Path(done["checkpoint"]) if done and done.get("checkpoint") else None
        path = path or self.path / "checkpoints" / stage / "final"
        if not (path / "meta.json").is_file():
            raise ResultsError(
                f"stage '{stage}' has no final checkpoint (looked at {path}); it has not finished"
            )
        return path

    def chain(self, stage: str) -> list[Stage]:
        """The stages whose weights lead to `stage`, first to last (following `init`)."""
        out = [self.stage(stage)]
        while out[-1].init_ref.kind == "stage":
            out.append(self.plan.stage(out[-1].init_ref.name))
        return out[::-1]

    def base_model(self, stage: str) -> tuple[str, ModelSpec]:
        name = self.chain(stage)[0].init_ref.name
        return name, self.plan.models[name]

    def engine_version(self) -> str | None:
        for e in reversed(self.events):
            if e.get("type") == "run_started":
                return e.get("engine_version")
        return self.plan.resolved_json.get("engine_version")
