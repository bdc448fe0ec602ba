"""Losses against independent reference formulas (explicit loops over float64 numbers), masking and grads."""

from __future__ import annotations

import math

import pytest
import torch

from srlm_engine import losses as L

B, T, V = 3, 6, 7
TOL = dict(rel=1e-6, abs=1e-6)


def rand(*shape, seed=0, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64) * scale


def make_mask(seed=1):
    # Row 0: prompt of 2 then completion; row 1: completion then padding; row 2: a single kept token.
    m = torch.zeros(B, T, dtype=torch.bool)
    m[0, 2:] = True
    m[1, :4] = True
    m[2, 3] = True
    return m


def softmax_row(xs):
    mx = max(xs)
    e = [math.exp(x - mx) for x in xs]
    s = sum(e)
    return [v / s for v in e]


def kl_ref(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi > 0)


def kd_ref(s_logits, t_logits, mask, kind, beta=0.5, temp=1.0):
    total, n = 0.0, 0
    for b in range(B):
        for t in range(T):
            if not mask[b, t]:
                continue
            q = softmax_row([x / temp for x in s_logits[b, t].tolist()])
            p = softmax_row([x / temp for x in t_logits[b, t].tolist()])
            if kind == "fkl":
                v = kl_ref(p, q)
            elif kind == "rkl":
                v = kl_ref(q, p)
            else:
                mix = [beta * pi + (1 - beta) * qi for pi, qi in zip(p, q, strict=True)]
                v = beta * kl_ref(p, mix) + (1 - beta) * kl_ref(q, mix)
            total += v
            n += 1
    return total / n


def scramble_masked(x, mask, seed=9):
    """Replace every masked position of x (B, T[, V]) with different random values."""
    noise = rand(*x.shape, seed=seed, scale=5.0).to(x.dtype)
    m = mask if x.dim() == 2 else mask.unsqueeze(-1).expand_as(x)
    return torch.where(m, x, noise)


# ---------------------------------------------------------------------------------------------- shift, CE


def test_shift_for_next_token_aligns_logits_with_following_token():
    logits = rand(B, T, V)
    ids = torch.arange(B * T).view(B, T) % V
    mask = make_mask()
    lg, lab, m = L.shift_for_next_token(logits, ids, mask)
    assert lg.shape == (B, T - 1, V) and lab.shape == (B, T - 1) and m.shape == (B, T - 1)
    assert torch.equal(lg[:, 0], logits[:, 0]) and torch.equal(lab[:, 0], ids[:, 1])
    assert torch.equal(m, mask[:, 1:])
    with pytest.raises(ValueError, match="expected logits"):
        L.shift_for_next_token(logits, ids[:, :-1], mask)


def test_completion_ce_matches_reference_and_ignores_masked_labels():
    logits = rand(B, T, V)
    labels = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(3))
    mask = make_mask()
    labels_with_ignore = torch.where(mask, labels, torch.full_like(labels, -100))
    got = L.completion_ce(logits, labels_with_ignore, mask)
    total, n = 0.0, 0
    for b in range(B):
        for t in range(T):
            if mask[b, t]:
                p = softmax_row(logits[b, t].tolist())
                total += -math.log(p[labels[b, t]])
                n += 1
    assert got.item() == pytest.approx(total / n, **TOL)
    assert L.completion_ce(logits, labels, mask, num_items=20).item() == pytest.approx(total / 20, **TOL)
    changed = L.completion_ce(scramble_masked(logits, mask), labels_with_ignore, mask)
    assert changed.item() == pytest.approx(got.item(), abs=1e-12)


def test_completion_ce_gradient_is_zero_on_masked_positions_and_finite():
    logits = rand(B, T, V).requires_grad_()
    labels = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(4))
    mask = make_mask()
    L.completion_ce(logits, labels, mask).backward()
    g = logits.grad
    assert torch.isfinite(g).all()
    assert (g[~mask] == 0).all() and (g[mask].abs().sum(-1) > 0).all()


# ---------------------------------------------------------------------------------------------- KD


@pytest.mark.parametrize("temp", [1.0, 2.0])
def test_forward_and_reverse_kl_match_reference(temp):
    s, t, m = rand(B, T, V, seed=1), rand(B, T, V, seed=2), make_mask()
    assert L.forward_kl(s, t, m, temp).item() == pytest.approx(kd_ref(s, t, m, "fkl", temp=temp), **TOL)
    assert L.reverse_kl(s, t, m, temp).item() == pytest.approx(kd_ref(s, t, m, "rkl", temp=temp), **TOL)
    # The two directions differ on generic inputs; a swapped implementation would fail one of the above.
    assert abs(kd_ref(s, t, m, "fkl", temp=temp) - kd_ref(s, t, m, "rkl", temp=temp)) > 1e-3


@pytest.mark.parametrize("beta", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_generalized_jsd_matches_reference_and_limits(beta):
    s, t, m = rand(B, T, V, seed=5), rand(B, T, V, seed=6), make_mask()
    got = L.generalized_jsd(s, t, m, beta=beta, temperature=1.5).item()
    if beta == 0.0:
        want = kd_ref(s, t, m, "fkl", temp=1.5)  # β = 0 is forward KL(teacher || student)
    elif beta == 1.0:
        want = kd_ref(s, t, m, "rkl", temp=1.5)  # β = 1 is reverse KL(student || teacher)
    else:
        want = kd_ref(s, t, m, "jsd", beta=beta, temp=1.5)
    assert got == pytest.approx(want, **TOL)


def test_jsd_is_symmetric_at_half_and_bounded_by_log2():
    s, t, m = rand(B, T, V, seed=7), rand(B, T, V, seed=8), make_mask()
    a = L.generalized_jsd(s, t, m, beta=0.5).item()
    b = L.generalized_jsd(t, s, m, beta=0.5).item()
    assert a == pytest.approx(b, **TOL)
    assert 0 < a < math.log(2)


def test_kd_losses_are_zero_for_identical_distributions_and_ignore_masked_positions():
    s, m = rand(B, T, V, seed=10), make_mask()
    for name in L.KD_LOSSES:
        assert L.kd_loss(s, s.clone(), m, name).item() == pytest.approx(0.0, abs=1e-12)
    t = rand(B, T, V, seed=11)
    for name in L.KD_LOSSES:
        base = L.kd_loss(s, t, m, name).item()
        moved = L.kd_loss(scramble_masked(s, m, 1), scramble_masked(t, m, 2), m, name).item()
        assert moved == pytest.approx(base, abs=1e-12)


def test_kd_token_sum_by_hand_on_a_shared_vocabulary():
    # Position 0 is kept: the student is uniform over 3 ids, the teacher puts 1/2, 1/4, 1/4 on them (logit ln 2
    # on id 0) and a huge logit on a 4th padding id that `vocab = 3` slices away. Position 1 is masked.
    student = torch.tensor([[[0.0, 0.0, 0.0], [5.0, -5.0, 0.0]]], dtype=torch.float64)
    teacher = torch.tensor([[[math.log(2), 0.0, 0.0, 100.0], [0.0, 9.0, 0.0, 100.0]]], dtype=torch.float64)
    mask = torch.tensor([[True, False]])
    # KL(p || q) = 1/2 ln(1.5) + 2 · 1/4 ln(0.75) = 1/2 ln(9/8); KL(q || p) = 1/3 (ln(2/3) + 2 ln(4/3)) = 1/3 ln(32/27).
    forward = L.kd_token_sum(student[..., :3], teacher, mask, "forward_kl", None, 1.0, vocab=3)
    assert forward.item() == pytest.approx(0.5 * math.log(9 / 8), abs=1e-12)
    reverse = L.kd_token_sum(student[..., :3], teacher, mask, "reverse_kl", None, 1.0, vocab=3)
    assert reverse.item() == pytest.approx(math.log(32 / 27) / 3, abs=1e-12)
    # Temperature 2 on doubled logits is the same pair of distributions.
    doubled = L.kd_token_sum(2 * student[..., :3], 2 * teacher, mask, "forward_kl", None, 2.0, vocab=3)
    assert doubled.item() == pytest.approx(forward.item(), abs=1e-12)
    # Two kept positions sum: the second one's own divergence is added, not averaged in.
    both = L.kd_token_sum(student, teacher[..., :3], torch.tensor([[True, True]]), "forward_kl", None, 1.0)
    second = L.kd_loss(student[:, 1:], teacher[:, 1:, :3], torch.tensor([[True]]), "forward_kl").item()
    assert both.item() == pytest.approx(forward.item() + second, abs=1e-12)
    with pytest.raises(ValueError, match="beta"):
        L.kd_token_sum(student[..., :3], teacher, mask, "jsd", None, 1.0, vocab=3)


def test_kd_gradients_finite_and_only_on_kept_positions():
    m = make_mask()
    for name in L.KD_LOSSES:
        s = rand(B, T, V, seed=12).requires_grad_()
        t = rand(B, T, V, seed=13)
        L.kd_loss(s, t, m, name, beta=0.3, temperature=0.7).backward()
        assert torch.isfinite(s.grad).all()
        assert (s.grad[~m] == 0).all() and s.grad[m].abs().sum() > 0


def test_kd_rejects_bad_arguments():
    s, t, m = rand(B, T, V), rand(B, T, V + 2), make_mask()
    with pytest.raises(ValueError, match="same shape"):
        L.forward_kl(s, t, m)
    with pytest.raises(ValueError, match="unknown KD loss"):
        L.kd_loss(s, s, m, "tvd")
    with pytest.raises(ValueError, match="beta"):
        L.generalized_jsd(s, s, m, beta=1.5)
    with pytest.raises(ValueError, match="temperature"):
        L.forward_kl(s, s, m, temperature=0)


# ---------------------------------------------------------------------------------------------- RL


def test_group_advantages_scaled_and_unscaled():
    r = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5, 0.0], dtype=torch.float64)
    adv, zero = L.group_advantages(r, group_size=4)
    # Group 1: mean 0.5, unbiased std sqrt(1/3).
    sd1 = math.sqrt(sum((x - 0.5) ** 2 for x in [1, 0, 0, 1]) / 3)
    assert adv[0].item() == pytest.approx(0.5 / (sd1 + 1e-4), **TOL)
    assert adv[1].item() == pytest.approx(-0.5 / (sd1 + 1e-4), **TOL)
    g2 = [1.0, 1.0, 0.5, 0.0]
    mu2 = sum(g2) / 4
    sd2 = math.sqrt(sum((x - mu2) ** 2 for x in g2) / 3)
    assert adv[7].item() == pytest.approx((0.0 - mu2) / (sd2 + 1e-4), **TOL)
    assert zero == 0.0
    adv_u, _ = L.group_advantages(r, group_size=4, scale=False)
    assert adv_u[6].item() == pytest.approx(0.5 - mu2, **TOL)
    flat = torch.tensor([1.0, 1.0, 0.0, 1.0, 2.0, 2.0], dtype=torch.float64)
    adv_f, zero_f = L.group_advantages(flat, group_size=2)
    assert zero_f == pytest.approx(2 / 3)
    assert adv_f[0].item() == 0.0 and adv_f[4].item() == 0.0
    with pytest.raises(ValueError, match="groups of 4"):
        L.group_advantages(torch.zeros(6), 4)


def test_k3_kl_matches_formula_and_is_nonnegative():
    lp, ref = rand(B, T, seed=20, scale=0.5) - 1, rand(B, T, seed=21, scale=0.5) - 1
    got = L.k3_kl(lp, ref)
    for b in range(B):
        for t in range(T):
            r = math.exp(ref[b, t].item() - lp[b, t].item())
            assert got[b, t].item() == pytest.approx(r - math.log(r) - 1, **TOL)
    assert (got >= 0).all()
    assert L.k3_kl(lp, lp).abs().max().item() == 0.0


def grpo_ref_token(lp, old, ref, a, el, eh, beta):
    ratio = math.exp(lp - old)
    clipped = min(max(ratio, 1 - el), 1 + eh)
    loss = -min(ratio * a, clipped * a)
    if beta:
        r = math.exp(ref - lp)
        loss += beta * (r - math.log(r) - 1)
    return loss


def grpo_inputs():
    lp = rand(B, T, seed=30, scale=0.3) - 1.0
    old = lp + rand(B, T, seed=31, scale=0.4)  # ratios spread well beyond [0.8, 1.28]
    ref = lp + rand(B, T, seed=32, scale=0.2)
    adv = torch.tensor([1.5, -0.7, 0.3], dtype=torch.float64)
    return lp, old, ref, adv, make_mask()


def ref_aggregate(per_tok, mask, mode, max_len=None, num_items=None):
    rows = [[per_tok[b][t] for t in range(T) if mask[b, t]] for b in range(B)]
    if mode == "grpo":
        return sum(sum(r) / max(len(r), 1) for r in rows) / B
    total = sum(sum(r) for r in rows)
    if mode == "bnpo":
        return total / sum(len(r) for r in rows)
    if mode == "dr_grpo":
        return total / (B * (max_len or T))
    return total / (num_items or sum(len(r) for r in rows))


@pytest.mark.parametrize("beta", [0.0, 0.04])
@pytest.mark.parametrize(
    "mode,kw",
    [("grpo", {}), ("bnpo", {}), ("dr_grpo", {"max_completion_len": 10}), ("dapo", {"num_items": 23})],
)
def test_grpo_loss_with_each_aggregation_matches_reference(beta, mode, kw):
    lp, old, ref, adv, m = grpo_inputs()
    el, eh = 0.2, 0.28
    per_tok, stats = L.grpo_token_loss(lp, old, ref, adv, m, el, eh, beta)
    want_tok = [
        [
            grpo_ref_token(lp[b, t].item(), old[b, t].item(), ref[b, t].item(), adv[b].item(), el, eh, beta)
            for t in range(T)
        ]
        for b in range(B)
    ]
    for b in range(B):
        for t in range(T):
            expect = want_tok[b][t] if m[b, t] else 0.0
            assert per_tok[b, t].item() == pytest.approx(expect, **TOL)
    got = L.aggregate(per_tok, m, mode, **kw).item()
    want = ref_aggregate(want_tok, m, mode, kw.get("max_completion_len"), kw.get("num_items"))
    assert got == pytest.approx(want, **TOL)


def test_aggregations_differ_and_dapo_defaults_to_bnpo():
    lp, old, ref, adv, m = grpo_inputs()
    per_tok, _ = L.grpo_token_loss(lp, old, ref, adv, m)
    vals = {mode: L.aggregate(per_tok, m, mode).item() for mode in L.AGGREGATIONS}
    assert vals["dapo"] == pytest.approx(vals["bnpo"], **TOL)
    assert len({round(vals[k], 9) for k in ("grpo", "bnpo", "dr_grpo")}) == 3
    # Splitting a batch in two micro-batches: dapo with the global token count sums to the full-batch loss.
    n = int(m.sum())
    parts = sum(L.aggregate(per_tok[i : i + 1], m[i : i + 1], "dapo", num_items=n) for i in range(B)).item()
    assert parts == pytest.approx(vals["bnpo"], **TOL)
    with pytest.raises(ValueError, match="unknown loss aggregation"):
        L.aggregate(per_tok, m, "mean")


def test_grpo_clipping_at_both_bounds():
    el, eh = 0.2, 0.28
    # One sequence, positions: ratio far below, inside, far above the clip range.
    ratios = torch.tensor([[0.5, 1.0, 1.5, 0.5, 1.5]], dtype=torch.float64)
    old = torch.full_like(ratios, -1.0)
    mask = torch.ones_like(ratios, dtype=torch.bool)
    for a in (1.0, -1.0):
        lp = (old + ratios.log()).requires_grad_()
        per_tok, stats = L.grpo_token_loss(
            lp, old, None, torch.tensor([a], dtype=torch.float64), mask, el, eh
        )
        per_tok.sum().backward()
        g = lp.grad[0]
        if a > 0:
            # A > 0: the upper bound clips (no gradient at ratio 1.5); a low ratio keeps its gradient.
            assert per_tok[0, 2].item() == pytest.approx(-(1 + eh), **TOL) and g[2].item() == 0.0
            assert per_tok[0, 0].item() == pytest.approx(-0.5, **TOL) and g[0].item() != 0.0
            assert stats["clip_ratio_high"] == pytest.approx(2 / 5) and stats["clip_ratio_low"] == 0.0
        else:
            # A < 0: the lower bound clips (no gradient at ratio 0.5); a high ratio keeps its gradient.
            assert per_tok[0, 0].item() == pytest.approx(1 - el, **TOL) and g[0].item() == 0.0
            assert per_tok[0, 2].item() == pytest.approx(1.5, **TOL) and g[2].item() != 0.0
            assert stats["clip_ratio_low"] == pytest.approx(2 / 5) and stats["clip_ratio_high"] == 0.0
        assert stats["clip_ratio_region"] == pytest.approx(2 / 5)
        assert g[1].item() != 0.0
        assert stats["kl"] is None


def test_grpo_on_policy_gradient_and_stats():
    lp, _, ref, adv, m = grpo_inputs()
    lp = lp.clone().requires_grad_()
    per_tok, stats = L.grpo_token_loss(lp, None, ref, adv, m, beta=0.04)
    loss = L.aggregate(per_tok, m, "grpo")
    loss.backward()
    assert torch.isfinite(lp.grad).all()
    assert (lp.grad[~m] == 0).all()
    # On-policy without KL the gradient w.r.t. logp is -A / n_tokens(seq) / B for each kept token.
    lp2 = lp.detach().clone().requires_grad_()
    pt2, st2 = L.grpo_token_loss(lp2, None, None, adv, m)
    L.aggregate(pt2, m, "grpo").backward()
    counts = m.sum(1)
    for b in range(B):
        for t in range(T):
            want = -adv[b].item() / counts[b].item() / B if m[b, t] else 0.0
            assert lp2.grad[b, t].item() == pytest.approx(want, **TOL)
    assert st2["clip_ratio_region"] == 0.0 and st2["ratio_mean"] == pytest.approx(1.0)
    kept_kl = L.k3_kl(lp.detach(), ref)[m]
    assert stats["kl"] == pytest.approx(kept_kl.mean().item(), **TOL)
    with pytest.raises(ValueError, match="ref_logp is None"):
        L.grpo_token_loss(lp, None, None, adv, m, beta=0.1)


def test_grpo_ignores_masked_positions():
    lp, old, ref, adv, m = grpo_inputs()
    base, _ = L.grpo_token_loss(lp, old, ref, adv, m, beta=0.04)
    moved, _ = L.grpo_token_loss(
        scramble_masked(lp, m, 1), scramble_masked(old, m, 2), scramble_masked(ref, m, 3), adv, m, beta=0.04
    )
    for mode in L.AGGREGATIONS:
        assert L.aggregate(moved, m, mode).item() == pytest.approx(
            L.aggregate(base, m, mode).item(), abs=1e-12
        )


# ---------------------------------------------------------------------------------------------- misc


def test_token_entropy_and_logprobs():
    logits, m = rand(B, T, V, seed=40), make_mask()
    total, n = 0.0, 0
    for b in range(B):
        for t in range(T):
            if m[b, t]:
                p = softmax_row(logits[b, t].tolist())
                total += -sum(x * math.log(x) for x in p)
                n += 1
    assert L.token_entropy(logits, m).item() == pytest.approx(total / n, **TOL)
    uniform = torch.zeros(1, 2, V, dtype=torch.float64)
    assert L.token_entropy(uniform, torch.ones(1, 2)).item() == pytest.approx(math.log(V), **TOL)
    labels = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(41))
    lp = L.token_logprobs(logits, labels, temperature=2.0)
    p = softmax_row((logits[1, 2] / 2).tolist())
    assert lp[1, 2].item() == pytest.approx(math.log(p[labels[1, 2]]), **TOL)


def test_half_precision_logits_are_upcast():
    logits = rand(B, T, V, seed=42).to(torch.bfloat16)
    labels = torch.zeros(B, T, dtype=torch.long)
    out = L.completion_ce(logits, labels, make_mask())
    assert out.dtype == torch.float32 and torch.isfinite(out)


def test_kd_on_selected_positions_equals_masked_mean():
    s, t, m = rand(B, T, V, seed=50), rand(B, T, V, seed=51), make_mask()
    ones = torch.ones(1, int(m.sum()), dtype=torch.bool)
    for name in L.KD_LOSSES:
        full = L.kd_loss(s, t, m, name, beta=0.3).item()
        packed = L.kd_loss(s[m].unsqueeze(0), t[m].unsqueeze(0), ones, name, beta=0.3).item()
        assert packed == pytest.approx(full, **TOL)


def test_grpo_loss_keeps_the_policy_dtype():
    lp, old, ref, adv, m = grpo_inputs()
    per_tok, _ = L.grpo_token_loss(lp.float(), old.float(), ref.float(), adv, m, beta=0.04)
    assert per_tok.dtype == torch.float32


# ---------------------------------------------------------------------------------------------- selective log-softmax


def _naive_logprobs(logits, labels, temperature):
    """The plain formula: a full (upcast) log_softmax, then gather."""
    x = logits if logits.dtype in (torch.float32, torch.float64) else logits.float()
    safe = labels.clamp(0, logits.shape[-1] - 1)
    return torch.log_softmax(x / temperature, -1).gather(-1, safe.unsqueeze(-1)).squeeze(-1)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
@pytest.mark.parametrize("chunk_elems", [1, 3 * V, 2 * T * V, 1 << 26])
def test_chunked_token_logprobs_equal_naive_values_and_gradients(dtype, tol, chunk_elems):
    # chunk_elems covers: one position per chunk, part of a row, whole rows, everything at once.
    logits = (rand(B, T, V, seed=50) * 4).to(dtype)
    labels = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(51))
    labels[0, 0] = -100  # masked positions carry -100; clamped like the naive path
    weights = rand(B, T, seed=52).to(dtype)
    for temperature in (1.0, 0.7):
        a = logits.clone().requires_grad_(True)
        b = logits.clone().requires_grad_(True)
        got = L.token_logprobs(a, labels, temperature, chunk_elems=chunk_elems)
        want = _naive_logprobs(b, labels, temperature)
        assert got.dtype == want.dtype
        # fp32: 1e-6 absolute or relative (log-probs near -40 are only good to ~2e-6 absolute in fp32 at all).
        assert torch.allclose(got, want, atol=tol, rtol=tol)
        (got * weights).sum().backward()
        (want * weights).sum().backward()
        assert torch.allclose(a.grad, b.grad, atol=tol, rtol=tol)


def test_chunked_token_logprobs_on_a_non_contiguous_bf16_slice():
    # What the RL stage passes: a slice of the model's bf16 output, upcast per chunk, gradient in bf16.
    full = rand(B, T + 2, V, seed=53).to(torch.bfloat16).requires_grad_(True)
    labels = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(54))
    got = L.token_logprobs(full[:, 1:-1], labels, chunk_elems=2 * V)
    want = _naive_logprobs(full.detach()[:, 1:-1].clone(), labels, 1.0)
    assert got.dtype == torch.float32 and torch.allclose(got, want, atol=1e-6, rtol=0)
    got.sum().backward()
    ref = full.detach().clone().requires_grad_(True)
    _naive_logprobs(ref[:, 1:-1], labels, 1.0).sum().backward()
    assert full.grad.dtype == torch.bfloat16 and torch.equal(full.grad, ref.grad)


def test_token_logprobs_gradcheck_float64():
    logits = rand(2, 3, 5, seed=55).requires_grad_(True)
    labels = torch.tensor([[0, 4, 2], [1, 1, 3]])
    assert torch.autograd.gradcheck(lambda x: L.token_logprobs(x, labels, 0.9, chunk_elems=7), (logits,))


def test_chunked_entropy_equals_unchunked():
    logits = rand(B, T, V, seed=56) * 3
    whole = L.token_entropy_per_token(logits, chunk_elems=1 << 26)
    for chunk in (1, 3 * V, 2 * T * V):
        assert torch.allclose(L.token_entropy_per_token(logits, chunk_elems=chunk), whole, atol=1e-12, rtol=0)
