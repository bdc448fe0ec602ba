"""Losses fused with the LM head equal today's losses on full logits: values and gradients (float64, 1e-6)."""

from __future__ import annotations

import pytest
import torch

from srlm_engine import losses as L

B, T, H, V = 3, 7, 5, 11
TOL = dict(rtol=1e-6, atol=1e-6)


def _leaf(*shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).requires_grad_(True)


def _head(h, v, seed, bias=True):
    lin = torch.nn.Linear(h, v, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(_leaf(v, h, seed=seed, scale=1.5))
        if bias:
            lin.bias.copy_(_leaf(v, seed=seed + 1))
    return lin


def _mask():
    m = torch.zeros(B, T, dtype=torch.bool)
    m[0, 2:] = True  # prompt, then completion
    m[1, :4] = True  # completion, then padding
    m[2, 5] = True  # one kept token
    return m


def _labels():
    g = torch.Generator().manual_seed(9)
    y = torch.randint(0, V, (B, T), generator=g)
    y[~_mask()] = -100  # what sits under masked positions must not matter
    return y


def _grads(loss, *tensors):
    return torch.autograd.grad(loss, tensors)


@pytest.mark.parametrize("chunk_elems", [1, 2 * V + 3, 10**6])
@pytest.mark.parametrize("num_items", [None, 17.0])
def test_fused_ce_equals_ce_on_full_logits(chunk_elems, num_items):
    hidden, head, y, m = _leaf(B, T, H, seed=0), _head(H, V, 1), _labels(), _mask()
    ref = L.completion_ce(head(hidden), y, m, num_items=num_items)
    got = L.fused_completion_ce(hidden, head, y, m, num_items=num_items, chunk_elems=chunk_elems)
    torch.testing.assert_close(got, ref, **TOL)
    for a, b in zip(
        _grads(got, hidden, head.weight, head.bias), _grads(ref, hidden, head.weight, head.bias), strict=True
    ):
        torch.testing.assert_close(a, b, **TOL)


def test_fused_ce_gradient_is_zero_on_masked_positions_and_scales_with_the_upstream_gradient():
    hidden, head, y, m = _leaf(B, T, H, seed=2), _head(H, V, 3, bias=False), _labels(), _mask()
    (g,) = _grads(3.0 * L.fused_completion_ce(hidden, head, y, m, chunk_elems=V), hidden)
    assert torch.all(g[~m] == 0) and torch.all(g[m].abs().sum(-1) > 0)
    (g1,) = _grads(L.fused_completion_ce(hidden, head, y, m, chunk_elems=V), hidden)
    torch.testing.assert_close(g, 3.0 * g1, **TOL)


@pytest.mark.parametrize(
    "name, beta",
    [("forward_kl", 0.5), ("reverse_kl", 0.5), ("jsd", 0.5), ("jsd", 0.1), ("jsd", 0.0), ("jsd", 1.0)],
)
@pytest.mark.parametrize("temperature", [1.0, 2.5])
@pytest.mark.parametrize("ce_weight", [0.0, 0.4])
def test_fused_kd_equals_kd_on_full_logits_with_a_padded_teacher_vocabulary(
    name, beta, temperature, ce_weight
):
    # The teacher has 4 extra padding rows (like Qwen2.5-7B's 152064 against 151936) and another hidden size.
    hidden, head = _leaf(B, T, H, seed=4), _head(H, V, 5)
    t_hidden, t_head = _leaf(B, T, H + 2, seed=6).detach(), _head(H + 2, V + 4, 7)
    y, m, n = _labels(), _mask(), 13.0
    s_logits, t_logits = head(hidden), t_head(t_hidden)
    per_tok = L.kd_per_token(s_logits[..., :V], t_logits[..., :V], name, beta, temperature)
    ref_kd = torch.where(m, per_tok, torch.zeros_like(per_tok)).sum() / n
    ref = 0.7 * ref_kd + (ce_weight * L.completion_ce(s_logits, y, m, num_items=n) if ce_weight else 0.0)
    got, parts = L.fused_kd(
        hidden, head, t_hidden, t_head, m, name, beta, temperature, vocab=V, num_items=n,
        kd_weight=0.7, ce_weight=ce_weight, labels=y, chunk_elems=2 * V,
    )  # fmt: skip
    torch.testing.assert_close(got, ref, **TOL)
    assert parts["kd"] == pytest.approx(float(ref_kd.detach()), rel=1e-9)
    assert ("ce" in parts) == (ce_weight != 0)
    for a, b in zip(
        _grads(got, hidden, head.weight, head.bias), _grads(ref, hidden, head.weight, head.bias), strict=True
    ):
        torch.testing.assert_close(a, b, **TOL)


def test_fused_kd_masked_mean_without_num_items_and_teacher_gets_no_gradient():
    hidden, head = _leaf(B, T, H, seed=8), _head(H, V, 9, bias=False)
    t_hidden, t_head = _leaf(B, T, H, seed=10), _head(H, V, 11, bias=False)
    m = _mask()
    ref = L.kd_loss(head(hidden), t_head(t_hidden).detach(), m, "forward_kl", temperature=2.0)
    got, _ = L.fused_kd(hidden, head, t_hidden, t_head, m, "forward_kl", temperature=2.0, chunk_elems=1)
    torch.testing.assert_close(got, ref, **TOL)
    got.backward()
    assert t_hidden.grad is None and t_head.weight.grad is None
    assert hidden.grad is not None and head.weight.grad is not None


def test_fused_losses_reject_bad_arguments():
    hidden, head, m = _leaf(B, T, H, seed=0), _head(H, V, 1), _mask()
    with pytest.raises(ValueError, match="num_items"):
        L.fused_completion_ce(hidden, head, _labels(), m, num_items=0)
    with pytest.raises(ValueError, match="mask"):
        L.fused_completion_ce(hidden, head, _labels(), m[:, 1:])
    with pytest.raises(ValueError, match="unknown KD loss"):
        L.fused_kd(hidden, head, hidden.detach(), head, m, "kl")
    with pytest.raises(ValueError, match="labels"):
        L.fused_kd(hidden, head, hidden.detach(), head, m, ce_weight=1.0)
    with pytest.raises(ValueError, match="do not match"):
        L.fused_kd(hidden, head, hidden[:, 1:].detach(), head, m)
