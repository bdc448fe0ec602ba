"""Model cards: `srlm card RUN [--stage S]` writes README.md (and training_curves.png) into a stage's checkpoint.

The card is what the Hugging Face Hub shows for a pushed checkpoint: front matter the Hub reads (library,
base model, license, tags), then what the model is, what it was trained on, the stage's resolved
hyperparameters, eval results before and after each stage, the training curves, and the `.srlm` pipeline.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

from . import __version__
from .plan_types import ModelSpec, Stage
from .runinfo import RunFolder
from .sinks.base import numeric, pipeline_text

CARD = "README.md"
CURVES = "training_curves.png"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
MAIN_METRIC = {"sft": "loss", "kd": "loss", "rl": "reward"}


def is_hub_id(source: str) -> bool:
    return bool(HUB_ID.match(source)) and not os.path.exists(source)


def base_license(spec: ModelSpec) -> str | None:
    """The `license:` of the base model's own card, from its folder or the local Hugging Face cache (no network)."""
    source = spec.source
    readme: Path | None = None
    if os.path.isdir(source):
        readme = Path(source) / CARD
    elif is_hub_id(source):
        try:
            from huggingface_hub import try_to_load_from_cache

            hit = try_to_load_from_cache(source, CARD, revision=spec.revision)
            readme = Path(hit) if isinstance(hit, str) else None
        except Exception:  # noqa: BLE001 — no hub library or an odd cache: the license is just unknown
            readme = None
    if readme is None or not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8", errors="replace")
    m = re.match(r"^---\n(.*?)\n---", text, re.S)
    lic = re.search(r"^license:\s*(\S+)\s*$", m.group(1), re.M) if m else None
    return lic.group(1).strip("'\"") if lic else None


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list)):
        v = json.dumps(v)
    return str(v).replace("|", "\\|").replace("\n", " ")


def eval_rows(run: RunFolder, stages: list[str]) -> list[tuple[str, str, str, str, str]]:
    """(stage, eval, metric, before, after) for every eval metric of the given stages."""
    table: dict[tuple[str, str, str], dict[str, float]] = {}
    for e in run.events:
        if e.get("type") != "eval" or e.get("stage") not in stages:
            continue
        when = "before" if e.get("when") == "before" else "after"
        for k, v in numeric(e.get("metrics")).items():
            if k.endswith("_time_s"):
                continue
            table.setdefault((e["stage"], e["eval"], k), {})[when] = v
    order = {s: i for i, s in enumerate(stages)}
    rows = []
    for (st, ev, k), v in sorted(table.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2])):
        rows.append(
            (
                st,
                ev,
                k,
                _cell(v["before"]) if "before" in v else "—",
                _cell(v["after"]) if "after" in v else "—",
            )
        )
    return rows


def draw_curves(run: RunFolder, stages: list[Stage], path: Path) -> bool:
    """Each stage's main training metric (loss, or reward for RL) and its eval accuracy, one panel per stage.
    False when matplotlib is not installed (the card then says so instead of showing the image)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, len(stages), figsize=(4.2 * len(stages), 3.2), squeeze=False)
    for ax, st in zip(axes[0], stages, strict=True):
        metric = MAIN_METRIC[st.kind]
        pts = [
            (e["step"], e["metrics"][metric])
            for e in run.events
            if e.get("type") == "metrics"
            and e.get("stage") == st.name
            and isinstance(e.get("metrics", {}).get(metric), (int, float))
        ]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color="tab:blue", label=metric)
        ax.set_title(f"{st.name} ({st.kind})")
        ax.set_xlabel("step")
        ax.set_ylabel(metric)
        acc = [
            (e.get("step") or 0, e["metrics"]["accuracy"])
            for e in run.events
            if e.get("type") == "eval"
            and e.get("stage") == st.name
            and isinstance(e.get("metrics", {}).get("accuracy"), (int, float))
        ]
        if acc:
            ax2 = ax.twinx()
            ax2.plot(
                [a[0] for a in acc], [a[1] for a in acc], "o--", color="tab:orange", label="eval accuracy"
            )
            ax2.set_ylim(0, 1)
            ax2.set_ylabel("eval accuracy")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return True


def render(run: RunFolder, stage: str, image: bool) -> str:
    st = run.stage(stage)
    chain = run.chain(stage)
    chain_names = [s.name for s in chain]
    model_name, model = run.base_model(stage)
    source = model.source
    hub_base = is_hub_id(source)
    license_ = base_license(model)
    done = run.finished().get(stage, {})
    meta_path = run.checkpoint(stage) / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    datasets = run.plan.datasets
    used: list[str] = []
    for s in chain:
        data = s.config.data
        for d in [data] if isinstance(data, str) else [p.dataset for p in data]:
            if d not in used:
                used.append(d)
    for ev in sorted({e for s in chain for e in s.evals}):
        if run.plan.evals[ev].data not in used:
            used.append(run.plan.evals[ev].data)

    front = ["---", "library_name: transformers", "pipeline_tag: text-generation"]
    if license_:
        front.append(f"license: {license_}")
    if hub_base:
        front.append(f"base_model: {source}")
    hub_data = [src for d in used if (src := datasets[d].source) and is_hub_id(src)]
    if hub_data:
        front += ["datasets:", *[f"- {d}" for d in hub_data]]
    front += [
        "tags:",
        "- srlm-studio",
        *[f"- {k}" for k in dict.fromkeys(s.kind for s in chain)],
        "---",
        "",
    ]

    kinds = " → ".join(f"{s.name} ({s.kind})" for s in chain)
    lines = [
        f"# {run.plan.pipeline} · {stage}",
        "",
        f"A checkpoint trained with SRLM Studio from **{source}**, through {kinds}. "
        f"It is the result of stage `{stage}` of pipeline `{run.plan.pipeline}`, run `{run.run_id}`.",
        "",
        "## Model details",
        "",
        "| | |",
        "|---|---|",
        f"| base model | {_cell(source)} (`{model_name}`, weights {_cell(model.weights)}) |",
        f"| stage | `{stage}` ({st.kind}), {meta.get('step', done.get('step', '—'))} optimizer steps |",
        f"| stages | {_cell(' → '.join(chain_names))} |",
        f"| stage hash | `{st.hash or '—'}` |",
        f"| engine | srlm_engine {run.engine_version() or '—'} (card written by {__version__}) |",
        f"| license | {license_ or 'unknown: the base model declares none that SRLM Studio could read; check it before sharing'} |",
        "",
        "## Training data",
        "",
        "| dataset | source | fields |",
        "|---|---|---|",
    ]
    for d in used:
        spec = datasets[d]
        origin = spec.source or (f"built-in `{spec.builtin}`" if spec.builtin else "—")
        fields = ", ".join(
            f"{k}={v}"
            for k in ("prompt", "completion", "answer", "messages", "split", "limit")
            if (v := getattr(spec, k)) is not None
        )
        lines.append(f"| `{d}` | {_cell(origin)} | {_cell(fields) or '—'} |")
    lines += ["", "## Training procedure", ""]
    for s in chain:
        lines += [f"### `{s.name}` ({s.kind})", "", "| hyperparameter | value |", "|---|---|"]
        config = dataclasses.asdict(s.config)
        lines += [f"| {k} | {_cell(v)} |" for k, v in sorted(config.items()) if v is not None]
        lines.append("")
    lines += ["## Evaluation", ""]
    rows = eval_rows(run, chain_names)
    if rows:
        lines += ["| stage | eval | metric | before | after |", "|---|---|---|---|---|"]
        lines += [f"| `{a}` | `{b}` | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    else:
        lines.append("No eval blocks covered these stages.")
    lines += ["", "## Training curves", ""]
    if image:
        lines.append(
            f"![Training curves: loss or reward per step, and eval accuracy, for each stage]({CURVES})"
        )
    else:
        lines.append(
            "(matplotlib is not installed, so no image was drawn: `pip install 'srlm-engine[card]'`.)"
        )
    text = pipeline_text(run.path, run.plan.resolved_json)
    lines += ["", "## Pipeline", ""]
    if text:
        lines += ["The `.srlm` file this run was compiled from:", "", "```hcl", text.rstrip("\n"), "```"]
    else:
        lines.append(
            "The `.srlm` text is not in the run folder; the compiled plan is `plan.json` of the run."
        )
    lines.append("")
    return "\n".join(front + lines)


def write_card(run_dir: str | Path, stage: str | None = None) -> dict:
    run = RunFolder.open(run_dir)
    stage = stage or run.default_stage()
    ckpt = run.checkpoint(stage)
    stages = run.chain(stage)
    image = draw_curves(run, stages, ckpt / CURVES)
    card = ckpt / CARD
    tmp = ckpt / f".{CARD}.tmp"
    tmp.write_text(render(run, stage, image), encoding="utf-8")
    os.replace(tmp, card)
    return {
        "stage": stage,
        "checkpoint": str(ckpt),
        "card": str(card),
        "image": str(ckpt / CURVES) if image else None,
    }
