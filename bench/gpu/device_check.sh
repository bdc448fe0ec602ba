#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (see docs/BENCHMARKS.md). Sections, each under its own time limit:
#   speed  — bench/gpu/speed_bench.py (issue 18): SFT tokens/s, MFU and peak memory with full logits, the fused loss
#            and packed rows at 1k/4k/8k tokens; KD peak memory at 8k with a 1.5B-shaped teacher; GRPO generation
#            tokens/s per rollout backend (hf, static, paged) and the step split — each as ratios in one run
#   bench  — bench/engine/gpu_bench.py: Qwen2.5-0.5B-shaped SFT tokens/s, MFU, memory split; GRPO step split
#   memory — bench/lsp/measure_memory.py: measured peak memory over the estimator's grid
#   lora   — only the LoRA cells of the memory grid, for a short second lease
#   demo   — the embedded demo pipeline on CUDA with bf16 through the real engine (plan from bench/gpu/make_plan.ts)
#   fp16   — the same pipeline with fp16 autocast and dynamic loss scaling (demo-cuda-fp16.plan.json)
# Results go to $OUT. Python packages the machine lacks travel as wheels in .whl/.
# Usage: bash bench/gpu/device_check.sh [speed] [bench] [memory] [lora] [demo] [fp16]   (no argument: speed, which
# fits in 8 minutes). `--smoke` runs the speed section with tiny shapes on the CPU: a check of the script, run by
# runtime/python/tests/test_device_check_smoke.py, whose figures mean nothing.
set -uo pipefail
smoke=""
if [[ "${1:-}" == "--smoke" ]]; then smoke="--smoke"; shift; fi
sections=" ${*:-speed} "
want() { [[ "$sections" == *" $1 "* ]]; }
OUT="${OUT:-/tmp/srlm-gpu-out}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
root="$PWD"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:$root/runtime/python"
else
  export PYTHONPATH="$root/runtime/python"
fi
PY="${PYTHON:-python3}"
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || echo "no nvidia-smi"
  "$PY" -c "import sys, torch, transformers, peft; print(sys.version.split()[0], torch.__version__, transformers.__version__, peft.__version__)"
  echo "node: $(command -v node || echo none)"
} >"$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"

if want speed; then
  echo "== speed_bench"; t0=$SECONDS
  timeout 440 "$PY" bench/gpu/speed_bench.py $smoke >"$OUT/speed.log" 2>"$OUT/speed.err"
  echo "speed_bench rc=$? in $((SECONDS - t0)) s"; tail -5 "$OUT/speed.err"
  "$PY" bench/gpu/speed_summary.py "$OUT/speed.json" || true
fi

if want bench; then
  echo "== gpu_bench"; t0=$SECONDS
  timeout 200 python3 bench/engine/gpu_bench.py >"$OUT/gpu_bench.json" 2>"$OUT/gpu_bench.err"
  echo "gpu_bench rc=$? in $((SECONDS - t0)) s"; cat "$OUT/gpu_bench.json"; tail -5 "$OUT/gpu_bench.err"
fi

if want memory; then
  echo "== measure_memory"; t0=$SECONDS
  timeout 150 python3 bench/lsp/measure_memory.py --all >"$OUT/memory.jsonl" 2>"$OUT/memory.err"
  echo "measure_memory rc=$? in $((SECONDS - t0)) s"; cat "$OUT/memory.jsonl"; tail -3 "$OUT/memory.err"
fi

if want lora; then
  echo "== measure_memory (LoRA cells)"; t0=$SECONDS
  for cell in "1 1024" "4 1024" "2 4096"; do
    set -- $cell
    for ck in "" "--grad-ckpt"; do
      timeout 60 python3 bench/lsp/measure_memory.py --mode lora --batch "$1" --seq-len "$2" $ck >>"$OUT/memory_lora.jsonl" 2>>"$OUT/memory.err"
    done
  done
  echo "lora cells in $((SECONDS - t0)) s"; cat "$OUT/memory_lora.jsonl"; tail -3 "$OUT/memory.err"
fi

run_demo() {  # $1: section name, $2: plan file
  echo "== $1 on cuda"; t0=$SECONDS
  sed "s#@ROOT@#$root#g" "$2" >"/tmp/$1.plan.json"
  rm -rf "/tmp/$1-run"
  timeout 160 python3 -m srlm_engine run --plan "/tmp/$1.plan.json" --run-dir "/tmp/$1-run" >"$OUT/$1.log" 2>&1
  echo "$1 rc=$? in $((SECONDS - t0)) s"; tail -15 "$OUT/$1.log"
  cp "/tmp/$1-run/events.jsonl" "$OUT/$1_events.jsonl" 2>/dev/null
  RUN="/tmp/$1-run" python3 - <<'PY' || true
import json, os
scales = {}
for line in open(os.path.join(os.environ["RUN"], "events.jsonl")):
    e = json.loads(line)
    if e.get("type") == "metrics" and "loss_scale" in e["metrics"]:
        scales.setdefault(e["stage"], []).append(e["metrics"]["loss_scale"])
    if e.get("type") in ("eval", "stage_finished", "run_finished"):
        print(json.dumps({k: e.get(k) for k in ("type", "stage", "step", "metrics", "status", "seconds", "duration_s")}))
for stage, s in scales.items():
    print(json.dumps({"stage": stage, "loss_scale_first": s[0], "loss_scale_min": min(s), "loss_scale_last": s[-1]}))
PY
}

want demo && run_demo demo bench/gpu/demo-cuda.plan.json
want fp16 && run_demo fp16 bench/gpu/demo-cuda-fp16.plan.json
exit 0
