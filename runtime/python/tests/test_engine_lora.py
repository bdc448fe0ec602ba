"""LoRA through peft: adapters train (base weights frozen), step checkpoints hold adapters and resume exactly,
the final checkpoint is merged into plain weights, and RL with LoRA uses the disabled adapter as reference."""

from engine_helpers import (
    assert_events_valid,
    base_plan,
    metric_series,
    read_events,
    tiny_model_dir,
    write_plan,
)

from srlm_engine.run import EXIT_OK, EXIT_STOPPED, run
from srlm_engine.signals import StopFlag

LORA = {"rank": 4, "alpha": 8, "dropout": 0.0, "targets": ["q_proj", "v_proj"]}


def test_lora_sft_with_grad_checkpointing_resumes_and_merges(tmp_path):
    model = tiny_model_dir(tmp_path, "m")
    stages = [
        {
            "name": "s",
            "kind": "sft",
            "init": {"model": "m"},
            "config": {
                "data": "train",
                "steps": 6,
                "lr": 1e-2,
                "batch_size": 8,
                "max_len": 64,
                "lora": LORA,
                "grad_checkpointing": True,
            },
        },
        {
            "name": "r",
            "kind": "rl",
            "init": {"stage": "s"},
            "config": {
                "data": "train",
                "steps": 2,
                "lr": 1e-3,
                "prompts_per_step": 2,
                "group": 2,
                "max_new_tokens": 4,
                "kl": 0.1,
                "lora": LORA,
                "reward": [{"fn": "format", "weight": 1.0}],
            },
        },
    ]
    plan = write_plan(tmp_path, base_plan({"m": model}, stages))
    assert run(str(plan), str(tmp_path / "full")) == EXIT_OK
    stop = StopFlag()

    def echo(e):
        if e["type"] == "metrics" and e["step"] == 3:
            stop.request("test")

    assert run(str(plan), str(tmp_path / "split"), echo=echo, stop=stop) == EXIT_STOPPED
    step3 = tmp_path / "split/checkpoints/s/step-000003"
    assert (step3 / "adapter_model.safetensors").is_file() and not (step3 / "model.safetensors").exists()
    assert run(str(plan), str(tmp_path / "split"), resume=True) == EXIT_OK
    full, split = read_events(tmp_path / "full"), read_events(tmp_path / "split")
    assert_events_valid(split)
    assert metric_series(split, "s", "loss") == metric_series(full, "s", "loss")
    final = tmp_path / "full/checkpoints/s/final"
    assert (final / "model.safetensors").is_file() and not (final / "adapter_config.json").exists()
    kl = metric_series(full, "r", "kl")
    assert len(kl) == 2 and all(k >= 0 for k in kl)

    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(final)
    base = AutoModelForCausalLM.from_pretrained(tmp_path / "full/checkpoints/r/final")
    assert merged.config.vocab_size == base.config.vocab_size
