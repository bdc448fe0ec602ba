"""Issue 18's GPU measurement: each speed or memory change against its baseline, side by side in one run, through
the engine's own code (random weights of Qwen2.5 shapes; nothing downloaded).

  * SFT at 1k, 4k and 8k tokens per sequence, three variants on the same examples (lengths spread over
    [T/8, T], a prompt quarter masked): `plain` = full logits + `completion_ce` on padded batches (the engine
    before issue 18, `SRLM_FUSED_LOSS=0`), `fused` = the loss fused with the LM head on the same padded batches,
    `fused_packed` = fused loss on padding-free packed rows, `fused_packed_ckpt` = the same with per-layer
    activation checkpointing. Real (non-padding) tokens/s, MFU, peak memory.
    Each step is `stages.sft.ce_loss` + backward + clipping + the engine's AdamW (`stages.loop.make_optimizer`).
  * KD at 8k tokens with a Qwen2.5-1.5B-shaped bf16 teacher: peak memory and step time of `stages.kd.KDLoss`
    (JSD) with full logits against the fused loss.
  * GRPO generation with each rollout backend (`rollout.select_backend`: hf, static, paged), its warm-up
    (compilation, CUDA graph capture) reported apart, and one GRPO step split (generation / scoring / update)
    per backend through `bench/engine/gpu_bench.py`'s `bench_grpo`.

Usage: python bench/gpu/speed_bench.py [--smoke] [--sections sft,kd,grpo]  (one JSON object on stdout, also
$OUT/speed.json). `--smoke` runs tiny shapes on the CPU: it checks the script, its figures mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runtime" / "python"))
sys.path.insert(0, str(ROOT / "bench" / "engine"))

from gpu_bench import QWEN05, TINY, bench_grpo, peak_flops, sync

QWEN15 = {
    **QWEN05,
    "hidden_size": 1536,
    "intermediate_size": 8960,
    "num_hidden_layers": 28,
    "num_attention_heads": 12,
    "num_key_value_heads": 2,
}
TINY_TEACHER = {**TINY, "hidden_size": 96, "num_hidden_layers": 3}
# The last one adds gradient checkpointing (the engine's `grad_checkpointing = true`) to the fused packed run: what
# memory the two changes leave to activations, at checkpointing's recompute cost.
VARIANTS = ("plain", "fused", "fused_packed", "fused_packed_ckpt")


@contextlib.contextmanager
def fused_loss(on: bool):
    old = os.environ.get("SRLM_FUSED_LOSS")
    os.environ["SRLM_FUSED_LOSS"] = "1" if on else "0"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SRLM_FUSED_LOSS", None)
        else:
            os.environ["SRLM_FUSED_LOSS"] = old


def attn_impl(device) -> str:
    if device.type == "cuda":
        try:
            import flash_attn  # noqa: F401

            return "flash_attention_2"
        except ImportError:
            pass
    return "sdpa"


def build(cfg: dict, device, dtype, attn: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    with torch.device(
        device
    ):  # initialised where it runs: a 1.5B random init on the CPU takes long
        return AutoModelForCausalLM.from_config(
            AutoConfig.for_model(**cfg), dtype=dtype, attn_implementation=attn
        )


def checkpointing(model, on: bool) -> None:
    """Per-layer activation checkpointing on or off, as `stages.loop.StageLoop.build_policy` turns it on."""
    if on and hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5
        model.activation_checkpointing_enable(
            activation_checkpointing_kwargs={"use_reentrant": False}
        )
    elif on:
        model.gradient_checkpointing_enable(
            gradient_checkpointing_kwargs={"use_reentrant": False}
        )
    else:
        getattr(
            model,
            "activation_checkpointing_disable",
            model.gradient_checkpointing_disable,
        )()


def peak_gib(device) -> float | None:
    import torch

    return (
        torch.cuda.max_memory_allocated(device) / 2**30
        if device.type == "cuda"
        else None
    )


def reset_peak(device) -> None:
    import torch

    gc.collect()  # the previous variant's optimizer state goes before the next one is measured
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def sft_examples(seq: int, tokens: int, vocab: int, seed: int):
    """Examples of lengths spread over [seq/8, seq] until about `tokens` tokens, a prompt quarter masked."""
    import torch
    from srlm_engine import data

    g = torch.Generator().manual_seed(seed)
    out, total = [], 0
    while total < tokens:
        n = int(torch.randint(max(2, seq // 8), seq + 1, (1,), generator=g))
        p = n // 4
        out.append(
            data.Example(
                torch.randint(3, vocab, (n,), generator=g).tolist(),
                [0] * p + [1] * (n - p),
                p,
            )
        )
        total += n
    return out


def bench_config(cls):
    """A stage config as the benchmarks train with: the schema's defaults, lr 1e-6, no warm-up, constant."""
    from srlm_engine.plan import from_partial

    return from_partial(
        cls,
        {
            "init": "s",
            "data": "bench",
            "lr": 1e-6,
            "warmup": 0.0,
            "scheduler": "constant",
        },
    )


def bench_sft_variant(
    model, device, batches, variant: str, mean_len: float, warmup: int = 1
) -> dict:
    import torch
    from srlm_engine import data, models
    from srlm_engine.plan_types import SftConfig
    from srlm_engine.stages.loop import make_optimizer
    from srlm_engine.stages.sft import ce_loss

    opt, _ = make_optimizer(model, bench_config(SftConfig), len(batches) + warmup)
    reset_peak(device)
    real = 0
    t0 = None
    if variant.endswith("_ckpt"):
        checkpointing(model, True)
    with fused_loss(variant != "plain"):
        for i, b in enumerate(batches[:warmup] + batches):
            if i == warmup:
                sync(device)
                t0 = time.perf_counter()
            batch = data.collate(b, 0, device)
            n = max(1, int(batch["loss_mask"][:, 1:].sum()))
            with models.autocast():
                loss, _ = ce_loss(model, batch, n, 0)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            del loss
            if i >= warmup:
                real += int(batch["attention_mask"].sum())
    sync(device)
    dt = time.perf_counter() - t0
    if variant.endswith("_ckpt"):
        checkpointing(model, False)
    c = model.config
    n_params = sum(p.numel() for p in model.parameters())
    # 6N per token plus attention's 12·L·d·T (PaLM appendix B) with T the mean example length: the attention each
    # example needs, whether it is padded or packed.
    flops = (6 * n_params + 12 * c.num_hidden_layers * c.hidden_size * mean_len) * real
    out = {
        "steps": len(batches),
        "real_tokens": real,
        "seconds": dt,
        "tokens_per_s": real / dt,
    }
    out["peak_gib"] = peak_gib(device)
    if device.type == "cuda":
        peak = peak_flops(torch.cuda.get_device_name(device))
        out["mfu"] = flops / dt / peak if peak else None
    del opt
    return out


def bench_sft(model, device, seqs: list[int], tokens_per_step: int, steps: int) -> dict:
    from srlm_engine import data

    vocab = model.config.vocab_size
    result = {}
    for seq in seqs:
        exs = sft_examples(seq, tokens_per_step * steps, vocab, seed=seq)
        mean_len = sum(len(e.ids) for e in exs) / len(exs)
        per_batch = max(1, round(tokens_per_step / mean_len))
        padded = data.make_batches(exs, per_batch, seed=0, epoch=0)
        rows = data.pack(exs, seq)
        packed = data.make_batches(
            rows, max(1, tokens_per_step // seq), seed=0, epoch=0
        )
        cell = {"seq_len": seq, "examples": len(exs), "mean_example_tokens": mean_len}
        for variant in VARIANTS:
            try:
                cell[variant] = bench_sft_variant(
                    model,
                    device,
                    packed if "packed" in variant else padded,
                    variant,
                    mean_len,
                )
            except Exception as e:  # noqa: BLE001 - an OOM of the baseline is a result too
                cell[variant] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
            reset_peak(device)
        cell["ratios"] = ratios(cell)
        result[str(seq)] = cell
    return result


def ratios(cell: dict) -> dict:
    def get(v, k):
        return (cell.get(v) or {}).get(k)

    out = {}
    for v in VARIANTS[1:]:
        a, b = get("plain", "tokens_per_s"), get(v, "tokens_per_s")
        out[f"{v}_tokens_per_s_over_plain"] = b / a if a and b else None
        a, b = get("plain", "peak_gib"), get(v, "peak_gib")
        out[f"plain_peak_over_{v}"] = a / b if a and b else None
    return out


def bench_kd(student, teacher, device, seq: int) -> dict:

    from srlm_engine import data, models
    from srlm_engine.plan import from_partial
    from srlm_engine.plan_types import KdConfig, SftConfig
    from srlm_engine.stages.kd import KDLoss
    from srlm_engine.stages.loop import make_optimizer

    kd = KDLoss(
        None,  # no run context: the benchmark drives the loss itself
        from_partial(KdConfig, {"init": "s", "teacher": "t", "data": "bench"}),
        None,
    )
    kd.teacher, kd.vocab = (
        teacher,
        min(student.config.vocab_size, teacher.config.vocab_size),
    )
    ex = sft_examples(seq, 1, student.config.vocab_size, seed=7)[0]
    ex = data.Example(
        ex.ids + [5] * (seq - len(ex.ids)),
        ex.mask + [1] * (seq - len(ex.ids)),
        ex.prompt_len,
    )
    batch = data.collate([ex], 0, device)
    n = float(batch["loss_mask"][:, 1:].sum())
    out = {
        "seq_len": seq,
        "teacher_params": sum(p.numel() for p in teacher.parameters()),
    }
    for variant in ("plain", "fused"):
        opt, _ = make_optimizer(student, bench_config(SftConfig), 3)
        reset_peak(device)
        try:
            with fused_loss(variant == "fused"):
                times = []
                for _ in range(3):
                    sync(device)
                    t0 = time.perf_counter()
                    with models.autocast():
                        loss, _ = kd(student, batch, n, 0)
                    loss.backward()
                    opt.step()
                    opt.zero_grad(set_to_none=True)
                    del loss
                    sync(device)
                    times.append(time.perf_counter() - t0)
            out[variant] = {"step_s": min(times[1:]), "peak_gib": peak_gib(device)}
        except Exception as e:  # noqa: BLE001 - recorded; the other cells still run
            out[variant] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
        del opt
        reset_peak(device)
    a, b = out["plain"].get("peak_gib"), out["fused"].get("peak_gib")
    out["plain_peak_over_fused"] = a / b if a and b else None
    return out


def bench_rollouts(model, tok, device, args, on_cell=None) -> dict:
    import torch
    from srlm_engine import rollout

    g = torch.Generator().manual_seed(1)
    vocab = model.config.vocab_size
    prompts = [
        torch.randint(3, vocab, (args.prompt_len,), generator=g).tolist()
        for _ in range(args.prompts)
    ]
    out = {
        "prompts": args.prompts,
        "group": args.group,
        "prompt_len": args.prompt_len,
        "max_new_tokens": args.max_new,
    }
    for name in args.backends.split(","):
        cell = {}
        try:
            t0 = time.perf_counter()
            backend, why = rollout.select_backend(
                name, model, tok, device, seed=1, max_model_len=lambda: args.prompt_len + args.max_new,
                hf_batch_size=args.prompts * args.group,
            )  # fmt: skip
            cell["built_as"], cell["fallback"] = backend.name, why
            cell["build_s"] = time.perf_counter() - t0
            # The warm-up call has the timed call's shapes (bench_grpo draws the same prompts): it carries
            # compilation and CUDA graph capture. The GRPO step's own generation is the timed one.
            sync(device)
            t1 = time.perf_counter()
            backend.generate(prompts, args.max_new, 1.0, 1.0, args.group, seed=3)
            sync(device)
            cell["warmup_s"] = time.perf_counter() - t1
            step = bench_grpo(
                model, tok, device, args.prompts, args.group, args.prompt_len, args.max_new, args.micro,
                backend=backend,
            )  # fmt: skip
            cell.update(
                step=step, tokens=step["generated_tokens"], timed_s=step["generation_s"]
            )
            cell["tokens_per_s"] = step["generation_tokens_per_s"]
            backend.close()
        except Exception as e:  # noqa: BLE001 - recorded; the other cells still run
            cell["error"] = f"{type(e).__name__}: {str(e)[:300]}"
        out[name] = cell
        reset_peak(device)
        if on_cell is not None:
            on_cell(out)
    base = (out.get("hf") or {}).get("tokens_per_s")
    out["tokens_per_s_over_hf"] = {
        k: v["tokens_per_s"] / base
        for k, v in out.items()
        if isinstance(v, dict) and v.get("tokens_per_s") and base
    }
    return out


def save(result: dict, t_start: float) -> None:
    """Write what is measured so far to $OUT/speed.json: a run stopped by its time limit keeps its sections."""
    result["total_s"] = time.perf_counter() - t_start
    if os.environ.get("OUT"):
        Path(os.environ["OUT"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["OUT"]) / "speed.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="tiny shapes on the CPU (a check of this script)",
    )
    ap.add_argument("--sections", default="sft,kd,grpo")
    ap.add_argument("--seqs", default="1024,4096,8192")
    ap.add_argument("--tokens-per-step", type=int, default=8192)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--kd-seq", type=int, default=8192)
    # static last: its first rollout compiles, the longest and least predictable part of the run.
    ap.add_argument("--backends", default="hf,paged,static")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--max-new", type=int, default=256)
    ap.add_argument("--micro", type=int, default=16)
    args = ap.parse_args(argv)

    import torch
    from srlm_engine import models
    from srlm_engine.assets import TOKENIZER_DIR

    student_cfg, teacher_cfg = QWEN05, QWEN15
    if args.smoke:
        student_cfg, teacher_cfg = TINY, TINY_TEACHER
        vars(args).update(seqs="64,128", tokens_per_step=256, steps=2, kd_seq=128)
        vars(args).update(prompts=2, group=2, prompt_len=8, max_new=8, micro=2)
        torch.set_num_threads(1)
    device = (
        torch.device("cuda")
        if torch.cuda.is_available() and not args.smoke
        else torch.device("cpu")
    )
    models.configure_amp("auto", device)
    attn = attn_impl(device)
    sections = set(args.sections.split(","))
    t_start = time.perf_counter()
    result = {
        "benchmark": "srlm-speed",
        "smoke": args.smoke,
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else "cpu",
        "torch": torch.__version__,
        "attn_implementation": attn,
    }
    try:
        import liger_kernel  # noqa: F401

        result["liger_kernel"] = True
    except ImportError:
        result["liger_kernel"] = False
    model = build(student_cfg, device, torch.float32, attn).train()
    tok = models.load_tokenizer(str(TOKENIZER_DIR))
    if "sft" in sections:
        seqs = [int(s) for s in args.seqs.split(",")]
        result["sft"] = bench_sft(model, device, seqs, args.tokens_per_step, args.steps)
        save(result, t_start)
    if "kd" in sections:
        t_dtype = models.pick_dtype("auto", device, trainable=False)
        teacher = build(teacher_cfg, device, t_dtype, attn).eval().requires_grad_(False)
        result["kd"] = bench_kd(model, teacher, device, args.kd_seq)
        del teacher
        reset_peak(device)
        save(result, t_start)
    if "grpo" in sections:
        result["grpo"] = bench_rollouts(
            model,
            tok,
            device,
            args,
            on_cell=lambda g: save({**result, "grpo": g}, t_start),
        )
    save(result, t_start)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
