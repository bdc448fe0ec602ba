"""Padding-free packing: packed examples attend only to themselves and restart positions, so every example's loss
(and its gradient) is the one it has in an unpacked batch; the engine's SFT and KD losses agree fused and unfused."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from srlm_engine import data, heads, packing
from srlm_engine.assets import model_dir
from srlm_engine.plan import from_partial
from srlm_engine.plan_types import KdConfig, LoraConfig
from srlm_engine.stages.kd import KDLoss
from srlm_engine.stages.sft import ce_loss

PAD = 0


def _model(attn="sdpa", seed=0, name="tiny-student"):
    cfg = AutoConfig.from_pretrained(model_dir(name))
    torch.manual_seed(seed)
    m = AutoModelForCausalLM.from_config(cfg, dtype=torch.float64, attn_implementation=attn)
    with torch.no_grad():  # larger weights than the init's: distinct, confident distributions
        for p in m.parameters():
            p.mul_(4.0) if p.dim() > 1 else None
    return m


def _examples(completion_only=True):
    g = torch.Generator().manual_seed(3)
    out = []
    for plen, clen in ((4, 5), (2, 7), (6, 3), (3, 4)):
        ids = torch.randint(5, 300, (plen + clen,), generator=g).tolist()
        mask = ([0] * plen if completion_only else [1] * plen) + [1] * clen
        out.append(data.Example(ids, mask, plen))
    return out


def _per_token_nll(model, batch):
    logits = model(**packing.model_inputs(model, batch)).logits[:, :-1]
    labels = batch["input_ids"][:, 1:]
    nll = -torch.log_softmax(logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return torch.where(batch["loss_mask"][:, 1:].bool(), nll, torch.zeros_like(nll))


def test_pack_records_segments_and_collate_restarts_positions():
    packed = data.pack(_examples(completion_only=False), max_len=20)
    assert [p.segments for p in packed] == [(9, 9), (9, 7)]
    # The first token of every packed example is not a target (the previous example's last token predicts it).
    assert packed[0].mask[0] == 0 and packed[0].mask[9] == 0 and packed[0].mask[1] == 1
    b = data.collate(packed, PAD, "cpu")
    assert b["position_ids"][1].tolist() == list(range(9)) + list(range(7)) + list(range(2))
    assert b["segment_ids"][1].tolist() == [0] * 9 + [1] * 7 + [2] * 2
    assert b["attention_mask"][1].tolist() == [1] * 16 + [0] * 2
    assert "position_ids" not in data.collate(_examples(), PAD, "cpu")  # unpacked batches are unchanged
    mask = packing.block_causal_mask(b["segment_ids"])[1, 0]
    # Row 1: example 0 is tokens 0-8, example 1 tokens 9-15, padding 16-17.
    assert mask[10, 9] and mask[9, 9] and mask[8, 0] and not mask[0, 1]
    assert not mask[9, 8] and not mask[15, 0] and not mask[16, 15] and mask[17, 16]


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("completion_only", [True, False])
def test_packed_per_example_losses_equal_unpacked(attn, completion_only):
    model = _model(attn)
    exs = _examples(completion_only)
    packed = data.pack(exs, max_len=20)
    nll = _per_token_nll(model, data.collate(packed, PAD, "cpu"))
    got = []
    for r, p in enumerate(packed):
        start = 0
        for n in p.segments:
            # Shifted: the targets of an example of n tokens sit at columns start .. start + n - 2.
            got.append(nll[r, start : start + n - 1].sum())
            start += n
    alone = [_per_token_nll(model, data.collate([e], PAD, "cpu")).sum() for e in exs]
    # Eager attention takes its softmax in float32 even for float64 models, hence 1e-6 rather than 1e-9.
    torch.testing.assert_close(torch.stack(got), torch.stack(alone), rtol=1e-6, atol=1e-6)


def _grads(model, loss):
    return torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad])


def _assert_same_loss_and_grads(model, a, b, tol=1e-6):
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)
    for x, y in zip(_grads(model, a), _grads(model, b), strict=True):
        torch.testing.assert_close(x, y, rtol=tol, atol=tol)


@pytest.mark.parametrize("fused", ["1", "0"])
def test_sft_loss_packed_equals_padded_batch_fused_or_not(monkeypatch, fused):
    monkeypatch.setenv("SRLM_FUSED_LOSS", fused)
    model = _model()
    assert (heads.split(model) is not None) == (fused == "1")
    exs = _examples()
    padded = data.collate(exs, PAD, "cpu")
    packed = data.collate(data.pack(exs, max_len=20), PAD, "cpu")
    n = float(padded["loss_mask"][:, 1:].sum())
    assert n == float(packed["loss_mask"][:, 1:].sum())
    a, _ = ce_loss(model, padded, n, 0)
    b, _ = ce_loss(model, packed, n, 0)
    _assert_same_loss_and_grads(model, a, b, tol=1e-7)


def test_sft_fused_loss_equals_full_logits_loss(monkeypatch):
    model = _model()
    batch = data.collate(_examples(), PAD, "cpu")
    fused, _ = ce_loss(model, batch, 11.0, 0)
    monkeypatch.setenv("SRLM_FUSED_LOSS", "0")
    plain, _ = ce_loss(model, batch, 11.0, 0)
    _assert_same_loss_and_grads(model, fused, plain)


def _kd(teacher, loss, mix):
    cfg = from_partial(KdConfig, {"data": "d", "teacher": "t", "loss": loss, "temperature": 1.5, "mix": mix})
    kd = KDLoss(None, cfg, None)
    kd.teacher, kd.vocab = teacher, 384
    return kd


@pytest.mark.parametrize("loss", [{"name": "jsd", "beta": 0.3}, {"name": "reverse_kl"}])
def test_kd_loss_fused_packed_and_plain_padded_agree(monkeypatch, loss):
    student, teacher = _model(), _model(seed=1, name="tiny-teacher").eval()
    kd = _kd(teacher, loss, {"kd": 1.0, "sft": 0.5})
    exs = _examples()
    padded = data.collate(exs, PAD, "cpu")
    packed = data.collate(data.pack(exs, max_len=20), PAD, "cpu")
    n = float(padded["loss_mask"][:, 1:].sum())
    fused_packed, parts = kd(student, packed, n, 0)
    assert set(parts) == {"kd", "ce"}
    monkeypatch.setenv("SRLM_FUSED_LOSS", "0")
    plain_padded, plain_parts = kd(student, padded, n, 0)
    assert parts == pytest.approx(plain_parts, rel=1e-6)
    _assert_same_loss_and_grads(student, fused_packed, plain_padded)


def test_sft_fused_loss_with_lora_equals_full_logits_and_a_lora_head_is_not_fused(monkeypatch):
    from srlm_engine import models

    lora = LoraConfig(rank=4, alpha=8, dropout=0.0, targets=["q_proj", "v_proj"])
    model = models.apply_lora(_model(), lora)
    with torch.no_grad():  # lora_B starts at zero; non-zero makes the adapters count
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.1)
    assert heads.split(model) is not None
    batch = data.collate(data.pack(_examples(), max_len=20), PAD, "cpu")
    fused, _ = ce_loss(model, batch, 11.0, 0)
    monkeypatch.setenv("SRLM_FUSED_LOSS", "0")
    plain, _ = ce_loss(model, batch, 11.0, 0)
    _assert_same_loss_and_grads(model, fused, plain)
    monkeypatch.delenv("SRLM_FUSED_LOSS")
    head_lora = models.apply_lora(_model(), dataclasses.replace(lora, targets=["q_proj", "lm_head"]))
    assert heads.split(head_lora) is None


def test_engine_packed_sft_and_kd_runs_match_with_and_without_the_fused_losses(tmp_path):
    """From the outside (`python -m srlm_engine run`): a packed SFT teacher and a packed KD student (JSD + CE, a
    teacher with 64 padding rows) train, and the fused losses give the first steps the unfused losses give."""
    import math
    import subprocess

    from engine_helpers import base_plan, engine_cmd, engine_env, read_events, tiny_model_dir, write_plan

    teacher = tiny_model_dir(tmp_path, "teacher", hidden=48, vocab=448)
    student = tiny_model_dir(tmp_path, "student", hidden=32)
    sft = {"data": "train", "steps": 2, "lr": 1e-2, "batch_size": 2, "max_len": 96, "packing": True}
    kd = {**sft, "teacher": "teach", "loss": {"name": "jsd", "beta": 0.3}, "mix": {"sft": 0.5, "kd": 1.0}}
    plan = write_plan(
        tmp_path,
        base_plan(
            {"teacher": teacher, "student": student},
            [
                {"name": "teach", "kind": "sft", "init": {"model": "teacher"}, "config": sft},
                {"name": "distill", "kind": "kd", "init": {"model": "student"}, "config": kd},
            ],
            n_train=24,
        ),
    )
    losses = {}
    for fused in ("1", "0"):
        run_dir = tmp_path / f"run-{fused}"
        proc = subprocess.run(
            engine_cmd(plan, run_dir),
            env={**engine_env(), "SRLM_FUSED_LOSS": fused},
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        events = read_events(run_dir)
        assert any(e.get("code") == "kd_vocab_sliced" for e in events if e["type"] == "warning")
        steps = [e for e in events if e["type"] == "metrics"]
        assert [e["stage"] for e in steps] == ["teach", "teach", "distill", "distill"]
        assert all(math.isfinite(e["metrics"]["loss"]) for e in steps)
        assert {"kd", "ce"} <= set(steps[-1]["metrics"])
        losses[fused] = [(e["metrics"]["loss"], e["metrics"].get("kd")) for e in steps]
    for (a, ka), (b, kb) in zip(losses["1"], losses["0"], strict=True):
        assert a == pytest.approx(b, rel=1e-4) and (ka is None or ka == pytest.approx(kb, rel=1e-4))
