"""The GPU benchmark script runs end to end on CPU with --tiny (so a lent GPU never meets a broken script)."""

import json
import os
import subprocess
import sys

from engine_helpers import REPO


def test_gpu_bench_tiny_runs_and_writes_json(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench/engine/gpu_bench.py"), "--tiny"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "gpu_bench.json").read_text())
    assert json.loads(proc.stdout) == result
    assert result["sft"]["tokens_per_s"] > 0 and result["sft"]["params"] > 0
    g = result["grpo_step"]
    assert g["generation_s"] > 0 and g["scoring_s"] >= 0 and g["update_s"] > 0
    assert abs(g["total_s"] - (g["generation_s"] + g["scoring_s"] + g["update_s"])) < 1e-6
    # The GRPO step is the engine's: its rollout backend and policy_update (which reports entropy and clipping).
    assert g["backend"] == "hf" and g["entropy"] > 0 and g["clip_fraction"] == 0.0
