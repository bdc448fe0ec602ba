"""Loading and validating `plan.json`, the compiler's output (docs/plan.md, `plan.schema.json` beside
this module).

The engine trusts nothing: the plan is validated against the JSON Schema, defaults from the schema fill absent
fields (so a hand-written plan works as well as a compiled one), the per-algorithm defaults of docs/plan.md are
resolved, every reference is checked, and the result is built into the typed objects of plan_types.py (generated
from the same declaration as the schema). The rest of the engine reads those and has no defaults of its own.
Errors name the file and the field path.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from .plan_types import (
    DatasetSpec,
    EvalSpec,
    KdConfig,
    KdMix,
    ModelSpec,
    Ref,
    RlConfig,
    Settings,
    SftConfig,
    Stage,
)

SUPPORTED_SCHEMA_VERSIONS = (1,)


class PlanError(ValueError):
    """A plan that the engine refuses; the message names the file and the field."""


def schema_path() -> Path:
    # Generated from the language schema into the package (server/src/core/schema/planSchema.ts), so a wheel
    # carries it as package data.
    path = Path(__file__).resolve().parent / "plan.schema.json"
    if not path.is_file():
        raise PlanError(f"plan schema not found: {path} (a broken installation; reinstall srlm-engine)")
    return path


def load_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


def _path_str(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _resolve_ref(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        schema = node
    return schema


def _fill_defaults(value: Any, schema: dict, root: dict) -> None:
    schema = _resolve_ref(schema, root)
    if not isinstance(value, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        sub = _resolve_ref(sub, root)
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
        if key in value and isinstance(value[key], dict):
            _fill_defaults(value[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, item in value.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(item, extra, root)


def _apply_kind_defaults(stage: dict, root: dict, where: str) -> None:
    kind_schema = root["$defs"][f"stage_{stage['kind']}"]
    _fill_defaults(stage, kind_schema, root)
    _derive_defaults(stage["kind"], stage["config"], where)


def _derive_defaults(kind: str, cfg: dict, where: str) -> None:
    """The defaults that depend on other fields (docs/plan.md): JSD's beta, the `algorithm` presets of rl."""
    for block in ("loss",):
        if isinstance(cfg.get(block), dict) and cfg[block].get("name") == "jsd":
            cfg[block].setdefault("beta", 0.5)
    if isinstance(cfg.get("kd"), dict) and cfg["kd"]["loss"].get("name") == "jsd":
        cfg["kd"]["loss"].setdefault("beta", 0.5)
    if kind == "rl":
        algo = cfg["algorithm"]
        if cfg.get("epsilon_high") is None:
            cfg["epsilon_high"] = 0.28 if algo == "dapo" else cfg["epsilon"]
        if cfg.get("loss_agg") is None:
            cfg["loss_agg"] = algo
        if cfg.get("scale_rewards") is None:
            cfg["scale_rewards"] = algo != "dr_grpo"
        total = cfg["prompts_per_step"] * cfg["group"]
        if cfg["batch_size"] == 0:
            # One prompt's group per micro-batch: it divides `total`, and all of `total` at once does not fit
            # one GPU for a 0.5B model at the default 512 new tokens.
            cfg["batch_size"] = cfg["group"]
        if total % cfg["batch_size"]:
            raise PlanError(
                f"{where}.config.batch_size: {cfg['batch_size']} does not divide "
                f"prompts_per_step x group = {total}"
            )


@dataclass
class Plan:
    """The validated plan: every default applied, every reference resolved, as typed objects (plan_types.py)."""

    resolved_json: dict[str, Any]  # the same plan as JSON data (`validate` prints it, sinks log it)
    path: Path | None
    pipeline: str
    settings: Settings
    models: dict[str, ModelSpec]
    datasets: dict[str, DatasetSpec]
    stages: list[Stage]
    evals: dict[str, EvalSpec]
    sha256: str
    stage_index: dict[str, int] = field(default_factory=dict)

    def stage(self, name: str) -> Stage:
        return self.stages[self.stage_index[name]]

    def resolve_ref(self, ref: str | Mapping[str, str], where: str, before: int | None = None) -> Ref:
        """A reference to a model or a stage; `before` restricts stages to those earlier in the pipeline."""
        kind: Literal["model", "stage"]
        if isinstance(ref, Mapping):
            key, name = next(iter(ref.items()))
            kind = "model" if key == "model" else "stage"
        elif ref in self.models:
            kind, name = "model", ref
        else:
            kind, name = "stage", ref
        if kind == "model" and name not in self.models:
            raise PlanError(f"{where}: unknown model '{name}' (models: {', '.join(self.models) or 'none'})")
        if kind == "stage":
            if name not in self.stage_index:
                raise PlanError(f"{where}: '{name}' is neither a model nor a stage")
            if before is not None and self.stage_index[name] >= before:
                raise PlanError(f"{where}: stage '{name}' runs after this stage; it cannot be used here")
        return Ref(kind, name)

    def evals_for(self, stage_name: str) -> list[str]:
        """Evals run after a stage: those the stage lists plus those whose `stages` name it (null = all)."""
        names = list(self.stage(stage_name).evals)
        for name, ev in self.evals.items():
            if name not in names and (ev.stages is None or stage_name in ev.stages):
                names.append(name)
        return names


def _upgrade_legacy(raw: dict) -> dict:
    """Plans of earlier compilers that today's schema words differently (a run folder resumed by a newer engine).
    An eval `temperature` of 0, the old default, meant greedy `accuracy` and 1.0 for the sampled metrics; now
    `accuracy` is always greedy and `temperature` (> 0) is the sampled metrics' own."""
    evals = raw.get("evals")
    if not isinstance(evals, dict) or not any(
        isinstance(ev, dict) and ev.get("temperature") == 0 for ev in evals.values()
    ):
        return raw
    raw = copy.deepcopy(raw)
    for ev in raw["evals"].values():
        if isinstance(ev, dict) and ev.get("temperature") == 0:
            ev["temperature"] = 1.0
    return raw


# Where each kind of plan object is declared in the schema.
_DECLARED_AT: dict[type, tuple[str, ...]] = {
    ModelSpec: ("$defs", "model"),
    DatasetSpec: ("$defs", "dataset"),
    EvalSpec: ("$defs", "eval"),
    SftConfig: ("$defs", "stage_sft", "properties", "config"),
    KdConfig: ("$defs", "stage_kd", "properties", "config"),
    RlConfig: ("$defs", "stage_rl", "properties", "config"),
    KdMix: ("$defs", "stage_kd", "properties", "config", "properties", "mix"),
}
_Part = TypeVar("_Part", ModelSpec, DatasetSpec, EvalSpec, SftConfig, KdConfig, RlConfig, KdMix)


def from_partial(cls: type[_Part], written: Mapping[str, Any]) -> _Part:
    """One plan object as a plan may write it, absent fields left out (tests, tools), typed: the absent fields
    take the schema's defaults, as in `validate`. Not validated: a caller that reads untrusted input validates
    the whole plan instead."""
    schema = load_schema()
    node: Any = schema
    for part in _DECLARED_AT[cls]:
        node = node[part]
    value = copy.deepcopy(dict(written))
    _fill_defaults(value, node, schema)
    if cls is DatasetSpec:
        _rename_synonyms(value)
    if cls is KdConfig or cls is RlConfig:
        _derive_defaults("rl" if cls is RlConfig else "kd", value, cls.__name__)
    return cls.from_json(value)


def _rename_synonyms(dataset: dict[str, Any]) -> None:
    # `path` is the former name of a dataset's `source`: plans written before the rename carry it.
    if dataset.get("path") and not dataset.get("source"):
        dataset["source"] = dataset["path"]


def validate(raw: Any, source: str = "plan.json") -> Plan:
    import hashlib

    import jsonschema

    if not isinstance(raw, dict):
        raise PlanError(f"{source}: the plan must be a JSON object")
    version = raw.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise PlanError(
            f"{source}: schema_version {version!r} is not supported by this engine "
            f"(supports {', '.join(map(str, SUPPORTED_SCHEMA_VERSIONS))}); recompile the pipeline with a "
            "matching `srlm` or update the engine"
        )
    sha = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    raw = _upgrade_legacy(raw)
    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        # The deepest error is the most specific one (a field), not the oneOf/allOf wrapper above it.
        best = max(errors, key=lambda e: len(e.absolute_path))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PlanError(f"{source}: {_path_str(best.absolute_path)}: {best.message}{more}")
    plan_dict = copy.deepcopy(raw)
    _fill_defaults(plan_dict, schema, schema)
    for i, st in enumerate(plan_dict["stages"]):
        _apply_kind_defaults(st, schema, f"{source}: stages[{i}] ({st['name']})")
    for ds in plan_dict["datasets"].values():
        _rename_synonyms(ds)
    plan = Plan(
        resolved_json=plan_dict,
        path=None,
        pipeline=plan_dict["pipeline"],
        settings=Settings.from_json(plan_dict["settings"]),
        models={k: ModelSpec.from_json(v) for k, v in plan_dict["models"].items()},
        datasets={k: DatasetSpec.from_json(v) for k, v in plan_dict["datasets"].items()},
        stages=[Stage.from_json(st) for st in plan_dict["stages"]],
        evals={k: EvalSpec.from_json(v) for k, v in plan_dict["evals"].items()},
        sha256=sha,
    )
    for i, st in enumerate(plan.stages):
        if st.name in plan.stage_index:
            raise PlanError(f"{source}: stages[{i}].name: duplicate stage '{st.name}'")
        plan.stage_index[st.name] = i
    for i, st in enumerate(plan.stages):
        where = f"{source}: stages[{i}] ({st.name})"
        st.init_ref = plan.resolve_ref(st.init, f"{where}.init", before=i)
        cfg = st.config
        names = [cfg.data] if isinstance(cfg.data, str) else [p.dataset for p in cfg.data]
        for name in names:
            if name not in plan.datasets:
                raise PlanError(f"{where}.config.data: unknown dataset '{name}'")
            ds = plan.datasets[name]
            if st.kind in ("sft", "kd") and not (ds.completion or ds.messages or ds.builtin):
                raise PlanError(
                    f"{where}.config.data: dataset '{name}' has neither `completion` nor `messages`"
                )
            if st.kind == "rl" and not (ds.answer or ds.builtin):
                raise PlanError(f"{where}.config.data: dataset '{name}' has no `answer` field for rewards")
        if isinstance(cfg, KdConfig):
            st.teacher_ref = plan.resolve_ref(cfg.teacher, f"{where}.config.teacher", before=i)
        if isinstance(cfg, RlConfig) and cfg.kd is not None:
            st.teacher_ref = plan.resolve_ref(cfg.kd.teacher, f"{where}.config.kd.teacher", before=i)
        for ev in st.evals:
            if ev not in plan.evals:
                raise PlanError(f"{where}.evals: unknown eval '{ev}'")
    for name, ev in plan.evals.items():
        if ev.data not in plan.datasets:
            raise PlanError(f"{source}: evals.{name}.data: unknown dataset '{ev.data}'")
        for s in ev.stages or []:
            if s not in plan.stage_index:
                raise PlanError(f"{source}: evals.{name}.stages: unknown stage '{s}'")
    return plan


def load(path: str | Path) -> Plan:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{path}: plan file not found") from None
    except json.JSONDecodeError as e:
        raise PlanError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    plan = validate(raw, str(path))
    plan.path = path
    return plan
