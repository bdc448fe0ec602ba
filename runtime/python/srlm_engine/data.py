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
    """Concatenate examples into rows of at most max_len tokens (greedy, in order).

    Attention is not blocked between packed examples (the classic packing of TRL's ConstantLengthDataset);
    position ids restart per example so each keeps its own positions.
    """
    out, ids, mask = [], [], []
    for ex in examples:
        if ids and len(ids) + len(ex.ids) > max_len:
            out.append(Example(ids, mask, 0))
            ids, mask = [], []
        ids, mask = ids + ex.ids, mask + ex.mask
    if ids:
        out.append(Example(ids, mask, 0))
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
    """Right-padded tensors: input_ids, attention_mask, loss_mask."""
    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    loss = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.ids)
        ids[i, :n] = torch.tensor(e.ids)
        att[i, :n] = 1
        loss[i, :n] = torch.tensor(e.mask)
    return {"input_ids": ids.to(device), "attention_mask": att.to(device), "loss_mask": loss.to(device)}


def left_pad(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded prompts for generation (decoder-only models continue from the right edge)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, width - len(s) :] = torch.tensor(s)
        att[i, width - len(s) :] = 1
    return ids.to(device), att.to(device)
