"""bench/gpu/device_check.sh runs end to end on CPU with --smoke, so a lent GPU never meets a broken script: every
section of speed.json is filled with figures (meaningless at these sizes) and the summary prints the targets."""

import json
import os
import subprocess
import sys

from engine_helpers import REPO


def test_device_check_smoke_fills_every_section(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", "bench/gpu/device_check.sh", "--smoke"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "speed_bench rc=0" in proc.stdout, (
        proc.stdout[-3000:] + (tmp_path / "speed.err").read_text()[-3000:]
    )
    r = json.loads((tmp_path / "speed.json").read_text())
    assert r["smoke"] is True and r["device"] == "cpu"
    assert set(r["sft"]) == {"64", "128"}
    for cell in r["sft"].values():
        for v in ("plain", "fused", "fused_packed", "fused_packed_ckpt"):
            assert cell[v]["tokens_per_s"] > 0 and cell[v]["real_tokens"] > 0, cell[v]
        # Same examples in every variant: the same real tokens, however they are batched.
        assert (
            cell["plain"]["real_tokens"]
            == cell["fused"]["real_tokens"]
            == cell["fused_packed"]["real_tokens"]
        )
    assert r["kd"]["plain"]["step_s"] > 0 and r["kd"]["fused"]["step_s"] > 0
    for name in ("hf", "static", "paged"):
        g = r["grpo"][name]
        assert "error" not in g, g
        assert g["built_as"] == name and g["tokens"] > 0 and g["step"]["backend"] == name
    assert r["grpo"]["tokens_per_s_over_hf"]["hf"] == 1.0
    assert "grpo best backend / hf generation tokens/s" in proc.stdout
