"""The demo's reporting scripts: scripts/demo_summary.py (printed by scripts/demo.sh) reads greedy accuracy and
avg@k from a run's eval events, bench/demo_seeds.py writes each seed's pipeline with its overrides and
bench/demo_resample.py finds each stage's checkpoint."""

import importlib.util
import json
import subprocess
import sys

from engine_helpers import REPO


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, REPO / path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _eval(stage, when, acc, p1, p8, name="test"):
    return {
        "type": "eval",
        "time": 1.0,
        "stage": stage,
        "when": when,
        "eval": name,
        "metrics": {"accuracy": acc, "pass@1": p1, "pass@8": p8, "eval_time_s": 0.5},
    }


def _write_run(tmp_path):
    run = tmp_path / "20261202-000000-demo-abcd"
    run.mkdir()
    events = [
        {"type": "run_started", "time": 0.0, "stages": ["student", "polish"]},
        _eval("student", "before", 0.0, 0.0, 0.0),
        _eval("student", "after", 0.87, 0.72, 0.95),
        {
            "type": "stage_finished",
            "time": 80.0,
            "stage": "student",
            "status": "completed",
            "cached": False,
            "duration_s": 80.0,
        },
        _eval("polish", "after", 0.875, 0.7625, 0.95),
        {
            "type": "stage_finished",
            "time": 110.0,
            "stage": "polish",
            "status": "completed",
            "cached": False,
            "duration_s": 30.0,
        },
        {"type": "run_finished", "time": 110.0, "status": "completed", "duration_s": 110.0},
    ]
    (run / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return run


def test_summary_table_shows_greedy_and_avg_at_k_per_model(tmp_path):
    run = _write_run(tmp_path)
    out = subprocess.run(
        [sys.executable, "scripts/demo_summary.py", str(run)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["model", "test", "greedy", "test", "avg@8", "stage", "time"]
    assert lines[2].split() == ["student", "(untrained)", "0.0", "0.0", "-"]
    assert lines[3].split() == ["after", "student", "87.0", "72.0", "80", "s"]
    assert lines[4].split() == ["after", "polish", "87.5", "76.2", "30", "s"]
    assert "completed in 110 s" in out


def test_avg_at_k_prefers_an_avg_metric_over_pass_at_1():
    mod = _load("scripts/demo_summary.py", "demo_summary_t")
    assert mod.avg_at_k({"accuracy": 0.9, "pass@1": 0.7, "pass@8": 0.95}) == (0.7, 8)
    assert mod.avg_at_k({"avg@16": 0.71, "pass@1": 0.7}) == (0.71, 16)


def test_demo_seeds_writes_the_seed_and_overrides_into_the_pipeline():
    sys.path.insert(0, str(REPO / "scripts"))
    mod = _load("bench/demo_seeds.py", "demo_seeds_t")
    text = mod.pipeline_for(
        REPO / "examples" / "demo.srlm", 7, ["polish.lr=2e-4", "polish.top_p=0.9", "val.every=50"]
    )
    assert "seed = 7" in text and "seed = 1234" not in text
    polish = text[text.index("stage rl polish") :]
    polish = polish[: polish.index("}")]
    assert "lr = 2e-4" in polish and "top_p = 0.9" in polish
    val = text[text.index("eval val") :]
    assert "every = 50" in val[: val.index("}")]
    assert '"../' not in text  # model paths made absolute for the scratch copy


def test_demo_resample_reads_each_stage_checkpoint_from_the_run_events(tmp_path):
    mod = _load("bench/demo_resample.py", "demo_resample_t")
    run = tmp_path / "run"
    run.mkdir()
    events = [
        {
            "type": "stage_finished",
            "stage": "teacher",
            "cached": True,
            "checkpoint": "/runs/a/checkpoints/teacher/final",
        },
        {"type": "stage_finished", "stage": "student", "cached": False, "checkpoint": str(run / "student")},
        {"type": "eval", "stage": "student", "when": "after", "eval": "val", "metrics": {}},
        {"type": "stage_finished", "stage": "polish", "status": "failed", "checkpoint": None},
    ]
    (run / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert mod.checkpoints(run) == {
        "teacher": "/runs/a/checkpoints/teacher/final",
        "student": str(run / "student"),
    }
