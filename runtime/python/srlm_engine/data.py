"""Datasets: reading rows (dataset_rows, datasets_io), chat templating, completion-only masks and batches.

A row is normalised to `{"prompt", "completion", "answer"}` strings (completion/answer may be None), whatever
the file's field names were (dataset_rows.py). Tokenisation keeps prompt and completion ids apart, so the loss
mask is exact (no re-tokenising the joined text and guessing the boundary).
"""

from __future__ import annotations

import random

import torch

from .dataset_rows import load_rows as load_rows
from .dataset_rows import mix_rows as mix_rows
from .datasets_io import DataError as DataError

# Chat templating and encoding live in templates.py; re-exported for the stages that import them from here.
from .templates import Example, encode_example, encode_prompts, prompt_text  # noqa: F401


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    # A generator seeded by (seed, epoch) makes the data position a pure function of the step, which is what
    # lets a resumed run see exactly the batches it would have seen.
    g = torch.Generator().manual_seed(seed * 1000003 + epoch)
    return torch.randperm(n, generator=g).tolist()


def pack(examples: list[Example], max_len: int) -> list[Example]:
    """Concatenate examples into rows of at most max_len tokens (greedy, in order), each example kept apart.

    A packed row records its examples' lengths (`segments`); `collate` turns them into position ids that
    restart at 0 for every example and a segment id per token, from which `packing.model_inputs` confines
    each token's attention to its own example (a block-diagonal causal mask, or flash-attention's varlen path).
    The first token of every example leaves the loss mask: unpacked, a row's first token is never a target,
    and packed it must not become the target of the previous example's last token. Each packed example thus
    has exactly the loss it would have alone.
    """
    out: list[Example] = []
    ids: list[int] = []
    mask: list[int] = []
    segs: list[int] = []
    for ex in examples:
        if ids and len(ids) + len(ex.ids) > max_len:
            out.append(Example(ids, mask, 0, tuple(segs)))
            ids, mask, segs = [], [], []
        ids, mask = ids + ex.ids, mask + ([0] + ex.mask[1:] if ex.mask else [])
        segs.append(len(ex.ids))
    if ids:
        out.append(Example(ids, mask, 0, tuple(segs)))
    return out


def make_batches(
    examples: list[Example], batch_size: int, seed: int, epoch: int, group_by_length: bool = True
) -> list[list[Example]]:
    order = epoch_order(len(examples), seed, epoch)
    if group_by_length:
        # Sort inside windows of 16 batches: padding shrinks, yet batch composition still varies per epoch.
        window = batch_size * 16
        order = [
            i
            for start in range(0, len(order), window)
            for i in sorted(order[start : start + window], key=lambda j: len(examples[j].ids))
        ]
    batches = [[examples[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)]
    random.Random(seed * 7919 + epoch).shuffle(batches)
    return batches


def collate(batch: list[Example], pad_id: int, device) -> dict[str, torch.Tensor]:
    """Right-padded tensors: input_ids, attention_mask, loss_mask; for packed rows also position_ids (restarting
    at 0 for every example) and segment_ids (the example each token belongs to; the padding tail is a segment
    of its own, which no real token can attend to since it comes after them)."""
    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    loss = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.ids)
        ids[i, :n] = torch.tensor(e.ids)
        att[i, :n] = 1
        loss[i, :n] = torch.tensor(e.mask)
    out = {"input_ids": ids, "attention_mask": att, "loss_mask": loss}
    if any(e.segments for e in batch):
        pos = torch.zeros((len(batch), width), dtype=torch.long)
        seg = torch.zeros((len(batch), width), dtype=torch.long)
        for i, e in enumerate(batch):
            lengths = list(e.segments or (len(e.ids),))
            if width > len(e.ids):
                lengths.append(width - len(e.ids))
            pos[i] = torch.cat([torch.arange(n) for n in lengths])
            seg[i] = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
        out.update(position_ids=pos, segment_ids=seg)
    return {k: v.to(device) for k, v in out.items()}


def left_pad(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded prompts for generation (decoder-only models continue from the right edge)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, width - len(s) :] = torch.tensor(s)
        att[i, width - len(s) :] = 1
    return ids.to(device), att.to(device)
